"""The teaching views: `show pagetable`, `tlb`, `lru`, `vmas`, `rbtree`, `mt`, `layout`, `mm`, the
walk, and `numactl --hardware` and /proc/swaps. No kernel file is behind the views: they
show the structures the kernel keeps, named as the kernel names them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from vmtui.engine.fs import procfs, task_mmu
from vmtui.engine.include.errors import KernelError
from vmtui.engine.include.layout import KB_PER_PAGE, PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mm_types import VmArea, vm_flags_text
from vmtui.engine.include.pgtable import PageTable, Walk, is_swap_pte, pte_flags_text
from vmtui.engine.lib.rbtree import RbNode
from vmtui.engine.mm import vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task


def numa_text(m: Machine, task: Task) -> str:
    """`numactl --hardware` (numactl.c hardware()): nodes, their CPUs, size and free memory
    (node meminfo MemTotal / MemFree, in MB), then the SLIT distance table."""
    nodes = m.mem.nodes
    ids = [n.id for n in nodes]
    lines = [f"available: {len(nodes)} nodes ({task_mmu.node_list(ids)})"]
    for n in nodes:
        total = sum(z.managed for z in n.zones) << PAGE_SHIFT
        free = n.free_pages() << PAGE_SHIFT
        lines.append(f"node {n.id} cpus:" + "".join(f" {c}" for c in sorted(n.cpus)))
        lines.append(f"node {n.id} size: {total >> 20} MB")
        lines.append(f"node {n.id} free: {free >> 20} MB")
    lines.append("node distances:")
    lines.append("node " + "".join(f"{i:3d} " for i in ids))
    for i in ids:
        lines.append(f"{i:3d}: " + "".join(f"{m.mem.distances[i][k]:3d} " for k in ids))
    return "\n".join(lines) + "\n"


def swaps_text(m: Machine, task: Task) -> str:
    """/proc/swaps (mm/swapfile.c swap_show, 5.4): single tabs between Size, Used and
    Priority (5.8 doubled them to line the columns up, "fix /proc/swaps heading")."""
    lines = ["Filename\t\t\t\tType\t\tSize\tUsed\tPriority"]
    if m.swap.enabled:
        for si in m.swap.areas:
            if not si.writeok:
                continue
            pad = " " * (40 - len(si.name) if len(si.name) < 40 else 1)
            kind = "partition" if si.name.startswith("/dev/") else "file\t"
            lines.append(f"{si.name}{pad}{kind}\t{si.usable * KB_PER_PAGE}\t"
                         f"{si.inuse_pages * KB_PER_PAGE}\t{si.prio}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ teaching views
def _human(n: int) -> str:
    """A byte count as a lecturer says it: 4 kB, 128 MiB, 128 TiB - 4 kB, ~85.3 TiB."""
    for unit, shift in (("EiB", 60), ("PiB", 50), ("TiB", 40), ("GiB", 30), ("MiB", 20)):
        size = 1 << shift
        if n >= size - PAGE_SIZE:
            if n % size == 0:
                return f"{n >> shift} {unit}"
            if (n + PAGE_SIZE) % size == 0:
                return f"{(n + PAGE_SIZE) >> shift} {unit} - 4 kB"
            lower = size >> 10
            if n >= size and n % lower == 0 and shift > 20:
                return f"{n // lower} {('kB', 'MiB', 'GiB', 'TiB', 'PiB')[(shift - 20) // 10]}"
            if n >= size:
                return f"~{n / size:.1f} {unit}"
    if n % 1024 == 0:
        return f"{n >> 10} kB"
    return f"{n} B"


def _va_width(m: Machine) -> int:
    return 8 if m.layout.addr_top == 1 << 32 else 16


def walk_text(m: Machine, w: Walk) -> str:
    """A page-table walk, level by level, as a worked exercise: how the address splits into
    table indexes, then what each level's entry holds."""
    lay = m.layout
    cr3 = w.steps[0].table_pfn if w.steps else None
    lines = [f"walk {w.va:#x} ({lay.arch}, {lay.levels}-level paging" +
             (f", CR3 -> PGD frame {cr3:#x})" if cr3 is not None else ")")]
    split = " | ".join(f"{name} {idx}" for name, idx, _hi, _lo in lay.index_bits(w.va))
    lines.append(f"  {w.va:#x} = {split} | offset {w.va & (PAGE_SIZE - 1):#05x}")
    for s in w.steps:
        frame = f"{s.table_pfn:#x}" if s.table_pfn is not None else "-"
        lines.append(f"  {s.level:<4} bits {s.bit_hi:2d}-{s.bit_lo:2d} index {s.index:4d}  "
                     f"table frame {frame}  entry {s.entry:#018x}  [{s.flags}]  {s.note}")
    phys = w.phys()
    lines.append(f"  offset bits 11-0 = {w.va & 0xFFF:#x}; " +
                 (f"physical address {phys:#x}" if phys is not None else f"stopped: {w.stopped}"))
    return "\n".join(lines) + "\n"

PAGETABLE_MAX_LINES = 64


def pagetable_text(m: Machine, task: Task) -> str:
    """The task's page-table tree, user half: every table with its level, frame, the range
    it covers and how many entries it holds (PTE tables: present / swap / PROT_NONE)."""
    mm = task.mm
    lay = m.layout
    pt = m.pt
    if mm.pgd is None:
        return f"pid {task.pid} has no page tables (it has exited)\n"
    tables = pt.tables(mm.pgd)
    kernel_entries = sum(1 for i in mm.pgd.entries if i >= pt.kernel_first)
    lines = [f"page tables of pid {task.pid} ({lay.arch}, {lay.levels}-level, "
             f"{'/'.join(lay.level_names)}): {len(tables)} user table(s), "
             f"mm->pgtables_bytes {mm.pgtables_bytes} ({_human(mm.pgtables_bytes)})"]
    width = _va_width(m)
    last = lay.levels - 1
    shown = 0

    def describe(table: PageTable) -> str:
        if table.level < last:
            n = sum(1 for child in table.entries.values()
                    if not isinstance(child, int) and not child.kernel)
            return f"{n} entr{'y' if n == 1 else 'ies'}"
        present = swap = other = 0
        for pte in table.entries.values():
            if is_swap_pte(pte):
                swap += 1
            elif pte & 1:
                present += 1
            else:
                other += 1
        s = f"{present} present"
        if swap:
            s += f", {swap} swap"
        if other:
            s += f", {other} PROT_NONE"
        return s

    stack: list[tuple[PageTable, int, int, int]] = [(mm.pgd, 0, -1, 0)]
    while stack:
        table, base, index, depth = stack.pop()
        if shown >= PAGETABLE_MAX_LINES:
            break
        name = lay.level_names[table.level]
        if table.level == 0:
            extra = f" (+{kernel_entries} kernel entries shared with init_mm)" \
                if kernel_entries else ""
            lines.append(f"{name} frame {table.pfn:#x}: {describe(table)}{extra}")
        else:
            span = 1 << pt.shifts[table.level - 1]
            lines.append(f"{'  ' * depth}[{index:3d}] {base:0{width}x}-{base + span:0{width}x} "
                         f"{name} frame {table.pfn:#x}: {describe(table)}")
        shown += 1
        if table.level == last:
            continue
        shift = pt.shifts[table.level]
        children = [(i, c) for i, c in sorted(table.entries.items())
                    if not isinstance(c, int) and not c.kernel]
        for i, child in reversed(children):
            stack.append((child, base + (i << shift), i, depth + 1))
    if shown < len(tables):
        lines.append(f"... and {len(tables) - shown} more table(s)")
    return "\n".join(lines) + "\n"

TLB_MAX_LINES = 64


def tlb_text(m: Machine, task: Task) -> str:
    """The simulated TLB: its entries oldest first (the next to be evicted on top), with the
    process each belongs to, and the hit / miss / flush counts."""
    owners = {t.mm.ctx_id: t.pid for t in m.tasks.values() if t.mm.ctx_id}
    st = m.tlb_stats
    lookups = st["hits"] + st["misses"]
    rate = f", hit rate {100 * st['hits'] / lookups:.1f}%" if lookups else ""
    lines = [f"TLB: {len(m.tlb)} of {m.config.tlb_entries} entries; hits {st['hits']}, "
             f"misses {st['misses']}, flushes {st['flushes']}{rate}"]
    if m.tlb:
        lines.append("    #   pid  virtual page         frame")
    width = _va_width(m)
    for n, ((mm_id, vpn), pfn) in enumerate(m.tlb.items()):
        if n >= TLB_MAX_LINES:
            lines.append(f"  ... and {len(m.tlb) - n} more")
            break
        pid = owners.get(mm_id)
        mark = "*" if pid == task.pid else " "
        lines.append(f"  {n:3d} {mark}{pid if pid is not None else '?':>4} "
                     f"{vpn << PAGE_SHIFT:0{width}x} -> {pfn:#x}")
    return "\n".join(lines) + "\n"


def _pfns(lst: Iterable[int], n: int = 4) -> str:
    items = list(lst)
    if not items:
        return ""
    if len(items) <= 2 * n:
        return " ".join(f"{p:#x}" for p in items)
    return " ".join(f"{p:#x}" for p in items[:n]) + " ... " + \
        " ".join(f"{p:#x}" for p in items[-n:])


def lru_text(m: Machine, task: Task) -> str:
    """Per node: the five LRU lists (oldest, where reclaim scans, on the left), the
    state of the node's kswapd, and the LRU batches its CPUs hold."""
    lines = []
    for node in m.mem.nodes:
        zones = [z for z in node.zones if z.managed]
        free = node.free_pages()
        lines.append(f"node {node.id}: {free} free pages; watermarks (all zones) min "
                     f"{sum(z.min_wmark() for z in zones)} low {sum(z.low_wmark() for z in zones)}"
                     f" high {sum(z.high_wmark() for z in zones)}")
        lru = node.lru
        for i, name in enumerate(vmscan.LRU_NAMES):
            lst = lru.pfns(i) if lru is not None else []
            lines.append(f"  {name:<14s}{len(lst):8d}  {_pfns(lst)}".rstrip())
        g = lru.lrugen if lru is not None else None
        if g is not None:
            # the multi-gen LRU: the lists above are its generations seen as two lists
            lines.append(f"  lru_gen: min_seq anon {g.min_seq[0]} file {g.min_seq[1]}, max_seq "
                         f"{g.max_seq}")
            for seq, a, f in g.sizes():
                lines.append(f"    generation {seq}: anon {a}, file {f}")
        ks = node.kswapd
        if ks is not None:
            extra = " (woken, runs before the next step)" if ks.pending else ""
            failures = getattr(ks, "failures", 0)
            stuck = f", {failures} run(s) without progress" if failures else ""
            lines.append(f"  kswapd{node.id}: {ks.state}{extra}; woken {ks.wakeups} time(s), "
                         f"ran {ks.runs}, scanned {ks.scanned}, reclaimed {ks.reclaimed}{stuck}")
            last = getattr(ks, "last", "")
            if last:
                lines.append(f"    last run: {last}")
        # mm/swap.c's per-CPU batches of this node's CPUs: pages on their way to a list
        for cpu in node.cpus:
            pv = getattr(m, "lru_pvecs", {}).get(cpu)
            if pv is not None and pv.total():
                counts = ", ".join(f"{k} {n}" for k, n in pv.counts().items() if n)
                lines.append(f"  cpu{cpu} LRU batches: {counts}")
    return "\n".join(lines) + "\n"


def _vma_start(v: VmArea | None) -> str:
    return f"{v.vm_start:#x}" if v is not None else "NULL"

VMAS_MAX = 64


def _maple(m: Machine) -> bool:
    return bool(m.kmodel.maple_tree)


def vmas_text(m: Machine, task: Task) -> str:
    """Every field of every vm_area_struct of the task (include/linux/mm_types.h, 5.4; in
    6.18 mode the 6.18 struct: no vm_next/vm_prev/vm_rb, the per-VMA lock's fields)."""
    mm = task.mm
    maple = _maple(m)
    head = "mm->mm_mt" if maple else "mm->mmap"
    lines = [f"{head} of pid {task.pid}: {mm.map_count} vm_area_struct(s)"]
    for n, vma in enumerate(mm.vmas):
        if n >= VMAS_MAX:
            lines.append(f"... and {mm.map_count - n} more")
            break
        name = procfs.vma_name(vma)
        prot = vma.vm_page_prot
        lines += [
            f"vma {n}: {vma.vm_start:#x}-{vma.vm_end:#x} {vma.perms()} {name}".rstrip(),
            f"  vm_start       {vma.vm_start:#x}",
            f"  vm_end         {vma.vm_end:#x}  ({_human(vma.vm_end - vma.vm_start)}, "
            f"{vma.pages()} page(s))",
        ]
        if maple:
            # CONFIG_PER_VMA_LOCK (6.4): no reader holds the lock between steps
            lines += [
                "  vm_lock_seq    (not modelled: mm->mm_lock_seq at the last vma_start_write)",
                "  vm_refcnt      1 (attached to mm->mm_mt, no reader holds it)",
            ]
        else:
            rb = vma.vm_rb
            lines += [
                f"  vm_next        {_vma_start(vma.vm_next)}",
                f"  vm_prev        {_vma_start(vma.vm_prev)}",
                f"  vm_rb          {'red' if rb.red else 'black'}",
                f"  rb_subtree_gap {vma.rb_subtree_gap:#x} ({_human(vma.rb_subtree_gap)})",
            ]
        lines += [
            f"  vm_page_prot   {prot:#x}  [{pte_flags_text(prot)}]",
            f"  vm_flags       {vma.vm_flags:#x}  [{vm_flags_text(vma.vm_flags)}]",
            "  anon_vma       " + (f"#{vma.anon_vma.id} ({len(vma.anon_vma.vmas)} vma(s))"
                                    if vma.anon_vma is not None else "NULL"),
            f"  vm_ops         {vma.vm_ops or 'NULL'}",
            f"  vm_pgoff       {vma.vm_pgoff:#x}",
            f"  vm_file        {vma.vm_file.name if vma.vm_file is not None else 'NULL'}",
        ]
    return "\n".join(lines) + "\n"

RBTREE_MAX_NODES = 63


def _rb_node_text(node: RbNode[VmArea]) -> str:
    v = node.vma
    return (f"{'R' if node.red else 'B'} {v.vm_start:x}-{v.vm_end:x} "
            f"gap {node.subtree_gap:#x}")


def rbtree_text(m: Machine, task: Task) -> str:
    """mm->mm_rb drawn sideways (the right subtree above, the left below; read it with
    your head tilted left), each node with its colour and rb_subtree_gap, then the levels."""
    rb = getattr(task.mm.vmas, "rb", None)
    if rb is None:
        raise KernelError("ENOENT", f"Linux {m.kmodel.name} has no mm->mm_rb: it keeps the VMAs "
                          f"of pid {task.pid} in the maple tree mm->mm_mt, which `show mt` "
                          "prints (Linux 5.4 has the rbtree: -m kernel=5.4)")
    n = len(rb)
    lines = [f"mm->mm_rb of pid {task.pid}: {n} VMA(s); R/B = red/black, gap = rb_subtree_gap"
             " (the largest free gap below a VMA of the subtree)"]
    if rb.root is None:
        return "\n".join(lines) + "\n"
    depth_limit = 64
    if n > RBTREE_MAX_NODES:
        depth_limit = 5  # 63 nodes at most; deeper subtrees are shown as "..."
        lines.append(f"(the top {depth_limit + 1} levels; deeper subtrees drawn as ...)")

    def draw(node: RbNode[VmArea], prefix: str, kind: str, depth: int) -> Iterator[str]:
        up = "│   " if kind == "left" else "    "
        down = "│   " if kind == "right" else "    "
        if kind == "root":
            up = down = ""
        if depth == depth_limit and (node.left is not None or node.right is not None):
            yield prefix + {"right": "┌── ", "left": "└── ", "root": ""}[kind] + \
                _rb_node_text(node) + " ..."
            return
        if node.right is not None:
            yield from draw(node.right, prefix + up, "right", depth + 1)
        yield prefix + {"right": "┌── ", "left": "└── ", "root": ""}[kind] + _rb_node_text(node)
        if node.left is not None:
            yield from draw(node.left, prefix + down, "left", depth + 1)

    lines += draw(rb.root, "", "root", 0)
    per_level: dict[int, list[bool]] = {}
    for d, _slot, node in rb.levels(depth_limit):
        per_level.setdefault(d, []).append(node.red)
    for d in sorted(per_level):
        reds = sum(per_level[d])
        lines.append(f"depth {d}: {len(per_level[d])} node(s), {reds} red, "
                     f"{len(per_level[d]) - reds} black")
    return "\n".join(lines) + "\n"


MT_DUMP_MAX_NODES = 16


def mt_text(m: Machine, task: Task) -> str:
    """mm->mm_mt as lib/maple_tree.c's mt_dump(mt, mt_dump_hex) prints it (the kernel has
    it under CONFIG_DEBUG_MAPLE_TREE): the tree's header, then each node depth first, its
    range, address, depth, type, parent and contents (gaps and metadata for
    maple_arange_64, then slot/pivot pairs), and in a leaf a line per range, the
    vm_area_struct's address or 0 for a gap. Addresses are made up (nodes 256-byte
    aligned; the VMAs numbered in address order). At most MT_DUMP_MAX_NODES nodes are
    printed; a last line says how many were left out."""
    vmas = task.mm.vmas
    mt = getattr(vmas, "mt", None)
    if mt is None:
        raise KernelError("ENOENT", f"Linux {m.kmodel.name} has no maple tree (it came in "
                          f"6.1): the VMAs of pid {task.pid} are in the list mm->mmap and the "
                          "rbtree mm->mm_rb, which `show rbtree` draws (set kernel = "
                          '"6.18" to have mm->mm_mt)')
    head = (f"mm->mm_mt of pid {task.pid}: {len(vmas)} VMA(s), height {mt.height}; "
            "type 1 maple_leaf_64, 2 maple_range_64, 3 maple_arange_64")
    return head + "\n" + mt.dump(max_nodes=MT_DUMP_MAX_NODES)


def layout_text(m: Machine, task: Task) -> str:
    """The whole virtual address space in numbers: the fixed regions of the architecture,
    the kernel half's map, and where this task's code, data, heap, mmap area and stack are."""
    lay = m.layout
    mm = task.mm
    width = _va_width(m)
    lines = [f"{lay.arch}: {lay.va_bits}-bit virtual addresses, {lay.levels}-level paging "
             f"({'/'.join(lay.level_names)}, {'+'.join(map(str, lay.level_bits))} index bits "
             f"+ 12 offset bits)"]
    lines.append("regions:")
    for lo, hi, name in lay.regions():
        lines.append(f"  {lo:0{width}x}-{hi - 1:0{width}x}  {_human(hi - lo):>9}  {name}")
    lines.append("kernel half (Documentation/x86/x86_64/mm.rst in 5.4):"
                 if lay.arch != "i386" else "kernel half (3G/1G split):")
    for lo, hi, name in lay.kernel_regions():
        lines.append(f"  {lo:0{width}x}-{hi - 1:0{width}x}  {_human(hi - lo):>9}  {name}")
    stack = next((v for v in mm.vmas if v.vm_start <= mm.start_stack < v.vm_end), None)
    heap = next((v for v in mm.vmas if procfs.vma_name(v) == "[heap]"), None)
    marks: list[tuple[int, str]] = [
        (lay.task_size, "TASK_SIZE (end of the user half)"),
        (mm.mmap_base, "mmap_base (top-down mmap starts below it)"),
        (mm.start_stack, "start_stack"),
        (mm.brk, f"brk (heap {_human(mm.brk - mm.start_brk)})"),
        (mm.start_brk, "start_brk"),
        (mm.end_data, "end_data"),
        (mm.start_data, "start_data"),
        (mm.end_code, "end_code"),
        (mm.start_code, "start_code"),
        (m.mmap_min_addr, "mmap_min_addr (nothing maps below it)"),
    ]
    if stack is not None:
        marks.append((stack.vm_end, "[stack] top"))
        marks.append((stack.vm_start, f"[stack] bottom ({_human(stack.vm_end - stack.vm_start)}"
                                      "; grows down)"))
    if heap is not None:
        marks.append((heap.vm_start, "[heap] VMA start"))
    lines.append(f"pid {task.pid} ({task.comm}), top down:")
    for addr, what in sorted(marks, key=lambda x: -x[0]):
        lines.append(f"  {addr:0{width}x}  {what}")
    used = sum(v.vm_end - v.vm_start for v in mm.vmas)
    lines.append(f"mapped: {_human(used)} in {mm.map_count} VMA(s), "
                 f"{100 * used / lay.task_size:.3g}% of the user half")
    return "\n".join(lines) + "\n"


def mm_text(m: Machine, task: Task) -> str:
    """The task's struct mm_struct (include/linux/mm_types.h, 5.4; in 6.18 mode mm_mt in
    place of mmap and mm_rb, and no highest_vm_end), field by field."""
    mm = task.mm
    kb = KB_PER_PAGE
    pgd = f"frame {mm.pgd.pfn:#x}" if mm.pgd is not None else "NULL"
    mt = getattr(mm.vmas, "mt", None)
    rows = [
        *((("mm_mt", f"maple tree, {mm.map_count} VMA(s), height {mt.height} (show mt)"),)
          if mt is not None else
          (("mmap", _vma_start(mm.mmap) + " (first VMA)"),
           ("mm_rb", f"{len(mm.vmas.rb)} node(s)"))),
        ("mmap_base", f"{mm.mmap_base:#x}"),
        ("mmap_legacy_base", f"{mm.mmap_legacy_base:#x}"),
        ("task_size", f"{mm.task_size:#x} ({_human(mm.task_size)})"),
        # 6.1 dropped highest_vm_end with the VMA list (the maple tree knows the last VMA)
        *((("highest_vm_end", f"{mm.highest_vm_end:#x}"),) if mt is None else ()),
        ("pgd", pgd),
        ("mm_users", str(mm.mm_users)),
        ("mm_count", str(mm.mm_count)),
        ("pgtables_bytes", f"{mm.pgtables_bytes} ({mm.pgtables_bytes >> PAGE_SHIFT} table(s))"),
        ("map_count", str(mm.map_count)),
        ("hiwater_rss", f"{mm.hiwater_rss} pages"),
        ("hiwater_vm", f"{mm.hiwater_vm} pages"),
        ("total_vm", f"{mm.total_vm} pages ({mm.total_vm * kb} kB)"),
        ("locked_vm", f"{mm.locked_vm} pages"),
        ("pinned_vm", f"{mm.pinned_vm} pages"),
        ("data_vm", f"{mm.data_vm} pages"),
        ("exec_vm", f"{mm.exec_vm} pages"),
        ("stack_vm", f"{mm.stack_vm} pages"),
        ("def_flags", f"{mm.def_flags:#x}"),
        ("start_code", f"{mm.start_code:#x}"),
        ("end_code", f"{mm.end_code:#x}"),
        ("start_data", f"{mm.start_data:#x}"),
        ("end_data", f"{mm.end_data:#x}"),
        ("start_brk", f"{mm.start_brk:#x}"),
        ("brk", f"{mm.brk:#x}"),
        ("start_stack", f"{mm.start_stack:#x}"),
        ("arg_start", f"{mm.arg_start:#x}"),
        ("arg_end", f"{mm.arg_end:#x}"),
        ("env_start", f"{mm.env_start:#x}"),
        ("env_end", f"{mm.env_end:#x}"),
        ("rss_stat[MM_FILEPAGES]", str(mm.rss_file)),
        ("rss_stat[MM_ANONPAGES]", str(mm.rss_anon)),
        ("rss_stat[MM_SWAPENTS]", str(mm.rss_swap)),
        ("rss_stat[MM_SHMEMPAGES]", str(mm.rss_shmem)),
        ("flags", f"{mm.flags:#x}"),
    ]
    lines = [f"mm_struct of pid {task.pid} ({task.comm})"]
    lines += [f"  {k:<24s}{v}" for k, v in rows]
    return "\n".join(lines) + "\n"
