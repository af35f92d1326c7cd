"""IncrementalCheck: the invariants of check_invariants, restricted to what one step changed.

`arm(m)` before a step turns the engine's dirty-tracking on and notes the few counters the
check compares against; `check()` after it turns the tracking off and checks what the step
touched. The engine records, only while armed (each hook is one `is not None` test
otherwise):

- PageTables.touched (include/pgtable.py): every user PTE table handed out by
  pte_table() or iter_ptes(), or emptied or freed there, with its pgd, base address and
  its entries as they were when first handed out. Every user PTE the engine writes is
  written through a table obtained that way, so the entries that differ between that copy
  and the table now are the PTEs the step set or cleared.
- PhysMem.touched (include/mmzone.py, mm/vmscan.py, mm/swap.py): every frame taken by
  rmqueue()/rmqueue_bulk(), given back by free_one(), added to or deleted from an LRU list
  (add_page_to_lru[_tail], del_page_from_lru, isolate_lru_pages, the lru_add_pvec drain);
  and PhysMem.unlinked: the struct page del_page_from_lru() first saw at each frame
  (free_page() comes through it), which is the one in use at arm time if it was freed.

By induction (a full check before the first step; each step then changes only what it
touches) the incremental check after each step finds what check_invariants would find,
except where noted below. It checks:

- VMAs: every address space whose VMA set changed (its VMAs' bounds, pgoff, flags,
  anon_vma, file or chain, or total_vm) gets the full VMA-set check (sorted, disjoint,
  index and tree agree, i_mmap and anon_vma links, total_vm), and every PTE in the old and
  the new ranges of the VMAs that changed is checked to lie in a VMA and map back to it.
  A new address space (fork, exec) gets the whole per-mm check; a machine booted afresh
  (`reboot`) the whole check_invariants.
- PTEs: every PTE the step set or cleared (A/D/RW-only changes aside: no invariant reads
  those bits) - in a VMA, mapping a frame in use, the page's index and anon_vma agreeing
  with the VMA, special PTEs only in VM_PFNMAP/VM_MIXEDMAP VMAs.
- RSS: each mm's rss anon/file/shmem/swap moved by exactly what its changed PTEs add and
  remove (the old PTE's page classed by the struct page in use at arm time: PG_anon,
  else PG_swapbacked for shmem, else file, as those flags stay once set); pgtables_bytes
  equals its tables, recounted (tables only, not PTEs) for every mm whose pgtables_bytes
  moved or that has a touched PTE table that was empty or new when first handed out, or
  was freed (a table is only made or freed along with one such: pte_table() allocating,
  free_range()).
- mapcount: every page an old or new PTE of the step maps, and every touched frame, has
  as many PTEs as its mapcount, counted through rmap (anon_vma or i_mmap, then the page
  tables at vma_address()); a frame freed in the step has none left. [vdso] pages: the
  change of mapcount equals the change in PTEs.
- frames: each touched frame is either in use (its struct page names it, lies in its zone
  and in no free block) or free (inside a free block, on no LRU list); each zone's nr_free
  moved by the sizes of the buddy blocks added and removed, every new block aligned, inside
  its zone and holding no frame in use; pages in use plus nr_free equals managed, summed
  over the zones (an O(1) count).
- LRU: each touched page with PG_lru is on the list (or generation) its flags name and on
  no other; without PG_lru on none; a file page in its file's page cache; an anonymous
  page neither mapped nor in the swap cache nor released to a batch is a leak. The per-CPU
  batches (a few pages) are checked whole. Multi-gen LRU: the window of generations,
  empty lists outside it, the two-list lists empty, and per type the pages counted in
  nr_pages equal the pages on the generation lists (O(generations)).
- swap: every swap slot whose count, cache bit, PTEs or shmem entries changed: the count
  moved by the swap PTEs and shmem entries gained and lost (SWAP_MAP_SHMEM: one shmem
  entry, no PTE), SWAP_HAS_CACHE only with a page in the swap cache; each changed swap
  cache entry names a page in use in the swap cache under that entry; inuse_pages moved by
  the slots taken and freed; a shmem file's changed indices are not both cached and in
  swap.

Cost: what the step touched, plus two things that follow the machine's size: arm() and
check() read each live mm's VMAs (a tuple per VMA, to see which VMA sets changed: there is
no hook in the VMA sets), and arm() copies each zone's free lists and each swap map (in C).

Only the full check (tests, `vmtui check --paranoid`, the end of `vmtui check`) covers:

- per zone, pages in use plus free equals managed (the incremental check sums the zones),
  and free blocks of different orders not overlapping where both are old;
- a page table frame used by two address spaces, and the kernel's tables;
- whatever changed without passing any hook: a page's flags, mapcount, mapping or index
  changed while no PTE mapping it and no allocator or LRU path touched it (e.g. PG_active
  set without moving the page; the multi-gen LRU's aging moving pages between
  generations); a frame freed whose struct page had already lost its mapping (its rmap
  cannot be walked); LRU lists of another node than the page's;
- a shmem file with pages in swap missing from shmem_swaplist, unless a VMA mapping it
  changed;
- the generation counts of the multi-gen LRU per generation (the incremental check
  compares them per type).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vmtui.engine.check.invariants import (
    InvariantError,
    _check_anon_exclusive,
    _check_mm,
    _check_pvecs,
    _check_vma_set,
    _fail,
    _user_tables,
    check_invariants,
)
from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT, PAGE_SIZE
from vmtui.engine.include.mm_types import VM_MIXEDMAP, VM_PFNMAP, AnonVma
from vmtui.engine.include.mmzone import (
    MAX_ORDER,
    PG_active,
    PG_anon,
    PG_lru,
    PG_pgtable,
    PG_swapbacked,
    PG_swapcache,
    PG_unevictable,
)
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_DIRTY,
    _PAGE_PRESENT,
    _PAGE_PROTNONE,
    _PAGE_RW,
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
    from vmtui.engine.include.mmzone import Page, Zone

_PRESENT = _PAGE_PRESENT | _PAGE_PROTNONE
_BITS_NO_INVARIANT_READS = _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_RW
ANON, FILE, SHMEM, SWAP = range(4)
_CHUNK = 512  # swap_map bytes compared at once when looking for the slots that changed


def _vma_sig(mm: Any) -> list[tuple[Any, ...]]:
    """What the VMA-set invariants read of each VMA, in address order."""
    return [(v, v.vm_start, v.vm_end, v.vm_pgoff, v.vm_flags, v.anon_vma, v.vm_file,
             tuple(v.anon_vma_chain)) for v in mm.vmas]


def _pte_view(sig: list[tuple[Any, ...]]) -> Callable[[int], tuple[Any, ...] | None]:
    """What a PTE at an address is checked against in the VMA set `sig`: the page index of
    address 0 in the covering VMA's numbering, its anon_vmas and whether it may hold
    special PTEs (None: no VMA covers the address)."""
    starts = [t[1] for t in sig]

    def view(addr: int) -> tuple[Any, ...] | None:
        i = bisect_right(starts, addr) - 1
        if i < 0 or sig[i][2] <= addr:
            return None
        t = sig[i]
        return t[3] - (t[1] >> PAGE_SHIFT), t[7], bool(t[4] & (VM_PFNMAP | VM_MIXEDMAP))

    return view


def _changed_ranges(old: list[tuple[Any, ...]], new: list[tuple[Any, ...]]
                    ) -> list[tuple[int, int]]:
    """The address ranges where a PTE would be checked against something else in `new`
    than in `old` (a VMA grown by a merge: only the part added). Between two bounds of VMAs
    that changed, each side is covered whole by one changed VMA, or by the same unchanged
    VMA, or by none: the view at the range's start stands for the whole range."""
    changed = set(old) ^ set(new)
    points = sorted({t[1] for t in changed} | {t[2] for t in changed})
    was, now = _pte_view(old), _pte_view(new)
    return [(a, b) for a, b in zip(points, points[1:], strict=False) if was(a) != now(a)]


def _changed_offsets(old: bytes, new: bytes | bytearray) -> list[int]:
    """The offsets where two swap maps differ (compared a chunk at a time in C)."""
    out: list[int] = []
    for a in range(0, max(len(old), len(new)), _CHUNK):
        b = a + _CHUNK
        o, n = old[a:b], new[a:b]
        if o != n:
            out.extend(a + i for i in range(max(len(o), len(n)))
                       if (o[i] if i < len(o) else 0) != (n[i] if i < len(n) else 0))
    return out


class IncrementalCheck:
    """Arm before a step, check after it: the step's changes against every invariant that
    follows them (see the module docstring for what only the full check covers)."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.armed = False
        self.unlinked: dict[int, Page] = {}
        check_invariants(m)  # the induction's base: everything holds before the first step

    # ------------------------------------------------------------------ arming
    def arm(self) -> None:
        """Turn the engine's dirty-tracking on and note the counters a step may move."""
        m = self.m
        mem = m.mem
        self.mms: dict[Any, tuple[Any, ...]] = {}
        for task in m.live_tasks():
            mm = task.mm
            if mm not in self.mms:
                self.mms[mm] = (mm.rss_anon, mm.rss_file, mm.rss_shmem, mm.rss_swap,
                                mm.total_vm, mm.pgtables_bytes, _vma_sig(mm))
        self.special0 = {pfn: p.mapcount for pfn, p in m.special_pages.items()}
        self.free0 = [[dict(area) for area in z.free_area] for z in mem.zones]
        self.nr_free0 = [z.nr_free for z in mem.zones]
        sw = m.swap
        self.maps0 = {si: (bytes(si.swap_map), si.inuse_pages) for si in sw.areas}
        self.cache0 = dict(sw.cache)
        self.shmem0 = {f: dict(f.swapped) for f in sw.shmem_swaplist}
        self.released0 = set(m.lru_released)
        self.pt, self.mem, self.swap = m.pt, mem, sw
        m.pt.touched = {}
        mem.touched = set()
        mem.unlinked = {}
        self.armed = True

    def disarm(self) -> tuple[dict[PageTable, Any], set[int]]:
        """Turn the tracking off; what it marked (PTE tables, frames)."""
        if not self.armed:
            return {}, set()
        tables, frames = self.pt.touched or {}, self.mem.touched or set()
        self.unlinked = self.mem.unlinked or {}
        self.pt.touched = None
        self.mem.touched = None
        self.mem.unlinked = None
        self.armed = False
        return tables, frames

    # ------------------------------------------------------------------ checking
    def check(self) -> None:
        """Check what the step since arm() touched; raises InvariantError naming the first
        invariant that fails."""
        tables, frames = self.disarm()
        m = self.m
        try:
            if m.pt is not self.pt or m.mem is not self.mem or m.swap is not self.swap:
                check_invariants(m)  # `reboot`: a machine booted afresh, nothing to compare
                return
            self._check(tables, frames)
        except InvariantError:
            raise
        except AssertionError as e:
            raise InvariantError(str(e)) from e

    def _check(self, tables: dict[PageTable, Any], frames: set[int]) -> None:
        m = self.m
        mem = m.mem
        pages = mem.pages
        live: dict[Any, Any] = {}
        for task in m.live_tasks():
            live.setdefault(task.mm, task)
        self.live = live
        by_pgd = {id(mm.pgd): mm for mm in live}
        shmem_files: dict[File, None] = {}
        # -------------------------------------------------- address spaces and VMAs
        recheck: list[tuple[Any, int, int]] = []  # (mm, start, end): PTEs to re-verify
        new_mms = [mm for mm in live if mm not in self.mms]
        for mm in new_mms:
            _check_mm(m, live[mm], mm, set(), [], [], shmem_files)
        for mm, task in live.items():
            old = self.mms.get(mm)
            if old is None:
                continue
            sig = _vma_sig(mm)
            if sig != old[6] or mm.total_vm != old[4]:
                _check_vma_set(task, mm, shmem_files)
                recheck += [(mm, a, b) for a, b in _changed_ranges(old[6], sig)]
        # -------------------------------------------------- PTEs the step set or cleared
        mapped: set[int] = set()  # frames an old or a new PTE maps: mapcount recounted
        swap_delta: dict[int, int] = {}  # swap entry -> PTEs gained minus lost
        special_delta: dict[int, int] = {}
        rss_delta: dict[Any, list[int]] = {}
        table_mms: set[Any] = set()
        for table, (pgd, base, old_ents) in tables.items():
            mm = by_pgd.get(id(pgd))
            if mm is not None and not old_ents:
                table_mms.add(mm)  # a table made, freed or empty: recount the mm's tables
            if old_ents is None:
                continue
            ents = table.entries
            if ents == old_ents:
                continue
            new_mm = mm is not None and mm not in self.mms
            delta = None
            if mm is not None and not new_mm:
                delta = rss_delta.setdefault(mm, [0, 0, 0, 0])
            for idx in ents.changed(old_ents):
                o = old_ents.get(idx, 0)
                n = ents.get(idx, 0)
                if o == n or (o and n and not (o ^ n) & ~_BITS_NO_INVARIANT_READS):
                    continue
                va = base + (idx << PAGE_SHIFT)
                self._account(o, -1, mapped, swap_delta, special_delta, delta, True)
                self._account(n, 1, mapped, swap_delta, special_delta, delta, False)
                if n and mm is not None and not new_mm:
                    self._check_pte(live[mm], mm, va, n)
        for mm, start, end in recheck:
            if mm.pgd is None:
                continue
            task = live[mm]
            for table, idx, va in m.pt.iter_ptes(mm.pgd, start, end):
                self._check_pte(task, mm, va, table.entries[idx])
        # -------------------------------------------------- per-mm counters
        for mm, delta in rss_delta.items():
            a0, f0, s0, w0 = self.mms[mm][:4]
            got = (mm.rss_anon - a0, mm.rss_file - f0, mm.rss_shmem - s0, mm.rss_swap - w0)
            if got != tuple(delta):
                _fail(f"pid {live[mm].pid}: rss anon/file/shmem/swap moved by {got} but the "
                      f"PTEs the step changed move them by {tuple(delta)}")
        for mm in table_mms | {mm for mm in live if mm in self.mms and
                               mm.pgtables_bytes != self.mms[mm][5]}:
            if mm in self.mms and mm.pgd is not None:
                _leaves, ntables = _user_tables(m, mm.pgd, set(), pages)
                if ntables * PAGE_SIZE != mm.pgtables_bytes:
                    _fail(f"pid {live[mm].pid}: pgtables_bytes {mm.pgtables_bytes} != "
                          f"{ntables} tables")
        # -------------------------------------------------- mapcounts
        for pfn, d in special_delta.items():
            page = m.special_pages.get(pfn)
            was = self.special0.get(pfn, 0)
            if page is None or page.mapcount - was != d:
                now = page.mapcount if page is not None else 0
                _fail(f"special page {pfn:#x}: mapcount {was} -> {now} but the PTEs mapping "
                      f"it changed by {d}")
        # swap cache entries that changed, and the frames they name
        cache = m.swap.cache
        cache_changed = [e for e in cache.keys() | self.cache0.keys()
                         if cache.get(e) is not self.cache0.get(e)] \
            if cache != self.cache0 else []
        for e in cache_changed:
            page = cache.get(e)
            if page is not None:
                if not page.flags & PG_swapcache or page.private != e:
                    _fail(f"swap cache entry {e:#x} -> frame {page.pfn:#x} inconsistent")
                if pages.get(page.pfn) is not page:
                    _fail(f"swap cache holds freed frame {page.pfn:#x}")
                frames.add(page.pfn)
            old = self.cache0.get(e)
            if old is not None:
                frames.add(old.pfn)
        frames |= mapped
        frames |= self.released0 ^ m.lru_released
        for pfn in frames:
            self._check_frame(pfn)
        # -------------------------------------------------- zones and buddy blocks
        total_free = 0
        for zi, zone in enumerate(mem.zones):
            total_free += zone.nr_free
            self._check_zone(zone, self.free0[zi], self.nr_free0[zi])
        if len(pages) + total_free != sum(z.managed for z in mem.zones):
            _fail(f"{len(pages)} frames in use + {total_free} free != "
                  f"{sum(z.managed for z in mem.zones)} managed")
        # -------------------------------------------------- LRU
        for node in mem.nodes:
            g = node.lru.lrugen
            if g is not None:
                self._check_lrugen_counts(node)
        _check_pvecs(m, self._on_lru)
        # -------------------------------------------------- swap
        self._check_swap(swap_delta, cache_changed, shmem_files)

    # ------------------------------------------------------------------ PTEs
    def _account(self, pte: int, sign: int, mapped: set[int], swap_delta: dict[int, int],
                 special_delta: dict[int, int], rss: list[int] | None, old: bool) -> None:
        """Add (sign 1) or take away (sign -1) one PTE from the counts it enters."""
        if not pte:
            return
        if not pte & _PRESENT:
            swap_delta[pte] = swap_delta.get(pte, 0) + sign
            if rss is not None:
                rss[SWAP] += sign
            return
        pfn = (pte & PTE_PFN_MASK) >> PAGE_SHIFT
        m = self.m
        if pfn == m.zero_page.pfn or pte & _PAGE_SPECIAL:
            return
        page = self._old_page(pfn) if old else m.mem.pages.get(pfn)
        if page is None:
            if pfn in m.special_pages or pfn in self.special0:
                special_delta[pfn] = special_delta.get(pfn, 0) + sign
                if rss is not None:
                    rss[FILE] += sign
            elif not old:
                mapped.add(pfn)  # _check_pte names it: a frame not in use
            return
        mapped.add(pfn)
        if rss is None:
            return
        f = page.flags
        if old:  # as it was: PG_anon and PG_swapbacked stay on a file page once set
            cls = ANON if f & PG_anon else SHMEM if f & PG_swapbacked else FILE
        elif not f & PG_anon and isinstance(page.mapping, File):
            cls = SHMEM if f & PG_swapbacked else FILE
        else:
            cls = ANON
        rss[cls] += sign

    def _old_page(self, pfn: int) -> Page | None:
        """The struct page that was in use at `pfn` when the check was armed, if any: the
        one del_page_from_lru() first saw (free_page() comes through it), else the one in
        use now (the frame was not freed since)."""
        page = self.unlinked.get(pfn)
        return page if page is not None else self.m.mem.pages.get(pfn)

    def _check_pte(self, task: Any, mm: Any, va: int, pte: int) -> None:
        """One PTE as the full check sees it in its walk."""
        if not pte:
            return
        m = self.m
        vma = mm.vmas.find_vma(va)
        if vma is None or vma.vm_start > va:
            _fail(f"pid {task.pid}: PTE for {va:#x} outside every VMA")
        if not pte & _PRESENT:
            return
        pfn = (pte & PTE_PFN_MASK) >> PAGE_SHIFT
        if pfn == m.zero_page.pfn:
            return
        if pte & _PAGE_SPECIAL:
            if not vma.vm_flags & (VM_PFNMAP | VM_MIXEDMAP):
                _fail(f"pid {task.pid}: special PTE at {va:#x} outside a VM_PFNMAP VMA")
            return
        page = m.mem.pages.get(pfn)
        if page is None:
            if pfn in m.special_pages:
                return
            _fail(f"pid {task.pid}: {va:#x} maps frame {pfn:#x}, which is not in use")
        assert page is not None
        want = (va >> PAGE_SHIFT) + vma.vm_pgoff - (vma.vm_start >> PAGE_SHIFT)
        if not page.flags & PG_anon and isinstance(page.mapping, File):
            if page.index != want:
                _fail(f"file page {pfn:#x} index {page.index} mapped at page {want}")
        else:
            if not page.flags & PG_anon:
                _fail(f"frame {pfn:#x} mapped in an anonymous place without PG_anon")
            if page.index != want:
                _fail(f"anon page {pfn:#x} index {page.index} does not map back to {va:#x}")
            if page.mapping not in vma.anon_vma_chain:
                _fail(f"anon page {pfn:#x} at {va:#x}: its anon_vma is not linked to the VMA")

    def _rmap_count(self, page: Page) -> int | None:
        """The PTEs of live address spaces that map `page`, found through its rmap (None
        when it has none to walk)."""
        m = self.m
        mapping = page.mapping
        if page.flags & PG_anon and isinstance(mapping, AnonVma):
            vmas = mapping.vmas
        elif isinstance(mapping, File):
            vmas = mapping.i_mmap
        else:
            return None
        pfn = page.pfn
        leaf = m.pt.leaf
        n = 0
        for vma in vmas:
            start = vma.vm_start + ((page.index - vma.vm_pgoff) << PAGE_SHIFT)
            if not vma.vm_start <= start < vma.vm_end:
                continue
            mm = vma.vm_mm
            if mm.pgd is None or mm not in self.live:
                continue
            pte = leaf(mm.pgd, start)
            if pte & _PRESENT and not pte & _PAGE_SPECIAL and \
                    (pte & PTE_PFN_MASK) >> PAGE_SHIFT == pfn:
                n += 1
        return n

    # ------------------------------------------------------------------ frames
    def _free_block(self, zone: Zone, pfn: int) -> bool:
        for order, area in enumerate(zone.free_area):
            if pfn & ~((1 << order) - 1) in area:
                return True
        return False

    def _on_lru(self, pfn: int) -> bool:
        page = self.m.mem.pages.get(pfn)
        if page is None:
            return False
        return bool(self._lists_holding(page.zone.node, pfn))

    @staticmethod
    def _lists_holding(node: Any, pfn: int) -> list[tuple[int, int]]:
        """Every LRU list of `node` holding `pfn`: (-1, i) for two-list list i, (gen, type)
        for a generation list."""
        lru = node.lru
        out = [(-1, i) for i, lst in enumerate(lru.lists) if pfn in lst]
        g = lru.lrugen
        if g is not None:
            out += [(gen, type_) for gen in range(lru_gen.MAX_NR_GENS) for type_ in (0, 1)
                    if pfn in g.folios[gen][type_]]
        return out

    def _check_frame(self, pfn: int) -> None:
        m = self.m
        mem = m.mem
        page = mem.pages.get(pfn)
        if page is None:
            if pfn in m.special_pages:
                return
            old = self.unlinked.get(pfn)
            try:
                zone = mem.zone_of(pfn)
            except KeyError:
                _fail(f"frame {pfn:#x} outside every zone")
            if not self._free_block(zone, pfn):
                _fail(f"frame {pfn:#x} is neither in use nor in a free block")
            if self._lists_holding(zone.node, pfn):
                _fail(f"LRU list of node {zone.node.id} holds free frame {pfn:#x}")
            if old is not None:
                if old.flags & PG_swapcache and m.swap.cache.get(old.private) is old:
                    _fail(f"swap cache holds freed frame {pfn:#x}")
                n = self._rmap_count(old)
                if n:
                    _fail(f"frame {pfn:#x} was freed but {n} PTE(s) still map it")
            return
        if page.pfn != pfn:
            _fail(f"page object of {pfn:#x} says pfn {page.pfn:#x}")
        zone = page.zone
        if not zone.start_pfn <= pfn < zone.end_pfn:
            _fail(f"frame {pfn:#x} in use outside its zone {zone.name}")
        if self._free_block(zone, pfn):
            _fail(f"frame {pfn:#x} is in use and inside a free block")
        if page.flags & PG_pgtable:
            return
        n = self._rmap_count(page)
        if n is None:
            if page.mapcount:
                _fail(f"frame {pfn:#x}: mapcount {page.mapcount} but it has no rmap to map "
                      "it by")
        elif page.mapcount != n:
            _fail(f"frame {pfn:#x}: mapcount {page.mapcount} but {n} PTE(s) map it")
        _check_anon_exclusive(page)
        self._check_lru_page(page)
        if isinstance(page.mapping, File) and not page.flags & PG_anon:
            if page.mapping.pages.get(page.index) is not page:
                _fail(f"file page {pfn:#x} is not in its file's page cache")
        elif page.flags & PG_anon and page.mapcount == 0 and \
                not page.flags & PG_swapcache and pfn not in m.lru_released:
            _fail(f"anon frame {pfn:#x} is mapped nowhere and not in the swap cache: leaked")

    def _check_lru_page(self, page: Page) -> None:
        node = page.zone.node
        pfn = page.pfn
        on = self._lists_holding(node, pfn)
        if not page.flags & PG_lru:
            if on:
                _fail(f"frame {pfn:#x} is on LRU list {on[0]} of node {node.id} without "
                      "PG_lru")
            return
        if len(on) != 1:
            _fail(f"frame {pfn:#x} has PG_lru but is on {len(on)} LRU lists")
        gen, i = on[0]
        if gen < 0:
            if page_lru(page) != i:
                _fail(f"frame {pfn:#x} on LRU list {i} but its flags say {page_lru(page)}")
            if node.lru.lrugen is not None and i != 4:
                _fail(f"node {node.id}: the multi-gen LRU is on but list {i} holds pages")
            return
        g = node.lru.lrugen
        type_ = i
        if page.flags & (PG_unevictable | PG_active):
            _fail(f"frame {pfn:#x} on generation list {gen}/{type_} with flags "
                  f"{page.flag_names()}")
        if lru_gen.folio_is_file_lru(page) != type_:
            _fail(f"frame {pfn:#x} on a type-{type_} generation list is not of that type")
        window = {seq % lru_gen.MAX_NR_GENS: seq
                  for seq in range(g.min_seq[type_], g.max_seq + 1)}
        fgen = lru_gen.folio_lru_gen(page)
        if gen not in window or fgen not in window or window[fgen] < window[gen]:
            _fail(f"frame {pfn:#x} on generation list {gen} says generation {fgen} in its "
                  f"flags (window {g.min_seq[type_]}..{g.max_seq})")

    def _check_lrugen_counts(self, node: Any) -> None:
        g = node.lru.lrugen
        for i in range(4):
            if node.lru.lists[i]:
                _fail(f"node {node.id}: the multi-gen LRU is on but list {i} holds pages")
        for type_ in (0, 1):
            n = g.max_seq - g.min_seq[type_] + 1
            if not lru_gen.MIN_NR_GENS <= n <= lru_gen.MAX_NR_GENS:
                _fail(f"node {node.id}: {n} generations of type {type_} (min_seq "
                      f"{g.min_seq[type_]}, max_seq {g.max_seq}): not "
                      f"{lru_gen.MIN_NR_GENS}..{lru_gen.MAX_NR_GENS}")
            window = {seq % lru_gen.MAX_NR_GENS
                      for seq in range(g.min_seq[type_], g.max_seq + 1)}
            listed = counted = 0
            for gen in range(lru_gen.MAX_NR_GENS):
                lst = g.folios[gen][type_]
                if gen not in window and lst:
                    _fail(f"node {node.id}: generation list {gen} of type {type_} is outside "
                          f"the window {g.min_seq[type_]}..{g.max_seq} but holds {len(lst)}")
                listed += len(lst)
                counted += g.nr_pages[gen][type_]
            if listed != counted:
                _fail(f"node {node.id}: nr_pages of type {type_} count {counted} pages but "
                      f"the generation lists hold {listed}")

    def _check_zone(self, zone: Zone, old: list[dict[int, None]], nr_free0: int) -> None:
        moved = 0
        pages = self.m.mem.pages
        for order, area in enumerate(zone.free_area):
            was = old[order]
            if area == was:
                continue
            n = 1 << order
            gone = was.keys() - area.keys()
            came = area.keys() - was.keys()
            moved += n * (len(came) - len(gone))
            for pfn in came:
                if pfn & (n - 1):
                    _fail(f"free block {pfn:#x} of order {order} is not aligned")
                if pfn < zone.start_pfn or pfn + n > zone.end_pfn:
                    _fail(f"free block {pfn:#x} order {order} outside zone {zone.name}")
                if not pages.keys().isdisjoint(range(pfn, pfn + n)):
                    inside = next(p for p in range(pfn, pfn + n) if p in pages)
                    _fail(f"frame {inside:#x} is in use and inside a free block of order "
                          f"{order}")
                for o in range(order + 1, MAX_ORDER):
                    if pfn & ~((1 << o) - 1) in zone.free_area[o]:
                        _fail(f"free blocks overlap at {pfn:#x} in zone {zone.name}")
        if zone.nr_free - nr_free0 != moved:
            _fail(f"zone {zone.node.id}:{zone.name}: nr_free moved by {zone.nr_free - nr_free0}"
                  f" but its blocks by {moved}")

    # ------------------------------------------------------------------ swap
    def _check_swap(self, swap_delta: dict[int, int], cache_changed: list[int],
                    shmem_files: dict[File, None]) -> None:
        m = self.m
        sw = m.swap
        for f in shmem_files:
            if f not in sw.shmem_swaplist:
                _fail(f"{f.name} has pages in swap but is not on shmem_swaplist")
        # shmem swap entries gained and lost
        shm_delta: dict[int, int] = {}
        for f in sw.shmem_swaplist.keys() | self.shmem0.keys():
            now = f.swapped if f in sw.shmem_swaplist else {}
            was = self.shmem0.get(f, {})
            if now == was:
                continue
            for index in now.keys() | was.keys():
                e0, e1 = was.get(index), now.get(index)
                if e0 == e1:
                    continue
                if e0 is not None:
                    shm_delta[e0] = shm_delta.get(e0, 0) - 1
                if e1 is not None:
                    shm_delta[e1] = shm_delta.get(e1, 0) + 1
                    if index in f.pages:
                        _fail(f"{f.name} page {index} is both in the page cache and in swap")
        slots: dict[int, set[int]] = {}
        for e in list(swap_delta) + list(shm_delta) + cache_changed:
            slots.setdefault(swp_type(e), set()).add(swp_offset(e))
        for si in sw.areas:
            smap = si.swap_map
            old, inuse0 = self.maps0.get(si, (bytes(1), 0))  # a new area: its header aside
            mine = slots.get(si.type, set())
            changed = _changed_offsets(old, smap) if old != smap else []
            taken = 0
            for off in changed:
                if off:
                    taken += (smap[off] != 0) - (old[off] != 0 if off < len(old) else 0)
            if si.inuse_pages - inuse0 != taken:
                _fail(f"swap area {si.type}: inuse_pages moved by {si.inuse_pages - inuse0} "
                      f"but {taken} slot(s) were taken")
            for off in mine.union(changed):
                if not off:
                    continue
                e = swp_entry(si.type, off)
                if off >= si.pages:
                    _fail(f"swap slot {off} is free but a PTE holds it")
                c0 = old[off] if off < len(old) else 0
                c1 = smap[off]
                if c1 & 0x40 and e not in sw.cache:
                    _fail(f"swap slot {off} says SWAP_HAS_CACHE but no page is in the swap "
                          "cache")
                shm0 = c0 & ~0x40 == SWAP_MAP_SHMEM
                refs = (0 if shm0 else c0 & 0x3F) + swap_delta.get(e, 0)
                srefs = (1 if shm0 else 0) + shm_delta.get(e, 0)
                if c1 & ~0x40 == SWAP_MAP_SHMEM:
                    if srefs != 1 or refs:
                        _fail(f"swap slot {off} is SWAP_MAP_SHMEM but {srefs} shmem "
                              f"mapping(s) and {refs} PTE(s) hold it")
                elif c1 & 0x3F != refs or srefs:
                    if not c1 and (refs or srefs):
                        _fail(f"swap slot {off} is free but a "
                              f"{'PTE' if refs else 'shmem mapping'} holds it")
                    _fail(f"swap slot {off}: count {c1 & 0x3F} but {refs} PTE(s) and "
                          f"{srefs} shmem mapping(s) hold it")
