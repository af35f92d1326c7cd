"""The words of the UI's own chrome in English and Chinese (narration comes from scenarios)."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "addr": {"en": "Address space", "zh": "地址空间"},
    "vmas": {"en": "VMAs", "zh": "VMA 列表"},
    "tree": {"en": "VMA rbtree", "zh": "VMA 红黑树"},
    "detail": {"en": "vm_area_struct", "zh": "vm_area_struct"},
    "walk": {"en": "Page-table walk", "zh": "页表遍历"},
    "tlb": {"en": "TLB", "zh": "TLB"},
    "phys": {"en": "Physical memory", "zh": "物理内存"},
    "reclaim": {"en": "Reclaim & swap", "zh": "回收与交换"},
    "narration": {"en": "What happened", "zh": "发生了什么"},
    "calls": {"en": "Kernel call chain", "zh": "内核调用链"},
    "vmstat": {"en": "/proc/vmstat", "zh": "/proc/vmstat"},
    "step": {"en": "step", "zh": "步骤"},
    "start": {"en": "Before the first step: n (or →) runs it, ? lists every key.",
              "zh": "第一步之前：按 n（或 →）执行，按 ? 查看所有按键。"},
    "end_short": {"en": "end · b back · R restart · o open",
                  "zh": "结束 · b 后退 · R 重来 · o 打开"},
    "end": {"en": "End of the scenario: b goes back, R restarts, o opens another.",
            "zh": "场景结束：b 后退，R 重新开始，o 打开其他场景。"},
    "next": {"en": "next", "zh": "下一步"},
    "predict": {"en": "Predict: what will this step do? Press space to reveal.",
                "zh": "预测：这一步会发生什么？按空格揭晓。"},
    "no_walk": {"en": "No memory access yet: a read, write, exec or walk step shows the "
                      "page-table walk here.",
                "zh": "还没有内存访问：read、write、exec 或 walk 步骤会在这里显示页表遍历。"},
    "no_select": {"en": "No VMA selected: pick one in the VMA list (Enter or a click).",
                  "zh": "未选择 VMA：在 VMA 列表中选择（回车或点击）。"},
    "no_vma_kernel": {"en": "{addr} is in the kernel half: no VMA of the process covers "
                            "it; init_mm's page tables map it.",
                      "zh": "{addr} 在内核空间：进程没有 VMA 覆盖它，由 init_mm 的页表映射。"},
    "no_vma_gap": {"en": "No VMA covers {addr}: an access there is SIGSEGV (SEGV_MAPERR).",
                   "zh": "没有 VMA 覆盖 {addr}：访问它会触发 SIGSEGV（SEGV_MAPERR）。"},
    "no_events": {"en": "This step called no kernel function (or there is no step yet).",
                  "zh": "这一步没有调用内核函数（或还没有执行步骤）。"},
    "no_process": {"en": "No live process: the last one exited.",
                   "zh": "没有存活的进程：最后一个已退出。"},
    "waiting": {"en": "waiting for the engine...", "zh": "等待引擎……"},
    "running": {"en": "running", "zh": "运行中"},
    "paused": {"en": "paused", "zh": "暂停"},
    "confirm_discard": {"en": "Opening another scenario discards the {n} step(s) typed at "
                              "the command line. Open anyway?",
                        "zh": "打开其他场景会丢弃在命令行输入的 {n} 个步骤。仍要打开吗？"},
    "saved": {"en": "saved", "zh": "已保存"},
    "walk_dead": {"en": "The last walk went through the page tables of pid {pid}, which has "
                        "ended ({how}): exit_mmap() freed them, so there is no PTE to show.",
                  "zh": "上一次遍历经过的是进程 {pid} 的页表，该进程已结束（{how}）："
                        "exit_mmap() 已释放这些页表，没有可显示的 PTE。"},
    "no_live": {"en": "no live process", "zh": "没有存活的进程"},
    "lab_title": {"en": "OSTEP lab: pick an exercise or paste a homework command line · "
                        "Esc closes",
                  "zh": "OSTEP 实验：选择一个练习或粘贴作业命令行 · Esc 关闭"},
    "lab_command_hint": {"en": "a homework command line, e.g. ./paging-policy.py -s 3 -p LRU",
                         "zh": "作业命令行，例如 ./paging-policy.py -s 3 -p LRU"},
    "lab_pick": {"en": "Choose an exercise on the left (Enter), or type a command line above.",
                 "zh": "在左侧选择一个练习（回车），或在上方输入命令行。"},
    "lab_guess_hint": {"en": "your answer (hit/miss [victim], a PA in hex, fault, -1...); Enter",
                       "zh": "你的答案（hit/miss [被换出页]、十六进制物理地址、fault、-1……）"
                             "；回车"},
    "lab_question": {"en": "Question {k}/{n}: {prompt}", "zh": "第 {k}/{n} 题：{prompt}"},
    "lab_right": {"en": "Right: {answer}", "zh": "正确：{answer}"},
    "lab_wrong": {"en": "Not quite. The answer: {answer}", "zh": "不对。答案是：{answer}"},
    "lab_score": {"en": "score {right}/{total}", "zh": "得分 {right}/{total}"},
    "lab_next": {"en": "Enter: next question", "zh": "回车：下一题"},
    "lab_done": {"en": "Done: {right} of {total} right. Pick another exercise.",
                 "zh": "完成：{total} 题答对 {right} 题。再选一个练习吧。"},
    "lab_bad": {"en": "cannot run that", "zh": "无法运行"},
    "lab_memory": {"en": "memory", "zh": "内存"},
    "lab_evicted": {"en": "evicted", "zh": "换出"},
    "lab_hit": {"en": "hit", "zh": "命中"},
    "lab_fault": {"en": "fault", "zh": "缺页/越界"},
    "lab_free_list": {"en": "free list", "zh": "空闲链表"},
}


PHRASES: dict[str, str] = {
    # legends and states inside panes
    "anon": "匿名", "file": "文件", "page table": "页表", "kernel": "内核",
    "unevictable": "不可回收", "reserved": "保留", "free": "空闲", "part-used": "部分使用",
    "inactive": "非活跃", "active": "活跃", "sleeping": "睡眠", "running": "运行",
    "kernel half (shared by all)": "内核空间（所有进程共享）", "kernel (shared)": "内核（共享）",
    "✓ as expected": "✓ 符合预期", "✗ expected": "✗ 预期", "events": "个事件",
    "more events": "个事件未显示", "changed": "项有变化",
    # the footer and the command palette
    "Next": "下一步", "Back": "上一步", "Help": "帮助", "Quit": "退出",
    "Run/Pause": "运行/暂停", "Go to": "跳转", "Restart": "重来", "Open": "打开",
    "Command": "命令", "Predict": "预测", "Zoom": "放大", "Theme": "主题", "Shot": "截图",
    "Show VMA": "查看 VMA", "palette": "命令面板",
}
"""English phrases of the panes and the footer, and their Chinese."""


def tr(phrase: str, lang: str) -> str:
    """`phrase` in `lang` (the phrase itself in English, or when it has no translation)."""
    return PHRASES.get(phrase, phrase) if lang == "zh" else phrase


def t(key: str, lang: str) -> str:
    """The word for `key` in `lang`, English as the fallback."""
    w = WORDS.get(key, {})
    return w.get(lang) or w.get("en") or key


def human(n_bytes: int) -> str:
    """A size the way a lecturer says it: 4K, 1.5M, 128T."""
    units = ("", "K", "M", "G", "T", "P", "E")
    v = float(n_bytes)
    i = 0
    while v >= 1024 and i < len(units) - 1:
        v /= 1024
        i += 1
    if i == 0:
        return f"{n_bytes}B"
    return f"{v:.0f}{units[i]}" if v >= 10 or v == int(v) else f"{v:.1f}{units[i]}"
