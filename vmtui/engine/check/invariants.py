"""check_invariants(machine): validate_mm() and more, after any step.

VMAs sorted and disjoint, the index and the rbtree agree with red-black rules
and rb_subtree_gap; every frame is free or owned, exactly once; the zones'
free counts equal their buddy blocks; mapcounts equal the PTEs that map each
page; RSS counters equal what the page tables hold; every LRU page is on the
list its flags name; swap counts equal the swap PTEs and the swap cache.

The full check: its cost follows the machine's size. incremental.py checks the same after
one step, restricted to what the step touched.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mm_types import VM_MIXEDMAP, VM_PFNMAP
from vmtui.engine.include.mmzone import (
    PG_active,
    PG_anon,
    PG_anon_exclusive,
    PG_lru,
    PG_pgtable,
    PG_swapbacked,
    PG_swapcache,
    PG_unevictable,
)
from vmtui.engine.include.pgtable import (
    _PAGE_PRESENT,
    _PAGE_PROTNONE,
    _PAGE_SPECIAL,
    PTE_PFN_MASK,
    PageTable,
    swp_entry,
    swp_offset,
    swp_type,
)
from vmtui.engine.include.swap_info import SWAP_MAP_SHMEM
from vmtui.engine.mm import lru_gen
from vmtui.engine.mm.vmscan import page_lru

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mmzone import Node


_IN_USE = re.compile(b"[^\\x00]")  # a swap_map byte of a slot in use
_PRESENT = _PAGE_PRESENT | _PAGE_PROTNONE  # pte_present(): a swap entry has neither


class InvariantError(AssertionError):
    """An engine invariant does not hold."""


def _fail(msg: str) -> None:
    raise InvariantError(msg)


def _user_tables(m: Machine, pgd: PageTable, seen: set[int], pages: dict[int, Any]
                 ) -> tuple[list[tuple[PageTable, int]], int]:
    """The PTE tables under `pgd` with their base addresses, in address order, and how
    many user-half tables there are in all (each added to `seen`, checked to be used once
    and to be an owned PG_pgtable page)."""
    pt = m.pt
    last = pt.levels - 1
    shifts = pt.shifts
    leaves: list[tuple[PageTable, int]] = []

    def visit(t: PageTable) -> None:
        if t.pfn in seen:
            _fail(f"page-table frame {t.pfn:#x} used twice")
        seen.add(t.pfn)
        page = pages.get(t.pfn)
        if page is None or not page.flags & PG_pgtable:
            _fail(f"page-table frame {t.pfn:#x} is not an owned PG_pgtable page")

    def rec(t: PageTable, level: int, base: int) -> None:
        visit(t)
        if level == last:
            leaves.append((t, base))
            return
        span = 1 << shifts[level]
        ents = t.entries
        for i in sorted(ents):
            child = ents[i]
            if isinstance(child, int) or child.kernel:
                continue
            rec(child, level + 1, base + i * span)

    before = len(seen)
    rec(pgd, 0, 0)
    return leaves, len(seen) - before


def _check_lru_gen(m: Machine, node: Node, lru_seen: set[int]) -> None:
    """The multi-gen LRU (mm/lru_gen.py; the kernel's seq_is_valid and the VM_WARNs of
    lru_gen_add_folio / sort_folio): the window holds MIN_NR_GENS..MAX_NR_GENS
    generations of each type; the two-list lists hold no evictable page; every page on a
    generation list is evictable, of that list's type, on no other list, with the
    generation in its flags within [min_seq, max_seq] and no older than its list's (the
    aging promotes through the flags, sort_folio moves the page later); lists of
    generations outside the window are empty; nr_pages counts the pages by the
    generation in their flags."""
    g = node.lru.lrugen
    for type_ in (0, 1):
        n = g.max_seq - g.min_seq[type_] + 1
        if not lru_gen.MIN_NR_GENS <= n <= lru_gen.MAX_NR_GENS:
            _fail(f"node {node.id}: {n} generations of type {type_} (min_seq "
                  f"{g.min_seq[type_]}, max_seq {g.max_seq}): not {lru_gen.MIN_NR_GENS}.."
                  f"{lru_gen.MAX_NR_GENS}")
    for i in range(4):
        if node.lru.lists[i]:
            _fail(f"node {node.id}: the multi-gen LRU is on but list {i} holds pages")
    counted = [[0, 0] for _ in range(lru_gen.MAX_NR_GENS)]
    for type_ in (0, 1):
        window = {seq % lru_gen.MAX_NR_GENS: seq
                  for seq in range(g.min_seq[type_], g.max_seq + 1)}
        for gen in range(lru_gen.MAX_NR_GENS):
            lst = g.folios[gen][type_]
            if gen not in window:
                if lst:
                    _fail(f"node {node.id}: generation list {gen} of type {type_} is outside "
                          f"the window {g.min_seq[type_]}..{g.max_seq} but holds {len(lst)}")
                continue
            for pfn in lst:
                page = m.mem.pages.get(pfn)
                if page is None:
                    _fail(f"generation list {gen}/{type_} of node {node.id} holds free frame "
                          f"{pfn:#x}")
                assert page is not None
                if pfn in lru_seen:
                    _fail(f"frame {pfn:#x} on two LRU lists")
                lru_seen.add(pfn)
                if not page.flags & PG_lru or page.flags & (PG_unevictable | PG_active):
                    _fail(f"frame {pfn:#x} on generation list {gen}/{type_} with flags "
                          f"{page.flag_names()}")
                if lru_gen.folio_is_file_lru(page) != type_:
                    _fail(f"frame {pfn:#x} on a type-{type_} generation list is not of that "
                          "type")
                if page.zone.node is not node:
                    _fail(f"frame {pfn:#x} on node {node.id}'s generations but lives on node "
                          f"{page.zone.node.id}")
                fgen = lru_gen.folio_lru_gen(page)
                if fgen not in window or window[fgen] < window[gen]:
                    _fail(f"frame {pfn:#x} on generation list {window[gen]} says generation "
                          f"{fgen} in its flags (window {g.min_seq[type_]}..{g.max_seq})")
                counted[fgen][type_] += 1
    for gen in range(lru_gen.MAX_NR_GENS):
        for type_ in (0, 1):
            if g.nr_pages[gen][type_] != counted[gen][type_]:
                _fail(f"node {node.id}: nr_pages[{gen}][{type_}] is {g.nr_pages[gen][type_]} "
                      f"but {counted[gen][type_]} page(s) are of that generation")


def _check_pvecs(m: Machine, on_lru: Callable[[int], bool]) -> None:
    """The per-CPU LRU batches and the pages only they hold (`on_lru(pfn)`: is the frame
    on an LRU list)."""
    mem = m.mem
    # the per-CPU LRU batches (mm/swap.py): every page a batch holds is in use, with one
    # reference per batch entry; a page waiting in an lru_add_pvec is on no list yet (and
    # in no other lru_add_pvec); a page only batches hold was freed by its last user
    pvec_refs: dict[int, int] = {}
    waiting: set[int] = set()
    for cpu, pv in m.lru_pvecs.items():
        for which, pvec in enumerate(pv.pvecs):
            if len(pvec) >= 15:  # PAGEVEC_SIZE: a full batch is drained at once
                _fail(f"cpu {cpu}: batch {which} holds {len(pvec)} pages, not drained")
            for page in pvec:
                if mem.pages.get(page.pfn) is not page:
                    _fail(f"cpu {cpu}: batch {which} holds frame {page.pfn:#x}, not in use")
                pvec_refs[page.pfn] = pvec_refs.get(page.pfn, 0) + 1
                if which == 0:
                    if page.flags & PG_lru or on_lru(page.pfn):
                        _fail(f"frame {page.pfn:#x} waits in cpu {cpu}'s lru_add_pvec but "
                              "is on an LRU list")
                    if page.pfn in waiting:
                        _fail(f"frame {page.pfn:#x} waits in two lru_add_pvec entries")
                    waiting.add(page.pfn)
    for pfn, refs in pvec_refs.items():
        page = mem.pages[pfn]
        own = 0 if pfn in m.lru_released else 1
        if page.refcount != refs + own:
            _fail(f"frame {pfn:#x}: refcount {page.refcount}, but {refs} batch entr(ies) and "
                  f"{own} user hold it")
    for pfn in m.lru_released:
        if pfn not in pvec_refs:
            _fail(f"frame {pfn:#x} was released to a batch that no longer holds it")
        page = mem.pages[pfn]
        if page.mapcount or page.flags & PG_swapcache:
            _fail(f"frame {pfn:#x} is released but still mapped or in the swap cache")


def _check_anon_exclusive(page: Any) -> None:
    """PG_anon_exclusive (6.x): only an anonymous page, mapped by at most one PTE
    (include/linux/page-flags.h PageAnonExclusive(); fork clears it before sharing)."""
    if page.flags & PG_anon_exclusive:
        if not page.flags & PG_anon:
            _fail(f"frame {page.pfn:#x} has PG_anon_exclusive but is not anonymous")
        if page.mapcount > 1:
            _fail(f"frame {page.pfn:#x} has PG_anon_exclusive but {page.mapcount} PTEs map it")


def check_invariants(m: Machine) -> None:
    """Assert every engine invariant; raises InvariantError naming the first that fails."""
    try:
        _check(m)
    except InvariantError:
        raise
    except AssertionError as e:
        raise InvariantError(str(e)) from e


def _check_vma_set(task: Any, mm: Any, shmem_files: dict[File, None]) -> None:
    """The VMA set of one address space (validate_mm): sorted, disjoint, the index and the
    tree agree; each VMA in its file's i_mmap and its anon_vmas; total_vm their sum. Files
    with pages in swap are added to `shmem_files`."""
    mm.vmas.check()
    total = 0
    for vma in mm.vmas:
        assert vma.vm_mm is mm, f"{vma!r} has a foreign vm_mm"
        assert vma.vm_end <= mm.task_size, f"{vma!r} beyond TASK_SIZE"
        total += vma.pages()
        if vma.vm_file is not None:
            assert vma in vma.vm_file.i_mmap, f"{vma!r} missing from its file's i_mmap"
            if vma.vm_file.swapped:
                shmem_files[vma.vm_file] = None
        for av in vma.anon_vma_chain:
            assert vma in av.vmas, f"{vma!r} missing from anon_vma {av.id}"
        if vma.anon_vma is not None:
            assert vma.anon_vma in vma.anon_vma_chain, f"{vma!r} anon_vma not in its chain"
    if total != mm.total_vm:
        _fail(f"pid {task.pid}: total_vm {mm.total_vm} != {total} pages in VMAs")


def _check_mm(m: Machine, task: Any, mm: Any, tables: set[int], mapped_pfns: list[int],
              swapref_ptes: list[int], shmem_files: dict[File, None]) -> None:
    """One address space: its VMA set, every PTE in it (each in a VMA, mapping a page in
    use that maps back to it), its RSS counters and pgtables_bytes. Each PTE mapping a
    frame adds the frame to `mapped_pfns`, each swap PTE its entry to `swapref_ptes`."""
    pages_get = m.mem.pages.get
    mem = m.mem
    zero_pfn = m.zero_page.pfn
    _check_vma_set(task, mm, shmem_files)
    assert mm.pgd is not None
    rss_anon = rss_file = rss_shmem = rss_swap = 0
    # one walk of the user half finds every table (each used once, each an owned
    # PG_pgtable page) and, in address order, every PTE table with its base address
    leaves, ntables = _user_tables(m, mm.pgd, tables, mem.pages)
    if ntables * PAGE_SIZE != mm.pgtables_bytes:
        _fail(f"pid {task.pid}: pgtables_bytes {mm.pgtables_bytes} != {ntables} tables")
    # PTEs come in address order, as the VMAs do: one cursor finds each PTE's VMA
    vmas = iter(mm.vmas)
    vma = next(vmas, None)
    vstart = vend = 0
    vpg = 0  # the page index of address 0 in the VMA's own numbering
    chain: list[object] = []
    for table, base in leaves:
        ents = table.entries
        for idx in sorted(ents):
            pte = ents[idx]
            va = base + (idx << PAGE_SHIFT)
            if va >= vend or va < vstart:
                while vma is not None and vma.vm_end <= va:
                    vma = next(vmas, None)
                if vma is None or vma.vm_start > va:
                    _fail(f"pid {task.pid}: PTE for {va:#x} outside every VMA")
                assert vma is not None
                vstart, vend = vma.vm_start, vma.vm_end
                vpg = vma.vm_pgoff - (vstart >> PAGE_SHIFT)
                chain = vma.anon_vma_chain
            if pte and not pte & _PRESENT:  # is_swap_pte()
                swapref_ptes.append(pte)
                rss_swap += 1
                continue
            pfn = (pte & PTE_PFN_MASK) >> PAGE_SHIFT  # pte_pfn()
            if pfn == zero_pfn:
                continue
            if pte & _PAGE_SPECIAL:
                if not vma.vm_flags & (VM_PFNMAP | VM_MIXEDMAP):  # type: ignore[union-attr]
                    _fail(f"pid {task.pid}: special PTE at {va:#x} outside a VM_PFNMAP VMA")
                continue  # vmf_insert_pfn(): no struct page behind it
            page = pages_get(pfn)
            if page is None:
                if pfn in m.special_pages:
                    mapped_pfns.append(pfn)  # a [vdso] page: a kernel page counted as a
                    rss_file += 1            # file page
                    continue
                _fail(f"pid {task.pid}: {va:#x} maps frame {pfn:#x}, which is not in use")
            mapped_pfns.append(pfn)
            want = (va >> PAGE_SHIFT) + vpg
            if not page.flags & PG_anon and isinstance(page.mapping, File):
                if page.flags & PG_swapbacked:
                    rss_shmem += 1
                else:
                    rss_file += 1
                if page.index != want:
                    _fail(f"file page {pfn:#x} index {page.index} mapped at page {want}")
            else:
                rss_anon += 1
                if not page.flags & PG_anon:
                    _fail(f"frame {pfn:#x} mapped in an anonymous place without PG_anon")
                if page.index != want:
                    _fail(f"anon page {pfn:#x} index {page.index} does not map back to "
                          f"{va:#x}")
                if page.mapping not in chain:
                    _fail(f"anon page {pfn:#x} at {va:#x}: its anon_vma is not linked to "
                          "the VMA")
    got = (mm.rss_anon, mm.rss_file, mm.rss_shmem, mm.rss_swap)
    want4 = (rss_anon, rss_file, rss_shmem, rss_swap)
    if got != want4:
        _fail(f"pid {task.pid}: rss anon/file/shmem/swap {got} != page tables {want4}")


def _check(m: Machine) -> None:
    mem = m.mem
    mapped_pfns: list[int] = []  # one entry per PTE mapping a frame: counted into mapcount
    swapref_ptes: list[int] = []  # one entry per swap PTE: counted into swapref
    tables: set[int] = set()
    shmem_files: dict[File, None] = {}  # shmem files with swap entries in their mapping
    for task in m.live_tasks():
        _check_mm(m, task, task.mm, tables, mapped_pfns, swapref_ptes, shmem_files)
    mapcount = Counter(mapped_pfns)
    swapref = Counter(swapref_ptes)
    # kernel tables (init_mm) are owned too
    assert m.init_mm.pgd is not None
    for t in m.pt.tables(m.init_mm.pgd, include_kernel=True):
        if t.pfn in tables:
            continue
        tables.add(t.pfn)
    # every page in use: mapcount right, on the right LRU list
    lru_seen: set[int] = set()
    for node in mem.nodes:
        for i, lst in enumerate(node.lru.lists):
            for pfn in lst:
                page = mem.pages.get(pfn)
                if page is None:
                    _fail(f"LRU list {i} of node {node.id} holds free frame {pfn:#x}")
                assert page is not None
                if not page.flags & PG_lru or page_lru(page) != i:
                    _fail(f"frame {pfn:#x} on LRU list {i} but its flags say {page_lru(page)}")
                if page.zone.node is not node:
                    _fail(f"frame {pfn:#x} on node {node.id}'s LRU but lives on node "
                          f"{page.zone.node.id}")
                if pfn in lru_seen:
                    _fail(f"frame {pfn:#x} on two LRU lists")
                lru_seen.add(pfn)
        if node.lru.lrugen is not None:
            _check_lru_gen(m, node, lru_seen)
    _check_pvecs(m, lru_seen.__contains__)
    for pfn, page in mem.pages.items():
        if page.pfn != pfn:
            _fail(f"page object of {pfn:#x} says pfn {page.pfn:#x}")
        if page.flags & PG_pgtable:
            continue
        if page.mapcount != mapcount.get(pfn, 0):
            _fail(f"frame {pfn:#x}: mapcount {page.mapcount} but {mapcount.get(pfn, 0)} PTE(s) "
                  "map it")
        if page.flags & PG_lru and pfn not in lru_seen:
            _fail(f"frame {pfn:#x} has PG_lru but is on no list")
        _check_anon_exclusive(page)
        if isinstance(page.mapping, File) and not page.flags & PG_anon:
            if page.mapping.pages.get(page.index) is not page:
                _fail(f"file page {pfn:#x} is not in its file's page cache")
        elif page.flags & PG_anon and page.mapcount == 0 and \
                not page.flags & PG_swapcache and pfn not in m.lru_released:
            _fail(f"anon frame {pfn:#x} is mapped nowhere and not in the swap cache: leaked")
    for pfn, page in m.special_pages.items():
        if page.mapcount != mapcount.get(pfn, 0):
            _fail(f"special page {pfn:#x}: mapcount {page.mapcount} but "
                  f"{mapcount.get(pfn, 0)} PTE(s) map it")
    # frames: free blocks and used pages never overlap, counts add up
    used_pfns = sorted(mem.pages)
    for zone in mem.zones:
        free = 0
        blocks = []
        for pfn, order in zone.free_blocks():
            n = 1 << order
            if pfn & (n - 1):
                _fail(f"free block {pfn:#x} of order {order} is not aligned")
            if pfn < zone.start_pfn or pfn + n > zone.end_pfn:
                _fail(f"free block {pfn:#x} order {order} outside zone {zone.name}")
            blocks.append((pfn, pfn + n))
            free += n
        blocks.sort()
        for (_a0, a1), (b0, _b1) in zip(blocks, blocks[1:], strict=False):
            if b0 < a1:
                _fail(f"free blocks overlap at {b0:#x} in zone {zone.name}")
        if free != zone.nr_free:
            _fail(f"zone {zone.node.id}:{zone.name}: nr_free {zone.nr_free} != {free} in blocks")
        used = bisect_left(used_pfns, zone.end_pfn) - bisect_left(used_pfns, zone.start_pfn)
        if used + free != zone.managed:
            _fail(f"zone {zone.node.id}:{zone.name}: {used} used + {free} free != managed "
                  f"{zone.managed}")
        # no frame in use lies inside a free block: the used frames between a block's
        # first and last frame (both sorted, so one bisect per block)
        for b0, b1 in blocks:
            i = bisect_left(used_pfns, b0)
            if i < len(used_pfns) and used_pfns[i] < b1:
                inside = used_pfns[i]
                _fail(f"frame {inside:#x} is in use and inside a free block of order "
                      f"{(b1 - b0).bit_length() - 1}")
    in_zones = sum(bisect_left(used_pfns, z.end_pfn) - bisect_left(used_pfns, z.start_pfn)
                   for z in mem.zones)
    if in_zones != len(used_pfns):
        _fail(f"{len(used_pfns) - in_zones} frame(s) in use outside every zone")
    # swap
    for entry, page in m.swap.cache.items():
        if not page.flags & PG_swapcache or page.private != entry:
            _fail(f"swap cache entry {entry:#x} -> frame {page.pfn:#x} inconsistent")
        if mem.pages.get(page.pfn) is not page:
            _fail(f"swap cache holds freed frame {page.pfn:#x}")
    refs_by_slot = {(swp_type(e), swp_offset(e)): n for e, n in swapref.items()}
    shmem_refs: Counter[tuple[int, int]] = Counter()
    for f in shmem_files:
        if f not in m.swap.shmem_swaplist:
            _fail(f"{f.name} has pages in swap but is not on shmem_swaplist")
    for f in m.swap.shmem_swaplist:
        for index, e in f.swapped.items():
            shmem_refs[(swp_type(e), swp_offset(e))] += 1
            if index in f.pages:
                _fail(f"{f.name} page {index} is both in the page cache and in swap")
    for si in m.swap.areas:
        swap_map = si.swap_map
        for (stype, off) in refs_by_slot:
            if stype == si.type and (off >= si.pages or not swap_map[off]):
                _fail(f"swap slot {off} is free but a PTE holds it")
        for (stype, off) in shmem_refs:
            if stype == si.type and (off >= si.pages or not swap_map[off]):
                _fail(f"swap slot {off} is free but a shmem mapping holds it")
        inuse = 0
        # the slots in use (slot 0 is the header): the regular expression engine finds the
        # non-zero bytes of the map in C, at a cost that follows the slots in use
        for hit in _IN_USE.finditer(swap_map, 1):
            off = hit.start()
            c = swap_map[off]
            inuse += 1
            if c & 0x40 and swp_entry(si.type, off) not in m.swap.cache:
                _fail(f"swap slot {off} says SWAP_HAS_CACHE but no page is in the swap cache")
            refs = refs_by_slot.get((si.type, off), 0)
            srefs = shmem_refs.get((si.type, off), 0)
            if c & ~0x40 == SWAP_MAP_SHMEM:
                if srefs != 1 or refs:
                    _fail(f"swap slot {off} is SWAP_MAP_SHMEM but {srefs} shmem mapping(s) "
                          f"and {refs} PTE(s) hold it")
            elif c & 0x3F != refs or srefs:
                _fail(f"swap slot {off}: count {c & 0x3F} but {refs} PTE(s) and {srefs} shmem "
                      "mapping(s) hold it")
        if inuse != si.inuse_pages:
            _fail(f"swap area {si.type}: inuse_pages {si.inuse_pages} != {inuse}")
