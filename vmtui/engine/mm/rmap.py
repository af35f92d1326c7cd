"""Reverse mapping (mm/rmap.c): from a frame to every PTE that maps it.

Anonymous pages point at their anon_vma and keep the linear index, so
rmap_walk_anon visits every VMA linked to that anon_vma and computes the
address (vma_address); file pages walk the file's i_mmap the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mm_types import VM_LOCKED, AnonVma, VmArea
from vmtui.engine.include.mmzone import (
    PG_anon,
    PG_mlocked,
    PG_reserved,
    PG_swapbacked,
    PG_swapcache,
)
from vmtui.engine.include.pgtable import is_swap_pte, pte_pfn
from vmtui.engine.mm import page_alloc, swap

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mmzone import Page


def anon_vma_prepare(m: Machine, vma: VmArea) -> AnonVma:
    """anon_vma_prepare(): give the VMA an anon_vma, reusing a mergeable neighbour's."""
    if vma.anon_vma is not None:
        return vma.anon_vma
    av = find_mergeable_anon_vma(vma)
    if av is None:
        m.anon_vma_seq += 1
        av = AnonVma(m.anon_vma_seq)
        m.log.emit("anon_vma_prepare", "mm/rmap.c",
                   f"new anon_vma {av.id} for {vma.vm_start:#x}-{vma.vm_end:#x}")
    link_anon_vma(vma, av)
    vma.anon_vma = av
    return av


def link_anon_vma(vma: VmArea, av: AnonVma) -> None:
    """anon_vma_chain_link(): the VMA may now map pages of `av`."""
    if av not in vma.anon_vma_chain:
        vma.anon_vma_chain.append(av)
        av.vmas[vma] = None


def unlink_anon_vmas(vma: VmArea) -> None:
    """unlink_anon_vmas(): drop the VMA from every anon_vma it was linked into."""
    for av in vma.anon_vma_chain:
        av.vmas.pop(vma, None)
    vma.anon_vma_chain = []
    vma.anon_vma = None


def clone_anon_vmas(dst: VmArea, src: VmArea) -> None:
    """anon_vma_clone(): a split or copied VMA joins every anon_vma of its source."""
    for av in src.anon_vma_chain:
        link_anon_vma(dst, av)
    dst.anon_vma = src.anon_vma


def _compatible(a: VmArea, b: VmArea) -> bool:
    """anon_vma_compatible(): adjacent, same policy, same flags but for VM_READ|VM_WRITE|
    VM_EXEC and VM_SOFTDIRTY (VM_LOCKED must match too), pgoff in line."""
    ignore = 0x8000000  # VM_SOFTDIRTY; rwx (0x7) below
    return (a.vm_end == b.vm_start and a.vm_policy == b.vm_policy and a.vm_file is b.vm_file
            and not ((a.vm_flags ^ b.vm_flags) & ~(ignore | 0x7))
            and b.vm_pgoff == a.vm_pgoff + ((b.vm_start - a.vm_start) >> PAGE_SHIFT))


def find_mergeable_anon_vma(vma: VmArea) -> AnonVma | None:
    """find_mergeable_anon_vma(): a neighbour's anon_vma that this VMA may share."""
    vmas = vma.vm_mm.vmas
    nxt, prev = vmas.next(vma), vmas.prev(vma)
    for near, (a, b) in ((nxt, (vma, nxt)), (prev, (prev, vma))):
        if near is not None and a is not None and b is not None and _compatible(a, b):
            av = near.anon_vma
            if av is not None and len(near.anon_vma_chain) == 1:
                return av
    return None


def vma_address(page: Page, vma: VmArea) -> int | None:
    """vma_address(): where `vma` would map `page`, or None if outside it."""
    addr = vma.vm_start + ((page.index - vma.vm_pgoff) << PAGE_SHIFT)
    if vma.vm_start <= addr < vma.vm_end:
        return addr
    return None


def rmap_walk(page: Page) -> Iterator[tuple[VmArea, int]]:
    """rmap_walk(): every (vma, address) that may map the page (anon or file)."""
    mapping = page.mapping
    if page.flags & PG_anon and isinstance(mapping, AnonVma):
        vmas = list(mapping.vmas)
    elif isinstance(mapping, File):
        vmas = list(mapping.i_mmap)
    else:
        return
    for vma in vmas:
        addr = vma_address(page, vma)
        if addr is not None:
            yield vma, addr


def page_add_new_anon_rmap(page: Page, vma: VmArea, addr: int, exclusive: int = 0) -> None:
    """page_add_new_anon_rmap(): a freshly allocated anonymous page, mapped once
    (`exclusive`: the PG_anon_exclusive bit where the kernel has it, RMAP_EXCLUSIVE)."""
    assert vma.anon_vma is not None
    page.flags |= PG_anon | PG_swapbacked | exclusive
    page.mapping = vma.anon_vma
    page.index = vma.linear_page_index(addr)
    page.mapcount = 1


def page_remove_rmap(m: Machine, page: Page) -> None:
    """page_remove_rmap() + put_page(): one mapping fewer; free an anon page nobody holds."""
    page.mapcount -= 1
    if page.mapcount > 0:
        return
    if page.flags & PG_mlocked:
        # clear_page_mlock(): isolate it and put it back through lru_cache_add()
        page.flags &= ~PG_mlocked
        m.count("unevictable_pgs_cleared")
        if swap.isolate_lru_page(m, page):
            swap.putback_lru_page(m, page)
    if isinstance(page.mapping, File) or page.flags & PG_reserved:
        return  # stays in the page cache (or is the kernel's own: the vDSO)
    if page.flags & PG_swapcache:
        return  # the swap cache still holds it; reclaim or swap-in decides
    page_alloc.free_page(m, page)


def page_mlocked_elsewhere(m: Machine, page: Page, skip: VmArea) -> bool:
    for vma, _addr in rmap_walk(page):
        if vma is not skip and vma.vm_flags & VM_LOCKED:
            return True
    return False


def page_vma_mapped_walk(m: Machine, page: Page
                         ) -> Iterator[tuple[VmArea, int, dict[int, Any], int, int]]:
    """page_vma_mapped_walk() (mm/page_vma_mapped.c) over rmap_walk(): each mapping whose PTE
    maps `page` now, as (vma, address, the PTE table's entries, index, PTE). What
    page_referenced(), try_to_unmap() and page_mkclean() walk."""
    pfn = page.pfn
    last = m.layout.levels - 1
    for vma, addr in rmap_walk(page):
        pgd = vma.vm_mm.pgd
        if pgd is None:
            continue
        table = m.pt.pte_table(pgd, addr, False)
        if table is None:
            continue
        ents = table.entries
        idx = m.pt.index(last, addr)
        pte = ents.get(idx, 0)
        if pte == 0 or is_swap_pte(pte) or pte_pfn(pte) != pfn:
            continue
        yield vma, addr, ents, idx, pte
