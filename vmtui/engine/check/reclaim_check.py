"""check_reclaim(machine): the LRU and swap invariants reclaim keeps, after any step.

They add to invariants.check_invariants(): every page reclaim may touch is on
exactly one LRU list or waits in a CPU's lru_add_pvec (nothing is left isolated),
mlocked pages sit on the unevictable list, the swap cache and the swap map agree both ways, a clean
page in the swap cache holds what its slot holds, and every kswapd is asleep
between steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.check.invariants import InvariantError
from vmtui.engine.include.fs import File
from vmtui.engine.include.machine import Task
from vmtui.engine.include.mmzone import (
    PG_anon,
    PG_dirty,
    PG_kernel,
    PG_lru,
    PG_mlocked,
    PG_pgtable,
    PG_reserved,
    PG_swapcache,
    PG_unevictable,
    PG_zero,
)
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn, swp_entry, swp_offset
from vmtui.engine.include.swap_info import SWAP_HAS_CACHE

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine


def check_reclaim(m: Machine) -> None:
    """Raise InvariantError naming the first LRU or swap invariant that does not hold."""
    not_lru = PG_pgtable | PG_kernel | PG_reserved | PG_zero
    # pages waiting in a CPU's lru_add_pvec: on no list until the batch drains
    waiting = {p.pfn for pv in m.lru_pvecs.values() for p in pv.pvecs[0]}
    for pfn, page in m.mem.pages.items():
        f = page.flags
        if f & not_lru:
            continue
        # a waiting page gets its list (and PG_unevictable if mlocked) at the drain
        if not f & PG_lru and pfn not in waiting:
            raise InvariantError(f"frame {pfn:#x} ({'|'.join(page.flag_names())}) is in use "
                                 "but on no LRU list nor in an LRU batch (left isolated?)")
        if bool(f & PG_mlocked) != bool(f & PG_unevictable) and pfn not in waiting:
            raise InvariantError(f"frame {pfn:#x}: mlocked and unevictable disagree "
                                 f"({'|'.join(page.flag_names())})")
        if f & PG_swapcache:
            if m.swap.cache.get(page.private) is not page:
                raise InvariantError(f"frame {pfn:#x} has PG_swapcache but the swap cache "
                                     f"does not hold it under {page.private:#x}")
            if not f & PG_anon and (page.mapping is not None or page.mapcount):
                # not anonymous yet: read ahead from swap (no rmap until a fault maps it)
                # or a shmem page on its way out (shmem_writepage) - nothing may map it
                raise InvariantError(f"swap-cache frame {pfn:#x} is neither anonymous nor "
                                     "an unmapped page without a mapping")
        elif isinstance(page.mapping, File) and not f & PG_anon:
            pass
        elif f & PG_anon and not page.mapcount and pfn not in m.lru_released:
            raise InvariantError(f"anon frame {pfn:#x} mapped nowhere and not in the swap "
                                 "cache")
    for entry, page in m.swap.cache.items():
        si = m.swap.area(entry)
        off = swp_offset(entry)
        if not si.swap_map[off] & SWAP_HAS_CACHE:
            raise InvariantError(f"swap cache holds {entry:#x} but slot {off} lacks "
                                 "SWAP_HAS_CACHE")
        if not page.flags & PG_dirty and off in si.slots and si.slots[off] != page.value:
            raise InvariantError(f"clean swap-cache frame {page.pfn:#x} holds {page.value} "
                                 f"but its slot {off} holds {si.slots[off]}")
    for si in m.swap.areas:
        for off in range(1, si.pages):
            c = si.swap_map[off]
            if c & SWAP_HAS_CACHE and swp_entry(si.type, off) not in m.swap.cache:
                raise InvariantError(f"slot {off} of swap area {si.type} says SWAP_HAS_CACHE "
                                     "but no page is in the swap cache for it")
            if not c and off in si.slots:
                raise InvariantError(f"free slot {off} still holds data")
        if si.inuse_pages > si.usable:
            raise InvariantError(f"swap area {si.type} uses more slots than it has")
    for node in m.mem.nodes:
        ks = node.kswapd
        if ks.state != "sleeping" or ks.pending:
            raise InvariantError(f"kswapd{node.id} is {ks.state}"
                                 f"{' and woken' if ks.pending else ''} between steps")


def value_at(m: Machine, task: object, addr: int) -> int:
    """What a read of anonymous memory at `addr` would return, found without faulting:
    the frame's value, or the swap cache's, or the swap slot's (0 if never written)."""
    assert isinstance(task, Task)
    pgd = task.mm.pgd
    assert pgd is not None
    table = m.pt.pte_table(pgd, addr, False)
    if table is None:
        return 0
    pte = table.entries.get(m.pt.index(m.layout.levels - 1, addr), 0)
    if not pte:
        return 0
    if is_swap_pte(pte):
        page = m.swap.cache.get(pte)
        return page.value if page is not None else m.swap.read(pte)
    pfn = pte_pfn(pte)
    if pfn == m.zero_page.pfn:
        return 0
    return m.page_of(pfn).value
