"""The Chinese of vmtui's own text: pane phrases, the engine's event texts, results and the
text of its teaching views (`walk`, `segment`, `show layout`...).

PHRASES are replaced wherever they stand as whole words in a pane's line (never inside an
identifier, a path or a file name). TEMPLATES translate a whole text: `{}` in the English
matches any text, which the Chinese places by position (`{0}`, `{1}`...), itself
translated when it is a phrase or another template (`{=}` matches text kept as it is: a
command as typed). Kernel identifiers, addresses, file
names, /proc text and the command language stay as they are.
"""

from __future__ import annotations

PHRASES: dict[str, str] = {
    # legends and states inside panes
    "anon": "匿名", "file": "文件", "page table": "页表", "kernel": "内核",
    "unevictable": "不可回收", "reserved": "保留", "free": "空闲", "part-used": "部分使用",
    "inactive": "非活跃", "active": "活跃", "sleeping": "睡眠", "running": "运行",
    "kernel half (shared by all)": "内核空间（所有进程共享）",
    # `show lru`: a CPU's per-CPU LRU batches (mm/swap.c pagevecs)
    "LRU batches": "LRU 批次", "kernel (shared)": "内核（共享）",
    "✓ as expected": "✓ 符合预期", "✗ expected": "✗ 预期", "events": "个事件",
    "more events": "个事件未显示", "changed": "项有变化",
    # the footer, the page tabs and the command palette
    "Next": "下一步", "Back": "上一步", "Help": "帮助", "Quit": "退出",
    "Run/Pause": "运行/暂停", "Go to": "跳转", "Restart": "重来", "Open": "打开",
    "Command": "命令", "Predict": "预测", "Zoom": "放大", "Theme": "主题", "Shot": "截图",
    "Show VMA": "查看 VMA", "palette": "命令面板", "Process": "进程",
    "1 Map": "1 地址", "2 Tree": "2 红黑树", "2 Tree (maple)": "2 枫树", "3 Walk": "3 页表", "4 RAM": "4 内存",
    "5 Reclaim": "5 回收", "6 Kernel": "6 内核",
    # the address space
    "non-canonical hole": "非规范地址空洞", "guard page": "保护页", "unmapped": "未映射",
    "mappings": "个映射", "direct map of all physical memory": "全部物理内存的直接映射",
    "direct map (lowmem)": "直接映射（低端内存）", "fixmap / kmap": "固定映射 / kmap",
    "kernel text": "内核代码", "modules": "内核模块", "no vmalloc region": "没有 vmalloc 区",
    "virtual memory map (struct page)": "虚拟内存映射（struct page）",
    "vmalloc/ioremap space": "vmalloc/ioremap 区", "guard page below the hole": "空洞下方的保护页",
    "user": "用户空间", "text": "代码", "data": "数据", "bss": "bss", "deleted": "已删除",
    "delete…": "已删除…",
    # the rbtree and the vm_area_struct
    "gap": "间隙", "top": "顶部", "levels": "层", "VMAs": "个 VMA", "red": "红",
    "black": "黑", "parent": "父节点", "mm of pid": "所属进程 pid", "(anonymous)": "（匿名）",
    "(default)": "（默认）", "empty": "空", "page": "页", "pages": "页", "counting...": "计数中……",
    "inode": "inode", "dev": "设备", "page tables": "页表", "name": "名称",
    "program break": "程序断点", "top chunk": "顶部空闲块", "new": "新",
    # the walk and the TLB
    "offset": "偏移", "this step": "本步", "an earlier step": "之前的步骤", "bit": "位",
    "physical address": "物理地址", "frame": "页框", "no frame": "没有页框",
    "fault path": "缺页路径", "none at": "不存在于", "page is in swap": "页在交换区中",
    "PROT_NONE: present for the kernel only": "PROT_NONE：只对内核存在",
    "table here": "表", "no": "没有", "hit": "命中", "miss": "未命中", "flushes": "刷新",
    "vpage": "虚拟页", "nothing touched yet": "还没有访问", "swap": "交换区",
    "mapped": "已映射", "protnone": "PROT_NONE", "kernel only": "仅内核",
    "empty: flushed, or": "空：刚刷新过，或者", "none": "无",
    # physical memory and reclaim
    "node(s)": "个节点", "Node": "节点", "CPUs": "CPU", "cell": "格", "frames": "个页框",
    "sampled": "抽样", "min": "min", "low": "low", "high": "high",
    "every zone above its high watermark": "每个内存区都在 high 水位线之上",
    "woken at the next allocation": "下一次分配时唤醒", "not woken yet": "尚未唤醒",
    "reclaiming up to high": "回收到 high 为止", "no memory": "没有内存",
    "wakeups": "唤醒", "scanned": "扫描", "reclaimed": "回收", "live": "实时",
    "slots": "槽", "cache": "缓存", "off": "关闭",
    "swap: none on this machine": "交换区：本机没有",
    "no page scanned, stolen or swapped yet": "还没有页被扫描、回收或换出",
    "more counters are 0": "个计数器为 0", "lines": "行", "RSS per VMA": "每个 VMA 的 RSS",
    "processes": "个进程", "v cycles": "按 v 切换", "real process, read-only": "真实进程，只读",
    "predict": "预测", "space reveals": "空格揭晓", "kswapd wakes": "kswapd 唤醒",
    "the kernel half": "内核空间", "no VMA": "没有 VMA",
    # results
    "ok": "成功", "as expected": "符合预期", "EXPECTED": "预期",
    # notifications' titles
    "cannot open": "无法打开", "command error": "命令错误",
    # the command palette
    "Next step": "下一步", "Run the next step of the scenario": "执行场景的下一步",
    "Previous step": "上一步", "Go back one step": "后退一步",
    "Run / pause": "运行 / 暂停", "Advance a step at a time, automatically": "自动逐步前进",
    "Go to step": "跳到某一步", "Jump to a step by number": "按编号跳到某一步",
    "Back to step 0": "回到第 0 步", "Open scenario": "打开场景",
    "Pick a built-in scenario": "选择一个内置场景", "Predict mode": "预测模式",
    "Hide each step's result until revealed": "每一步的结果先隐藏，直到揭晓",
    "Language": "语言", "Switch between English and Chinese": "在英文和中文之间切换",
    "Projector theme": "投影仪主题",
    "Switch between the dark and the light theme": "在深色和浅色主题之间切换",
    "Save screenshot": "保存截图",
    "SVG of the screen in the shots folder (printed when saved)":
        "屏幕的 SVG，保存在截图文件夹（保存后显示路径）",
    "Command line": "命令行", "Type a command to run as a step": "输入一条命令，作为一步执行",
    "Yes": "是", "No": "否", "Close": "关闭", "Faster": "加快", "Slower": "减慢",
    "Unzoom": "还原",
}
"""Phrases of the panes, the footer and the status bar, and their Chinese."""

TEMPLATES: list[tuple[str, str]] = [
    # ---- the page fault path
    ("page fault at {}, error code {} ({}); CR2 = {}", "在 {0} 发生缺页，错误码 {1}（{2}）；CR2 = {3}"),
    ("{} fault at {} in {}", "{0}缺页：{1}，位于 {2}"),
    ("first VMA ending above {}: {}", "第一个结束地址高于 {0} 的 VMA：{1}"),
    ("allocated {}", "分配了 {0}"),
    ("{} table at frame {}", "{0} 表（页框 {1}）"),
    ("write to an untouched page: new zeroed frame {} on node {} ({}), mapped writable",
     "写一个从未访问过的页：在节点 {1}（{2}）上分配清零的新页框 {0}，映射为可写"),
    ("read of an untouched page: map the shared zero page (frame {}) read-only; a later "
     "write will copy it",
     "读一个从未访问过的页：只读映射共享的零页（页框 {0}）；以后写它时再复制"),
    ("new anon_vma {} for {}", "为 {1} 新建 anon_vma {0}"),
    ("the other {} page(s): {} more fault(s) ({}); minor {}, major {}",
     "其余 {0} 页：又有 {1} 次缺页（{2}）；次缺页 {3}，主缺页 {4}"),
    ("the other {} page(s): {} more fault(s), all pages were already mapped; minor {}, major {}",
     "其余 {0} 页：又有 {1} 次缺页，所有页都已映射；次缺页 {2}，主缺页 {3}"),
    ("{} x{}", "{0} ×{1}"),
    ("{}, {}", "{0}，{1}"),
    ("do_anonymous_page (zero page)", "do_anonymous_page（零页）"),
    ("do_read_fault (fault-around)", "do_read_fault（预映射）"),
    ("do_read_fault (read from disk)", "do_read_fault（从磁盘读）"),
    ("fault in {} page(s) now (MAP_POPULATE / mlock); private writable pages are broken out "
     "of COW at once", "现在调入 {0} 页（MAP_POPULATE / mlock）；私有可写页立即脱离写时复制"),
    ("fault in the {} mapped page(s) of {} now (MAP_POPULATE / mlock); private writable pages "
     "are broken out of COW at once", "现在调入 {1} 中已映射的 {0} 页（MAP_POPULATE / mlock）；"
     "私有可写页立即脱离写时复制"),
    ("{} GUP fault(s) over {} page(s), {} returned VM_FAULT_RETRY (mmap_sem dropped for the read; "
     "__mm_populate() starts again at that page); every return is counted: minor {}, major {}",
     "{1} 页上发生 {0} 次 GUP 缺页，其中 {2} 次返回 VM_FAULT_RETRY（读盘时释放了 mmap_sem；"
     "__mm_populate() 从该页重新开始）；每次返回都计数：次缺页 {3}，主缺页 {4}"),
    ("{} GUP fault(s) over {} page(s), none returned VM_FAULT_RETRY; every return is counted: "
     "minor {}, major {}", "{1} 页上发生 {0} 次 GUP 缺页，没有返回 VM_FAULT_RETRY 的；"
     "每次返回都计数：次缺页 {2}，主缺页 {3}"),
    ("first malloc() of this thread: _int_malloc({}) for its tcache_perthread_struct ({} + {} "
     "list heads: a {}-byte chunk)", "本线程第一次 malloc()：_int_malloc({0}) 分配它的 "
     "tcache_perthread_struct（{1} + {2} 个链表头：{3} 字节的块）"),
    ("copy on write: frame {} (mapped {} times) copied to new frame {}, mapped writable for "
     "this process only", "写时复制：页框 {0}（被映射 {1} 次）复制到新页框 {2}，只在本进程中映射为可写"),
    ("copy on write: the zero page copied to new frame {}, mapped writable for this process "
     "only", "写时复制：零页复制到新页框 {0}，只在本进程中映射为可写"),
    ("frame {} is mapped only here: no copy, the PTE just becomes writable again",
     "页框 {0} 只映射在这里：不复制，PTE 只是重新变为可写"),
    ("first write to shared file page (frame {}): page_mkwrite lets the filesystem know, the "
     "page is now dirty", "第一次写共享文件页（页框 {0}）：page_mkwrite 通知文件系统，该页现在是脏页"),
    ("private write: copied file page {} (frame {}) to a new anonymous frame {}; the file is "
     "unchanged", "私有写：把文件页 {0}（页框 {1}）复制到新的匿名页框 {2}；文件不变"),
    ("shared write: page-cache frame {} mapped writable and marked dirty; every mapping of the "
     "file sees the write", "共享写：页缓存页框 {0} 映射为可写并标记为脏；该文件的每个映射都能看到这次写"),
    ("filemap_map_pages mapped {} cached page(s) around {} read-only (fault_around_bytes = {})",
     "filemap_map_pages 把 {1} 附近 {0} 个已缓存的页映射为只读（fault_around_bytes = {2}）"),
    ("page {} of {} is in the page cache (frame {})", "{1} 的第 {0} 页在页缓存中（页框 {2}）"),
    ("page {} of {} not cached: read {} page(s) from disk with read-around of pages {} ({}) -> "
     "VM_FAULT_MAJOR; mmap_sem is dropped for the I/O (VM_FAULT_RETRY) and the fault is retried",
     "{1} 的第 {0} 页不在缓存中：从磁盘读 {2} 页，预读第 {3} 页（{4}）-> VM_FAULT_MAJOR；"
     "I/O 期间释放 mmap_sem（VM_FAULT_RETRY），然后重试缺页"),
    ("PG_readahead marks page {}", "PG_readahead 标记第 {0} 页"),
    ("page {} of {} is cached and carries the readahead marker: do_async_mmap_readahead() reads "
     "the next window ({} page(s) from {}); mmap_sem is dropped for the I/O (VM_FAULT_RETRY), "
     "the fault is retried (not a major one)",
     "{1} 的第 {0} 页已缓存且带有预读标记：do_async_mmap_readahead() 读下一个窗口"
     "（从 {3} 起 {2} 页）；I/O 期间释放 mmap_sem（VM_FAULT_RETRY），重试缺页（不算主缺页）"),
    ("swap entry {}: read the page back from swap into frame {} (a major fault)",
     "交换项 {0}：从交换区把页读回页框 {1}（主缺页）"),
    ("page-table walk of {}: {}", "{0} 的页表遍历：{1}"),
    ("{} is in the kernel half", "{0} 在内核空间"),
    ("kernel code, running on behalf of task {} with its page tables loaded (CR3), {} {}",
     "内核代码代表任务 {0} 运行（CR3 装着它的页表），{1} {2}"),
    ("reads", "读"), ("writes", "写"), ("read", "读"), ("write", "写"), ("execute", "执行"),
    ("this process's PGD lacked entry {} for the vmalloc area: copied it from init_mm's PGD "
     "(set_pgd); the access is retried",
     "本进程的 PGD 缺少 vmalloc 区的第 {0} 项：从 init_mm 的 PGD 复制过来（set_pgd），重试访问"),
    ("{} at {} in init_mm's page tables ({} frame(s)); other processes' PGDs do not have this "
     "entry yet", "{0}，位于 {1}，在 init_mm 的页表中（{2} 个页框）；其他进程的 PGD 还没有这一项"),
    ("user access to {}: the kernel half is not accessible from user mode -> SIGSEGV ({})",
     "用户态访问 {0}：用户态不能访问内核空间 -> SIGSEGV（{1}）"),
    ("{} is below that VMA and it is not a stack -> SIGSEGV ({})",
     "{0} 在该 VMA 之下，而它不是栈 -> SIGSEGV（{1}）"),
    ("the stack cannot grow this far -> SIGSEGV ({})", "栈不能增长到这么远 -> SIGSEGV（{0}）"),
    ("{} not allowed by {} -> SIGSEGV ({})", "{1} 不允许{0} -> SIGSEGV（{2}）"),
    ("{} ({}) at {} to task {}: the default action kills it",
     "向任务 {3} 发送 {0}（{1}），地址 {2}：默认动作是终止它"),
    ("{} ({}) to task {}: the default action kills it",
     "向任务 {2} 发送 {0}（{1}）：默认动作是终止它"),
    ("[stack] grows down by {} page(s): vm_start {} -> {}; {} page(s) charged to Committed_AS",
     "[stack] 向下增长 {0} 页：vm_start {1} -> {2}；{3} 页计入 Committed_AS"),
    ("stack would be {}, over RLIMIT_STACK ({})", "栈将达到 {0}，超过 RLIMIT_STACK（{1}）"),
    # ---- mmap, munmap, mprotect, brk
    ("len rounded to {}; asks get_unmapped_area for a place",
     "长度向上取整为 {0}；向 get_unmapped_area 要一个位置"),
    ("takes mmap_sem for writing, calls do_mmap", "以写方式获取 mmap_sem，调用 do_mmap"),
    ("vm_unmapped_area (top-down below mmap_base {}): the highest free gap of {} ends at {}, "
     "so the mapping starts at {}",
     "vm_unmapped_area（从 mmap_base {0} 向下）：{1} 的最高空闲间隙结束于 {2}，所以映射从 {3} 开始"),
    ("the hint {} is free: use it", "提示地址 {0} 空闲：就用它"),
    ("MAP_FIXED: use {} as given", "MAP_FIXED：按给定地址使用 {0}"),
    ("MAP_FIXED over existing mappings: unmap them first", "MAP_FIXED 覆盖已有映射：先解除它们"),
    ("MAP_FIXED_NOREPLACE but {} is there: EEXIST", "MAP_FIXED_NOREPLACE，但 {0} 已存在：EEXIST"),
    ("new vm_area_struct {} linked into mm->mmap and mm->mm_rb (map_count {})",
     "新的 vm_area_struct {0} 链入 mm->mmap 和 mm->mm_rb（map_count {1}）"),
    ("merged with the VMA after (new + next): now {}", "与后面的 VMA 合并（新 VMA + next）：现在是 {0}"),
    ("merged with the VMA before (prev + new + next): now {}",
     "与前后的 VMA 合并（prev + 新 VMA + next）：现在是 {0}"),
    ("merged with the VMA before (prev + new): now {}", "与前面的 VMA 合并（prev + 新 VMA）：现在是 {0}"),
    ("offset {} is not a multiple of the page size: EINVAL", "偏移 {0} 不是页大小的整数倍：EINVAL"),
    ("unmap {}", "解除映射 {0}"),
    ("removed {} VMA(s); their pages and emptied page tables are freed",
     "删除 {0} 个 VMA；释放它们的页和清空的页表"),
    ("freed {} page-table page(s)", "释放 {0} 个页表页"),
    ("split {} at {}", "在 {1} 处拆分 {0}"),
    ("{} now {}", "{0} 现在是 {1}"),
    ("rewrote {} PTE(s); private pages stay read-only in the PTE until a write fault (COW rules)",
     "重写 {0} 个 PTE；私有页在 PTE 中保持只读，直到写缺页（写时复制规则）"),
    ("sbrk(0): the break is {}", "sbrk(0)：program break 在 {0}"),
    ("brk({}): current break {}", "brk({0})：当前 break 为 {1}"),
    ("[heap] grows to {}", "[heap] 增长到 {0}"),
    ("new [heap] VMA {}", "新的 [heap] VMA {0}"),
    ("shrank: [heap] now ends at {}", "收缩：[heap] 现在结束于 {0}"),
    ("shared anonymous memory is a file on an internal tmpfs: {}",
     "共享匿名内存是内部 tmpfs 上的一个文件：{0}"),
    ("created {} ({} bytes, inode {}); nothing of it is in the page cache yet",
     "创建 {0}（{1} 字节，inode {2}）；页缓存中还没有它的任何内容"),
    # ---- glibc malloc
    ("malloc({}): chunk of {} bytes cut from the top of the heap at {}; {} bytes left in the top "
     "chunk", "malloc({0})：从堆顶切出 {1} 字节的块，位于 {2}；top chunk 还剩 {3} 字节"),
    ("malloc({}): the top chunk is too small: sbrk({}) (request + M_TOP_PAD 128K, page-aligned)",
     "malloc({0})：top chunk 太小：sbrk({1})（请求 + M_TOP_PAD 128K，按页对齐）"),
    ("malloc({}): the top chunk is too small and {} >= M_MMAP_THRESHOLD ({}): a mapping of its "
     "own, mmap({})", "malloc({0})：top chunk 太小且 {1} >= M_MMAP_THRESHOLD（{2}）：单独映射，mmap({3})"),
    ("malloc({}): reused a free chunk at {} in the heap: no system call",
     "malloc({0})：复用堆中 {1} 处的空闲块：没有系统调用"),
    ("free({}): a mmapped chunk goes back with munmap", "free({0})：mmap 得到的块用 munmap 归还"),
    ("free({}): chunk of {} bytes kept on a free list for reuse: no system call",
     "free({0})：{1} 字节的块留在空闲链表中以便复用：没有系统调用"),
    ("free({}): merged into the top chunk ({} bytes)", "free({0})：并入 top chunk（{1} 字节）"),
    ("dynamic threshold: M_MMAP_THRESHOLD raised to {} (the size of this chunk), "
     "M_TRIM_THRESHOLD to {}",
     "动态阈值：M_MMAP_THRESHOLD 提高到 {0}（这个块的大小），M_TRIM_THRESHOLD 提高到 {1}"),
    # ---- processes
    ("new task {} ({}), child of {}", "新任务 {0}（{1}），{2} 的子进程"),
    ("copied {} VMA(s); copy_page_range copied {} PTE(s) - private pages are now shared "
     "read-only by both processes (COW); file-only VMAs are left for the child to fault in",
     "复制了 {0} 个 VMA；copy_page_range 复制了 {1} 个 PTE —— 私有页现在由两个进程只读共享"
     "（写时复制）；纯文件 VMA 留给子进程缺页时再调入"),
    ("switch to task {}: CR3 now points at its PGD (frame {})",
     "切换到任务 {0}：CR3 现在指向它的 PGD（页框 {1}）"),
    ("task {} exits ({}): exit_mmap tears down {} VMA(s)", "任务 {0} 退出（{1}）：exit_mmap 拆除 {2} 个 VMA"),
    ("exit", "正常退出"),
    ("new process {} running {}; it runs now", "新进程 {0} 运行 {1}；它现在开始运行"),
    ("task {} policy is now {}", "任务 {0} 的内存策略现在是 {1}"),
    ("task {} now runs on CPU {} (node {}); local allocations come from node {}",
     "任务 {0} 现在运行在 CPU {1}（节点 {2}）上；本地分配来自节点 {3}"),
    ("mlockall({}): every VMA gets VM_LOCKED now; mm->def_flags |= VM_LOCKED: every later "
     "mapping is locked too",
     "mlockall({0})：现在每个 VMA 都得到 VM_LOCKED；mm->def_flags |= VM_LOCKED：以后的映射也被锁定"),
    ("{} page(s) back on the evictable LRU", "{0} 页回到可回收的 LRU 链表"),
    # ---- reclaim
    ("time passes: every CPU drains its LRU batches ({} page(s) reach their lists)",
     "时间流逝：每个 CPU 清空它的 LRU 批次（{0} 页进入各自的链表）"),
    # the multi-gen LRU (mm/lru_gen.py, mm/workingset.c)
    ("aging on node {} ({}): walk_mm walked {} mm(s) and {} PTEs, cleared the accessed bit of "
     "{}; folio_update_gen promoted {} page(s) to generation {}; inc_max_seq: max_seq {} -> {}, "
     "min_seq anon {} -> {}, file {} -> {}",
     "节点 {0} 的老化（{1}）：walk_mm 遍历了 {2} 个 mm、{3} 个 PTE，清除了其中 {4} 个的访问位；"
     "folio_update_gen 把 {5} 页提升到第 {6} 代；inc_max_seq：max_seq {7} -> {8}，min_seq "
     "匿名 {9} -> {10}，文件 {11} -> {12}"),
    ("low on cold pages", "冷页不足"), ("by hand", "手动"),
    ("evict_folios x{} on node {} (swappiness {}, {} first, tiers above {} protected): "
     "sort_folio kept {} back, shrink_page_list reclaimed {}; min_seq anon {} file {}, "
     "max_seq {}",
     "节点 {1} 上 evict_folios x{0}（swappiness {2}，先回收{3}页，高于第 {4} 层的受保护）："
     "sort_folio 留下 {5} 页，shrink_page_list 回收 {6} 页；min_seq 匿名 {7} 文件 {8}，"
     "max_seq {9}"),
    ("evict_folios x{} on node {} (by hand, up to generation {}, swappiness {}): sort_folio "
     "kept {} back, shrink_page_list reclaimed {}; min_seq anon {} file {}, max_seq {}",
     "节点 {1} 上 evict_folios x{0}（手动，直到第 {2} 代，swappiness {3}）：sort_folio 留下 "
     "{4} 页，shrink_page_list 回收 {5} 页；min_seq 匿名 {6} 文件 {7}，max_seq {8}"),
    ("[{}] priority {}: lru_gen_shrink_node (swappiness {}) isolated {} anon and {} file "
     "page(s) from the oldest generations, reclaimed {}; min_seq anon {} file {}, max_seq {}",
     "[{0}] 优先级 {1}：lru_gen_shrink_node（swappiness {2}）从最老的几代中隔离了 {3} 个匿名页和 "
     "{4} 个文件页，回收 {5} 页；min_seq 匿名 {6} 文件 {7}，max_seq {8}"),
    ("kswapd{}: the oldest generation ({}) is {} ms old, younger than min_ttl_ms {}: evicting "
     "it would thrash the working set, so out_of_memory() kills instead",
     "kswapd{0}：最老的一代（{1}）只有 {2} ms，比 min_ttl_ms {3} 年轻：回收它会让工作集颠簸，"
     "所以改由 out_of_memory() 杀进程"),
    ("a page of type {} refaults from generation {}, {} or more behind max_seq {}: not recent "
     "(lru_gen_test_recent)",
     "一个{0}页从第 {1} 代重新缺页，落后 max_seq {3} 至少 {2} 代：不算近期（lru_gen_test_recent）"),
    ("a page of type {} refaults from generation {} (max_seq {}): tier {} counts a refault for "
     "the PID controller, PG_workingset restored",
     "一个{0}页从第 {1} 代重新缺页（max_seq {2}）：第 {3} 层为 PID 控制器记一次重新缺页，"
     "恢复 PG_workingset"),
    ("a page of type {} refaults from generation {} (max_seq {}): tier {} counts a refault for "
     "the PID controller",
     "一个{0}页从第 {1} 代重新缺页（max_seq {2}）：第 {3} 层为 PID 控制器记一次重新缺页"),
    ("generation {} + MIN_NR_GENS ({}) is beyond max_seq {}",
     "第 {0} 代加上 MIN_NR_GENS（{1}）超过了 max_seq {2}"),
    ("generation {} is beyond max_seq {}", "第 {0} 代超过了 max_seq {1}"),
    ("generation {} has been aged already", "第 {0} 代已经老化过了"),
    ("no memcg {}: memory cgroups are disabled, the only memcg id is 0",
     "没有 memcg {0}：内存控制组未启用，唯一的 memcg id 是 0"),
    ("no memory node {}", "没有内存节点 {0}"),
    ("swappiness {} is above {}", "swappiness {0} 大于 {1}"),
    ("unknown lru_gen command {}: expected + or -", "未知的 lru_gen 命令 {0}：应为 + 或 -"),
    ("Linux {} has no multi-gen LRU (it came in 6.1): there is no /sys/kernel/debug/lru_gen; "
     "its reclaim is the active/inactive lists (set kernel = \"6.18\" to have lru_gen)",
     "Linux {0} 没有多代 LRU（6.1 才引入）：没有 /sys/kernel/debug/lru_gen；它的回收用活跃/非活跃"
     "链表（设置 kernel = \"6.18\" 才有 lru_gen）"),
    ("the multi-gen LRU is switched off (lru_gen = false): its generations are empty",
     "多代 LRU 已关闭（lru_gen = false）：它的各代是空的"),
    ("lru_gen: min_seq anon {} file {}, max_seq {}",
     "lru_gen：min_seq 匿名 {0} 文件 {1}，max_seq {2}"),
    ("generation {}: anon {}, file {}", "第 {0} 代：匿名 {1}，文件 {2}"),
    ("zone {} is below its low watermark (free {}, low {}): wake {}",
     "内存区 {0} 低于它的 low 水位线（空闲 {1}，low {2}）：唤醒 {3}"),
    ("{} runs: balance_pgdat reclaims node {} until a zone up to {} is above its high watermark "
     "({})", "{0} 运行：balance_pgdat 回收节点 {1}，直到不高于 {2} 的某个内存区高于 high 水位线（{3}）"),
    ("{} free {} high {}", "{0} 空闲 {1} high {2}"),
    ("{}; {}", "{0}；{1}"),
    ("[{}] priority {}: get_scan_count {} (swappiness {}); scanned {}; reclaimed {}",
     "[{0}] 优先级 {1}：get_scan_count {2}（swappiness {3}）；扫描 {4}；回收 {5}"),
    ("nothing", "无"),
    ("{} scanned {}, reclaimed {} ({}); node balanced ({}): kswapd sleeps",
     "{0} 扫描 {1}，回收 {2}（{3}）；节点已平衡（{4}）：kswapd 睡眠"),
    ("{} scanned {}, reclaimed {}; node balanced ({}): kswapd sleeps",
     "{0} 扫描 {1}，回收 {2}；节点已平衡（{3}）：kswapd 睡眠"),
    ("{} anon swapped out", "{0} 个匿名页换出"), ("{} file dropped", "{0} 个文件页丢弃"),
    ("{} anon swapped out, {} file dropped", "{0} 个匿名页换出，{1} 个文件页丢弃"),
    ("{} {} but the node is not balanced ({}); {} run(s) without progress",
     "{0} {1}，但节点未平衡（{2}）；{3} 次运行没有进展"),
    ("while the step ran, {} was woken and ran {} time(s): scanned {}, reclaimed {} page(s) "
     "(pswpout now {}, pgsteal_kswapd {})",
     "这一步运行期间，{0} 被唤醒并运行了 {1} 次：扫描 {2}，回收 {3} 页（pswpout 现为 {4}，"
     "pgsteal_kswapd {5}）"),
    ("while the step ran, {} allocation(s) found no zone above its min watermark after kswapd's "
     "turn and reclaimed directly (allocstall): scanned {}, reclaimed {} page(s)",
     "这一步运行期间，{0} 次分配在 kswapd 之后仍找不到高于 min 水位线的内存区，于是直接回收"
     "（allocstall）：扫描 {1}，回收 {2} 页"),
    ("page {} of {} refaults after {} eviction(s), more than the {} active file pages: it starts "
     "inactive", "{1} 的第 {0} 页在 {2} 次驱逐之后重新缺页，多于 {3} 个活跃文件页：它从非活跃链表开始"),
    ("page {} of {} refaults after only {} eviction(s) (active file list: {}): it was part of the "
     "working set, so it starts on the active list",
     "{1} 的第 {0} 页仅在 {2} 次驱逐之后就重新缺页（活跃文件链表：{3}）：它属于工作集，所以直接进入活跃链表"),
    ("freed {} clean, unmapped page-cache page(s); dirty, mapped and locked pages stay",
     "释放 {0} 个干净、未映射的页缓存页；脏页、已映射和已锁定的页保留"),
    ("watermarks recomputed (pages): {}", "重新计算水位线（页）：{0}"),
    ("{}:{} min {} low {} high {}", "{0}:{1} min {2} low {3} high {4}"),
    # ---- OOM
    ("{} invoked oom-killer: gfp_mask={}, order={}, oom_score_adj={} ({}, {} pages of RAM and "
     "swap)", "{0} 触发 OOM 杀手（oom-killer）：gfp_mask={1}，order={2}，oom_score_adj={3}（{4}，内存和交换区共 {5} 页）"),
    ("oom_badness of each process: {}", "每个进程的 oom_badness：{0}"),
    ("Out of memory: Killed process {} - the highest oom_badness {} (of {} pages of RAM+swap): "
     "rss {} page(s), swap {}, page tables {}",
     "Out of memory: Killed process {0} —— oom_badness 最高 {1}（内存+交换区共 {2} 页）："
     "rss {3} 页，交换 {4}，页表 {5}"),
    ("reaped process {} ({}): {} page(s) ({}) back to the buddy allocator, {} swap slot(s) freed",
     "回收进程 {0}（{1}）的内存：{2} 页（{3}）还给伙伴分配器，释放 {4} 个交换槽"),
    ("no zone above its min watermark and reclaim made no progress: out_of_memory()",
     "没有内存区高于 min 水位线，回收也没有进展：out_of_memory()"),
    ("no zone above its min watermark and reclaim made no progress: the allocation fails (no "
     "OOM killer for it)", "没有内存区高于 min 水位线，回收也没有进展：分配失败（这种分配不触发 OOM 杀手）"),
    ("out of memory: reclaim could not free a page", "内存耗尽：回收释放不出任何一页"),
    # ---- system calls that fail, results
    ("the call fails with {}: {}", "调用失败，返回 {0}：{1}"),
    ("{} overlaps an existing mapping", "{0} 与已有映射重叠"),
    ("offset {} is not page-aligned", "偏移 {0} 不是按页对齐的"),
    ("Committed_AS would reach CommitLimit ({} kB, {} kB after the reserves) with "
     "vm.overcommit_memory={}", "Committed_AS 将达到 CommitLimit（{0} kB，扣除保留后 {1} kB），"
     "vm.overcommit_memory={2}"),
    ("the kernel half is not accessible from user mode", "用户态不能访问内核空间"),
    ("{} is below that VMA and it is not a stack", "{0} 在该 VMA 之下，而它不是栈"),
    ("the stack cannot grow this far", "栈不能增长到这么远"),
    ("{} access to a {} mapping", "对 {1} 映射的{0}访问"),
    ("general protection fault: {}", "一般保护异常：{0}"),
    ("non-canonical address", "非规范地址"),
    ("ok: {}", "成功：{0}"),
    ("{} ({}) at {}: {}", "{0}（{1}），地址 {2}：{3}"),
    ("{} ({}) at {}", "{0}（{1}），地址 {2}"),
    ("{} fails: {}", "{0} 失败：{1}"),
    # ---- sysctl, /proc reads, boot
    ("read {}", "读 {0}"),
    ("appended to {}: read at boot (systemd-sysctl) and by `sysctl -p`",
     "追加到 {0}：启动时（systemd-sysctl）和 `sysctl -p` 会读取它"),
    ("applies {} and {} at boot", "启动时应用 {0} 和 {1}"),
    ("the machine reboots: memory, swap and every process start afresh; files on disk and /etc stay",
     "机器重启：内存、交换区和所有进程都重新开始；磁盘上的文件和 /etc 保留"),
    # ---- segmentation
    ("{} <- {}: index {}, TI={} ({}), RPL={}", "{0} <- {1}：索引 {2}，TI={3}（{4}），RPL={5}"),
    ("{} <- {}: index within table, type, privilege, present ok",
     "{0} <- {1}：索引在表内、类型、特权级、存在位均通过"),
    ("{}:{} -> linear {} (base {}, {} mode)", "{0}:{1} -> 线性地址 {2}（基址 {3}，{4}模式）"),
    ("64-bit", "64 位"), ("protected", "保护"),
    ("{} is not canonical (bits {} differ): #GP", "{0} 不是规范地址（第 {1} 位不一致）：#GP"),
    ("#GP({}): {}; force_sig(SIGSEGV), si_code SI_KERNEL", "#GP({0})：{1}；force_sig(SIGSEGV)，si_code SI_KERNEL"),
    ("non-canonical address {}", "非规范地址 {0}"),
    ("memory access through a null selector in {}", "通过 {0} 中的空选择子访问内存"),
    ("selector {} is not a code segment", "选择子 {0} 不是代码段"),
    ("privilege: DPL {} < max(CPL {}, RPL {})", "特权级：DPL {0} < max(CPL {1}, RPL {2})"),
    ("GDT entry {} ({}) = {}", "GDT 第 {0} 项（{1}）= {2}"),
    ("base {} limit {} G={} type {} ({}) S={} DPL={} P={} D/B={} L={}",
     "基址 {0} 界限 {1} G={2} 类型 {3}（{4}）S={5} DPL={6} P={7} D/B={8} L={9}"),
    ("code, execute/read, non-conforming, accessed", "代码段，执行/读，非一致，已访问"),
    ("code, execute/read, non-conforming, not accessed", "代码段，执行/读，非一致，未访问"),
    ("data, read/write, expand-up, accessed", "数据段，读/写，向上扩展，已访问"),
    ("data, read/write, expand-up, not accessed", "数据段，读/写，向上扩展，未访问"),
    ("GDT_ENTRY_TLS_MIN (glibc's TLS)", "GDT_ENTRY_TLS_MIN（glibc 的 TLS）"),
    ("CPU: Intel SDM Vol. 3A 3.4, 5.5-5.8 (segmentation unit)", "CPU：Intel SDM 卷 3A 3.4、5.5-5.8（分段单元）"),
    ("GDT lookup", "查 GDT"), ("segment checks", "段检查"), ("linear address", "线性地址"),
    ("kernel mode", "内核态"), ("return", "返回"), ("exit status 1", "退出状态 1"),
    ("aggregated", "汇总"), ("{} more events not shown", "另有 {0} 个事件未显示"),
    # ---- the page-table walk pane's notes
    ("-> {} table at frame {}", "-> {0} 表，页框 {1}"),
    ("-> frame {}", "-> 页框 {0}"),
    ("no {} table here", "这里没有 {0} 表"),
    ("none at {}", "{0} 一级不存在"),
    ("a {} page (PSE): the walk ends here, the low {} bits are the offset",
     "{0} 的大页（PSE）：遍历到此结束，低 {1} 位是偏移"),
    ("mapped ({} page)", "已映射（{0} 页）"),
    ("{}-bit, {} levels · {}", "{0} 位，{1} 级 · {2}"),
    ("pid {} · {}-bit, {} levels · {}", "pid {0} · {1} 位，{2} 级 · {3}"),
    ("{} VMAs · top {} levels", "{0} 个 VMA · 顶部 {1} 层"),
    ("{} lines · RSS per VMA", "{0} 行 · 每个 VMA 的 RSS"),
    ("{} MiB · {} node(s)", "{0} MiB · {1} 个节点"),
    ("({} more counters are 0)", "（另有 {0} 个计数器为 0）"),
    ("nothing touched yet", "还没有访问"),
    # ---- `walk` and `show` teaching views (line by line)
    ("walk {} ({}, {}-level paging, CR3 -> PGD frame {})", "遍历 {0}（{1}，{2} 级分页，CR3 -> PGD 页框 {3}）"),
    ("walk {} ({}, {}-level paging)", "遍历 {0}（{1}，{2} 级分页）"),
    ("{} = {} | offset {}", "{0} = {1} | 偏移 {2}"),
    ("{} bits {} index {}  table frame {}  entry {}  [{}]  {}",
     "{0} 位 {1} 索引 {2}  表页框 {3}  表项 {4}  [{5}]  {6}"),
    ("offset bits 11-0 = {}; physical address {}", "偏移位 11-0 = {0}；物理地址 {1}"),
    ("offset bits 11-0 = {}; stopped: {}", "偏移位 11-0 = {0}；停止：{1}"),
    ("swap", "在交换区"), ("kernel", "内核"), ("protnone", "PROT_NONE"),
    ("node {}: {} free pages; watermarks (all zones) min {} low {} high {}",
     "节点 {0}：{1} 个空闲页；水位线（所有内存区合计）min {2} low {3} high {4}"),
    ("{}: {}; woken {} time(s), ran {}, scanned {}, reclaimed {}",
     "{0}：{1}；被唤醒 {2} 次，运行 {3} 次，扫描 {4}，回收 {5}"),
    ("last run: {}", "上一次运行：{0}"),
    ("{}: {}-bit virtual addresses, {}-level paging ({}, {} index bits + {} offset bits)",
     "{0}：{1} 位虚拟地址，{2} 级分页（{3}，{4} 位索引 + {5} 位偏移）"),
    ("logical address {} ({}, {}, {}, {} mode)", "逻辑地址 {0}（{1}，{2}，{3}，{4}模式）"),
    ("user mode", "用户态"),
    ("scanned {}, reclaimed {} ({})", "扫描 {0}，回收 {1}（{2}）"),
    ("scanned {}, reclaimed {}", "扫描 {0}，回收 {1}"),
    # `segment`: the CPU's steps from a logical to a linear address
    ("{}. selector {} = {}: index {}, TI={} ({}), RPL={}", "{0}. 选择子 {1} = {2}：索引 {3}，TI={4}（{5}），RPL={6}"),
    ("{}. GDT ({}) at {}, limit {}: entry {} ({}) at {} (address {}), {} <= {}: ok",
     "{0}. GDT（{1}）位于 {2}，界限 {3}：第 {4} 项（{5}）在 {6}（地址 {7}），{8} <= {9}：通过"),
    ("{}. null selector: loading it into {} is allowed; no table, descriptor or checks (steps {})",
     "{0}. 空选择子：可以装入 {1}；没有表、描述符和检查（第 {2} 步）"),
    ("{}. descriptor {}", "{0}. 描述符 {1}"),
    ("{}. checks (far jmp into cs):", "{0}. 检查（far jmp 装入 cs）："),
    ("{}. checks (loading {}):", "{0}. 检查（装入 {1}）："),
    ("{}. the access: {} {} byte at offset {}", "{0}. 访问：{1} {2} 字节，偏移 {3}"),
    ("{}. linear = base + offset = {}", "{0}. 线性地址 = 基址 + 偏移 = {1}"),
    ("{}. linear = {}", "{0}. 线性地址 = {1}"),
    ("{} is loaded into {} (movw %ax, %{})", "{0} 被装入 {1}（movw %ax, %{2}）"),
    ("far jmp {} loads the selector into cs", "far jmp {0} 把选择子装入 cs"),
    ("{} = {} in user mode", "用户态下 {0} = {1}"),
    ("64-bit mode: fs uses FS.base (MSR_FS_BASE, set by arch_prctl(ARCH_SET_FS)) = {}; no limit check",
     "64 位模式：fs 使用 FS.base（MSR_FS_BASE，由 arch_prctl(ARCH_SET_FS) 设置）= {0}；不检查界限"),
    ("64-bit mode: gs uses GS.base (MSR_GS_BASE) = {}; no limit check",
     "64 位模式：gs 使用 GS.base（MSR_GS_BASE）= {0}；不检查界限"),
    ("64-bit mode: the base and limit of {} are ignored (base 0), no type or limit checks",
     "64 位模式：{0} 的基址和界限被忽略（基址为 0），不检查类型和界限"),
    ("accessed bit: the CPU sets it in GDT entry {} (type {})", "已访问位：CPU 在 GDT 第 {0} 项中置位它（类型 {1}）"),
    ("base {}, limit {}, G={} ({} units) -> last byte {}", "基址 {0}，界限 {1}，G={2}（以 {3} 为单位）-> 最后一个字节 {4}"),
    ("canonical: {} must sign-extend bit {} ({}-bit addresses): ok", "规范性：{0} 必须对第 {1} 位做符号扩展（{2} 位地址）：通过"),
    ("limit: {} <= limit {}: ok", "界限：{0} <= 界限 {1}：通过"),
    ("present: P=1: ok", "存在：P=1：通过"),
    ("privilege: max(CPL {}, RPL {}) = {} <= DPL {}: ok", "特权级：max(CPL {0}, RPL {1}) = {2} <= DPL {3}：通过"),
    ("privilege: non-conforming code: RPL {} <= CPL {}, DPL {} == CPL {}: ok",
     "特权级：非一致代码段：RPL {0} <= CPL {1}，DPL {2} == CPL {3}：通过"),
    ("type {}: {}", "类型 {0}：{1}"),
    ("type: {} must be code: ok", "类型：{0}，必须是代码段：通过"),
    ("type: {}: {} takes data or readable code: ok", "类型：{0}：{1} 接受数据段或可读代码段：通过"),
    ("type: read needs data or readable code: ok", "类型：读需要数据段或可读代码段：通过"),
    ("type: write needs writable data ({}): ok", "类型：写需要可写数据段（{0}）：通过"),
    # `show layout`
    ("kernel half (3G/1G split):", "内核空间（3G/1G 划分）："),
    ("kernel half ({} in {}):", "内核空间（{0}，{1}）："),
    ("mapped: {} in {} VMA(s), {} of the user half", "已映射：{1} 个 VMA 共 {0}，占用户空间的 {2}"),
    ("pid {} ({}), top down:", "pid {0}（{1}），从高到低："),
    ("regions:", "区域："),
    ("{} (nothing maps below it)", "{0}（其下不能映射任何东西）"),
    ("{} (top-down mmap starts below it)", "{0}（自顶向下的 mmap 从其下开始）"),
    ("{} (end of the user half)", "{0}（用户空间的末端）"),
    ("[stack] bottom ({}; grows down)", "[stack] 底部（{0}；向下增长）"),
    ("[stack] top", "[stack] 顶部"),
    ("brk (heap {})", "brk（堆 {0}）"),
    ("{} - 4 kB", "{0} - 4 kB"),
    # the command language's errors (at `:` in the TUI)
    ("unknown command {=}: did you mean {=}?", "未知命令 {0}：是不是要输入 {1}？"),
    ("unknown command {=}: expected one of {=}", "未知命令 {0}：应为以下之一：{1}"),
    ("unknown mmap flag {=}: expected a comma list of {=}", "未知的 mmap 标志 {0}：应为逗号分隔的 {1}"),
    ("bad size {=} ({=} is not a unit: use K, M, G or T): expected a number like 4096, 4K, 1M, "
     "2G or 0x2000", "大小 {0} 不对（{1} 不是单位：请用 K、M、G 或 T）：应为 4096、4K、1M、2G 或 0x2000 这样的数"),
    ("bad size {=}: expected a number like 4096, 4K, 1M, 2G or 0x2000",
     "大小 {0} 不对：应为 4096、4K、1M、2G 或 0x2000 这样的数"),
    ("bad address {=}: expected a number (0x7f0000) or a name {=}",
     "地址 {0} 不对：应为数字（0x7f0000）或名字 {1}"),
    ("bad protection {=}: expected r, rw, rx, rwx, none (or rw-, r-x)",
     "保护属性 {0} 不对：应为 r、rw、rx、rwx、none（或 rw-、r-x）"),
    ("bad protection {=}: expected r, rw, rx, rwx, none (or {=}",
     "保护属性 {0} 不对：应为 r、rw、rx、rwx、none（或 {1}"),
    ("unknown command {=}: did you mean {=} or {=} or {=}?",
     "未知命令 {0}：是不是要输入 {1}、{2} 或 {3}？"),
    ("unknown command {=}: did you mean {=} or {=}?", "未知命令 {0}：是不是要输入 {1} 或 {2}？"),
    # what a command still needs (lang.py's _need: "expected " + what)
    ("expected a length (SIZE, e.g. 8K)", "缺少长度（SIZE，例如 8K）"),
    ("expected the new length (SIZE)", "缺少新长度（SIZE）"),
    ("expected a protection (r, rw, rx, rwx, none)", "缺少保护属性（r、rw、rx、rwx、none）"),
    ("expected flags (e.g. private,anon)", "缺少标志（例如 private,anon）"),
    ("expected an address (ADDR, e.g. buf or 0x7f0000)", "缺少地址（ADDR，例如 buf 或 0x7f0000）"),
    ("expected a delta (SIZE, may be negative: -8K)", "缺少增量（SIZE，可为负：-8K）"),
    ("expected a size (SIZE)", "缺少大小（SIZE）"),
    ("expected a value after '='", "'=' 之后缺少值"),
    ("expected a PID or a name", "缺少 PID 或名字"),
    ("expected a file name", "缺少文件名"),
    ("expected advice (dontneed, willneed, free)", "缺少建议（dontneed、willneed、free）"),
    ("expected a policy (local, interleave=0,1, bind=1, preferred=1)",
     "缺少策略（local、interleave=0,1、bind=1、preferred=1）"),
    ("expected a node number", "缺少节点编号"),
    ("expected KEY=VALUE (e.g. vm.swappiness=10)", "缺少 KEY=VALUE（例如 vm.swappiness=10）"),
    ("expected SELECTOR:OFFSET (e.g. 0x2b:0x401000)", "缺少 SELECTOR:OFFSET（例如 0x2b:0x401000）"),
    ("expected what to show ({=})", "缺少要显示的内容（{0}）"),
    ("expected a command after sudo", "sudo 之后缺少命令"),
    ("expected a file after {=}", "{0} 之后缺少文件"),
    # a word that does not fit
    ("a mapping needs a file (file=NAME) or the anon flag", "映射需要文件（file=NAME）或 anon 标志"),
    ("unexpected {=}: expected file=NAME, offset=SIZE or addr=ADDR",
     "多余的 {0}：应为 file=NAME、offset=SIZE 或 addr=ADDR"),
    ("unexpected {=}: expected maymove or fixed=ADDR", "多余的 {0}：应为 maymove 或 fixed=ADDR"),
    ("unexpected {=}: expected '= VALUE'", "多余的 {0}：应为 '= VALUE'"),
    ("bad value {=}: expected a whole number", "值 {0} 不对：应为整数"),
    ("bad node {=}: expected a whole number", "节点 {0} 不对：应为整数"),
    ("bad tick count {=}: expected a whole number", "tick 次数 {0} 不对：应为整数"),
    ("tick count must be 1..1000000", "tick 次数应在 1..1000000 之间"),
    ("unknown advice {=}: expected dontneed, willneed or free",
     "未知的建议 {0}：应为 dontneed、willneed 或 free"),
    ("expected KEY=VALUE, got {=}", "应为 KEY=VALUE，实际是 {0}"),
    ("expected SELECTOR:OFFSET, got {=}", "应为 SELECTOR:OFFSET，实际是 {0}"),
    ("cannot show {=}: expected one of {=}", "无法显示 {0}：应为以下之一：{1}"),
    ("cannot show frames of {=}: expected a node (0, node1), a zone (DMA, DMA32, Normal, "
     "Movable, or 1:Normal) or a pfn range LO-HI (0xfc00-0xfd00)",
     "无法显示 {0} 的页框：应为节点（0、node1）、区域（DMA、DMA32、Normal、Movable 或 "
     "1:Normal）或 pfn 范围 LO-HI（0xfc00-0xfd00）"),
    ("{=} cannot be a name: use letters, digits and _", "{0} 不能作为名字：请用字母、数字和 _"),
    ("byte {=} is not UTF-8 text", "字节 {0} 不是 UTF-8 文本"),
    # an unknown name (execute.py), found when the line runs
    ("unknown name {=} (names so far: none yet)", "未知的名字 {0}（目前还没有名字）"),
    ("unknown name {=} (names so far: {=})", "未知的名字 {0}（已有的名字：{1}）"),
    ("{=} has no value: {}", "{0} 没有值：{1}"),
    # the Linux commands' own checks (shell.py)
    ("{=}: pipes and other shell operators are not simulated; run one command at a time",
     "{0}：不模拟管道和其他 shell 运算符；请一次运行一条命令"),
    ("sudo {=}: only the Linux commands (see `help`) run under sudo here",
     "sudo {0}：这里只有 Linux 命令（见 `help`）可以在 sudo 下运行"),
    ("{=}: output redirection is simulated for echo only", "{0}：只为 echo 模拟了输出重定向"),
    ("{=}: unknown option {=}: expected {=}", "{0}：未知选项 {1}：应为 {2}"),
    ("free: unknown option {=}: expected -b, -k, -m, -g, -h, -t or -w (free ADDR is glibc's "
     "free)", "free：未知选项 {0}：应为 -b、-k、-m、-g、-h、-t 或 -w（free ADDR 是 glibc 的 free）"),
    ("help: one command at a time", "help：一次一条命令"),
    ("reboot takes no arguments", "reboot 不带参数"),
    ("vmstat DELAY without COUNT never ends: give a COUNT (vmstat 1 5)",
     "只有 DELAY 没有 COUNT 的 vmstat 永不结束：请给出 COUNT（vmstat 1 5）"),
    ("vmstat: expected DELAY and COUNT (whole numbers), got {=}",
     "vmstat：应为 DELAY 和 COUNT（整数），实际是 {0}"),
    ("vmstat: expected at most DELAY and COUNT", "vmstat：最多给出 DELAY 和 COUNT"),
    ("vmstat: COUNT must be 1..1000 and DELAY x COUNT at most 1000000 ticks",
     "vmstat：COUNT 应在 1..1000 之间，DELAY x COUNT 最多 1000000 个 tick"),
    ("pmap: expected a PID (pmap -x 1)", "pmap：缺少 PID（pmap -x 1）"),
    ("pmap: unknown option {=}: expected -x", "pmap：未知选项 {0}：应为 -x"),
    ("cat: expected a file (e.g. cat /proc/self/maps)", "cat：缺少文件（例如 cat /proc/self/maps）"),
    ("ps -o: expected a list of fields (e.g. pid,vsz,rss,comm)",
     "ps -o：缺少字段列表（例如 pid,vsz,rss,comm）"),
    ("ps -o: unknown field {=}: expected {=}", "ps -o：未知字段 {0}：应为 {1}"),
    ("ps: unsupported {=}: expected ps, ps aux or ps -o FIELDS",
     "ps：不支持 {0}：应为 ps、ps aux 或 ps -o FIELDS"),
    ("ulimit: expected -l (max locked memory) or -s (stack size), or -a",
     "ulimit：应为 -l（最大锁定内存）或 -s（栈大小），或 -a"),
    ("ulimit: expected one option and at most one value", "ulimit：应为一个选项，最多一个值"),
    ("mlock2: expected ADDR LEN [onfault]", "mlock2：应为 ADDR LEN [onfault]"),
    ("sysctl: expected KEY, KEY=VALUE, -w KEY=VALUE, -a or -p (e.g. sysctl vm.swappiness)",
     "sysctl：应为 KEY、KEY=VALUE、-w KEY=VALUE、-a 或 -p（例如 sysctl vm.swappiness）"),
    ("sysctl: unknown option {=}: expected -w, -a, -p, -n or -N",
     "sysctl：未知选项 {0}：应为 -w、-a、-p、-n 或 -N"),
    ("unexpected {=}: nothing more was expected here", "多余的 {0}：这里不应再有内容"),
    ("{=} is a command, not a name", "{0} 是命令，不能作为名字"),
    ("{=} gives no value to store in {=}", "{0} 不返回值，不能存入 {1}"),
    ("expected a command after '='", "'=' 之后应有一条命令"),
    ("{=}: {=} has no value: {=}", "{0}：{1} 没有值：{2}"),
    # the status bar while the engine works
    ("✗ no frame: {}", "✗ 没有页框：{0}"),
    ("#GP({}): {}", "#GP({0})：{1}"),
    ("running the step", "正在执行这一步"), ("going to step {}", "正在跳到第 {0} 步"),
    ("running {=}", "正在运行 {0}"), ("restarting", "正在重新开始"), ("opening {=}", "正在打开 {0}"),
]

LINE_RULES: list[tuple[str, int]] = [
    # `show layout`'s rows: ADDRESS[-ADDRESS]  [SIZE]  NAME (the name is translated)
    (r"(\s*[0-9a-f]{8,16}(?:-[0-9a-f]{8,16})?\s+(?:~?[\d.]+ [KMGTPE]i?B(?: - 4 kB)?\s+)?)"
     r"(?![r-][w-][x-][ps] )(\S.*)", 2),
    # `show rbtree`'s nodes: [prefix]R|B START-END gap GAP (the word gap is translated)
    (r"([│ ]*(?:┌── |└── )?[RB] [0-9a-f]+-[0-9a-f]+ )(gap)( 0x[0-9a-f]+(?: \.\.\.)?)", 2),
    # `show lru`'s kswapd line
    (r"(\s*kswapd\d+: )(.*)", 2),
    # `show lru`'s per-CPU batches line: cpuN LRU batches: lru_add_pvec N, ...
    (r"(\s*cpu\d+ )(LRU batches)(: .*)", 2),
]
"""Lines of the teaching views whose group N (a regex group) is translated, the rest kept."""
"""English texts with holes ({}), and their Chinese ({0}, {1}... by position)."""

# ---- change marks of the rbtree, vm_area_struct / mm_struct, TLB and zone panes
PHRASES.update({
    "gen": "代",
    "was": "原为", "inserted": "插入", "range": "范围", "moved": "移位",
    "recoloured": "变色", "removed": "已删除", "gone": "已移除",
    "below min": "低于 min", "below low": "低于 low", "below high": "低于 high",
    "above high": "高于 high", "watermarks": "水位线",
})


# ---- events that 6.18 mode (and rarer 5.4 paths) narrate, and `show rbtree`'s lines
TEMPLATES.extend([
    ("nothing mapped there: nothing to do", "那里没有映射：无事可做"),
    ("{}: vmf_insert_pfn() maps the kernel's {} (frame {}) read-only by frame number: a "
     "VM_PFNMAP page, no struct page is counted (not in Rss)",
     "{0}：vmf_insert_pfn() 按页框号把内核的 {1}（页框 {2}）只读映射进来：这是 VM_PFNMAP 页，"
     "不计入任何 struct page（不算在 Rss 里）"),
    ("page {} of {} is the pvclock/hvclock page, which this machine (no paravirtual clock) "
     "does not have: VM_FAULT_SIGBUS",
     "{1} 的第 {0} 页是 pvclock/hvclock 页，这台机器（没有半虚拟化时钟）没有它：VM_FAULT_SIGBUS"),
    ("page {} of {} is the time namespace page (VDSO_TIMENS_PAGE_OFFSET), which a task in the "
     "root time namespace does not have: VM_FAULT_SIGBUS",
     "{1} 的第 {0} 页是时间命名空间页（VDSO_TIMENS_PAGE_OFFSET），处在根时间命名空间的任务没有它："
     "VM_FAULT_SIGBUS"),
    ("page {} of {} is architecture data (VDSO_ARCH_PAGES_START), which x86 does not have: "
     "VM_FAULT_SIGBUS",
     "{1} 的第 {0} 页是体系结构数据（VDSO_ARCH_PAGES_START），x86 没有：VM_FAULT_SIGBUS"),
    ("page {} of {} is the Hyper-V TSC page (VDSO_PAGE_HVCLOCK_OFFSET), which a KVM guest does "
     "not have: VM_FAULT_SIGBUS",
     "{1} 的第 {0} 页是 Hyper-V TSC 页（VDSO_PAGE_HVCLOCK_OFFSET），KVM 虚拟机没有它："
     "VM_FAULT_SIGBUS"),
    ("new vm_area_struct {} stored in mm->mm_mt by vma_iter_store_new() (map_count {})",
     "新的 vm_area_struct {0} 由 vma_iter_store_new() 存入 mm->mm_mt（map_count {1}）"),
    ("shrunk in place to {}", "原地缩小到 {0}"),
    ("grown in place: {}", "原地扩大：{0}"),
    ("{} is in the user half: do_user_addr_fault()",
     "{0} 位于用户空间一半：do_user_addr_fault()"),
    ("{} is in the kernel half: do_kern_addr_fault()",
     "{0} 位于内核空间一半：do_kern_addr_fault()"),
    ("{} holds {}: read-locked by its per-VMA lock (vma_start_read), mmap_lock is not taken",
     "{0} 包含 {1}：用这个 VMA 自己的锁读锁定（vma_start_read），不取 mmap_lock"),
    ("write to an untouched page: alloc_anon_folio() gives a zeroed order-0 folio, frame {} "
     "on node {} ({}), mapped writable",
     "写一个从未访问过的页：alloc_anon_folio() 给出一个清零的 0 阶 folio，页框 {0}，"
     "在节点 {1}（{2}）上，映射为可写"),
    ("frame {} joins anon_vma {}, exclusive to this process (RMAP_EXCLUSIVE)",
     "页框 {0} 加入 anon_vma {1}，为本进程独占（RMAP_EXCLUSIVE）"),
    ("the folio joins this CPU's LRU batch (VM_LOCKED: for the unevictable list)",
     "folio 进入本 CPU 的 LRU 批次（VM_LOCKED：去不可回收链表）"),
    ("the folio joins this CPU's LRU batch", "folio 进入本 CPU 的 LRU 批次"),
    ("mm->mm_rb of pid {}: {} VMA(s); R/B = red/black, gap = rb_subtree_gap (the largest "
     "free gap below a VMA of the subtree)",
     "pid {0} 的 mm->mm_rb：{1} 个 VMA；R/B = 红/黑，gap = rb_subtree_gap（子树中 VMA "
     "之下最大的空闲间隙）"),
    ("depth {}: {} node(s), {} red, {} black", "深度 {0}：{1} 个节点，{2} 红，{3} 黑"),
    ("(the top {} levels; deeper subtrees drawn as ...)", "（只画前 {0} 层；更深的子树画作 ...）"),
    ("{} at {} in init_mm's page tables ({} frame(s)); its PGD entry was made at boot "
     "(preallocate_vmalloc_pages) and every process shares it: no vmalloc_fault",
     "{0}，位于 {1}，在 init_mm 的页表中（{2} 个页框）；它的 PGD 项在启动时就已建好"
     "（preallocate_vmalloc_pages），所有进程共享：不会有 vmalloc_fault"),
    ("{} at {} in init_mm's page tables ({} frame(s)); arch_sync_kernel_mappings() copies the "
     "{} new PGD entr{} into every process's PGD: no vmalloc_fault",
     "{0}，位于 {1}，在 init_mm 的页表中（{2} 个页框）；arch_sync_kernel_mappings() 把 {3} 个"
     "新的 PGD 项复制到每个进程的 PGD：不会有 vmalloc_fault"),
])

# 6.x names mm_struct's lock mmap_lock (5.8): the same lines with that name
TEMPLATES.extend([(en.replace("mmap_sem", "mmap_lock"), zh.replace("mmap_sem", "mmap_lock"))
                  for en, zh in list(TEMPLATES) if "mmap_sem" in en])

# ---- 6.18 mode's maple tree: `show mt`, the refusals of `show mt` / `show rbtree`, the
# maple pane, and the 6.18 fields of `show vmas`, `show mm` and the vm_area_struct pane
TEMPLATES.extend([
    ("mm->mm_mt of pid {}: {} VMA(s), height {}; type 1 maple_leaf_64, 2 maple_range_64, "
     "3 maple_arange_64",
     "pid {0} 的 mm->mm_mt：{1} 个 VMA，高度 {2}；type 1 为 maple_leaf_64，2 为 maple_range_64，"
     "3 为 maple_arange_64"),
    ("... {} more nodes not shown ({} in all)", "... 还有 {0} 个节点未显示（共 {1} 个）"),
    ("Linux {} has no maple tree (it came in 6.1): the VMAs of pid {} are in the list "
     "mm->mmap and the rbtree mm->mm_rb, which `show rbtree` draws (set kernel = \"6.18\" to "
     "have mm->mm_mt)",
     "Linux {0} 没有 maple 树（6.1 才引入）：pid {1} 的 VMA 在链表 mm->mmap 和红黑树 mm->mm_rb 里，"
     "用 `show rbtree` 查看（内核 6.18 才有 mm->mm_mt）"),
    ("Linux {} has no mm->mm_rb: it keeps the VMAs of pid {} in the maple tree mm->mm_mt, "
     "which `show mt` prints (Linux 5.4 has the rbtree: -m kernel=5.4)",
     "Linux {0} 没有 mm->mm_rb：它把 pid {1} 的 VMA 保存在 maple 树 mm->mm_mt 里，用 `show mt` "
     "打印（Linux 5.4 才有红黑树：-m kernel=5.4）"),
    ("mm->mm_mt of pid {}: {} vm_area_struct(s)", "pid {0} 的 mm->mm_mt：{1} 个 vm_area_struct"),
    ("maple tree, {} VMA(s), height {} (show mt)", "maple 树，{0} 个 VMA，高度 {1}（show mt）"),
    ("(not modelled: mm->mm_lock_seq at the last vma_start_write)",
     "（未模拟：上一次 vma_start_write 时的 mm->mm_lock_seq）"),
    ("1 (attached to mm->mm_mt, no reader holds it)",
     "1（已挂入 mm->mm_mt，没有读者持有它）"),
    ("not modelled", "未模拟"),
    ("1 (attached)", "1（已挂入）"),
    ("mm->mm_mt (maple tree)", "mm->mm_mt（枫树 maple_tree）"),
    ("{} VMAs · height {}", "{0} 个 VMA · 高度 {1}"),
    ("find_vma({}): {} node(s) walked", "find_vma({0})：走过 {1} 个节点"),
    ("no look-up yet: the root", "还没有查找：只显示根节点"),
    ("… {} slot(s)", "… 另有 {0} 个槽"),
])
# `show vmas` / `show mm` in 6.18 mode: FIELD VALUE rows whose value is this tool's words
LINE_RULES.append((r"(\s*(?:vm_lock_seq|vm_refcnt|mm_mt)\s+)(\S.*)", 2))
