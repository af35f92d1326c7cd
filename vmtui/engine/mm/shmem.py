"""Shared anonymous memory and tmpfs pages in swap (mm/shmem.c, Linux 5.4).

A shmem page is a page-cache page backed by swap instead of a disk. Reclaim
unmaps it like any file page (its PTEs become none, not swap entries: the
page belongs to the file, not to the PTEs), then pageout() calls
shmem_writepage(): the page moves from the file's page cache to the swap
cache, and the file's mapping keeps the swap entry in the page's place (an
xarray value entry; `File.swapped` here, whose size is info->swapped). The
slot's swap_map count is SWAP_MAP_SHMEM. The page is written (pswpout) and
freed like an anonymous one.

A fault on that index goes shmem_fault -> shmem_getpage_gfp ->
shmem_swapin_page: a swap-cache hit is minor, else shmem_swapin() reads it
(swap_cluster_readahead, a major fault). The page goes back into the page
cache, leaves the swap cache, is marked dirty and the slot is freed.
swapoff brings every such page back first (shmem_unuse).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.include.fs import File
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.mm_types import VM_SHARED, VM_WRITE
from vmtui.engine.include.mmzone import PG_dirty, PG_swapcache
from vmtui.engine.include.pgtable import swp_offset, swp_type
from vmtui.engine.mm import swapfile

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task
    from vmtui.engine.include.mm_types import VmArea
    from vmtui.engine.include.mmzone import Page

S = "mm/shmem.c"


def shmem_writepage(m: Machine, page: Page) -> bool:
    """shmem_writepage(): move a dirty shmem page from the page cache to the swap cache and
    write it (swap_writepage, PSWPOUT). False is the `redirty` exit (no swap at all, or no
    free slot): the page stays dirty and reclaim activates it (AOP_WRITEPAGE_ACTIVATE)."""
    file = page.mapping
    assert file is not None and file.shmem
    index = page.index
    if not m.swap.total():  # !total_swap_pages
        page.flags |= PG_dirty
        return False
    entry = m.swap.get_swap_page()
    if entry is None:
        page.flags |= PG_dirty
        return False
    # list_add(&info->swaplist, &shmem_swaplist): shmem_unuse() finds the file there
    m.swap.shmem_swaplist.setdefault(file, None)
    # add_to_swap_cache()
    m.swap.cache[entry] = page
    page.flags |= PG_swapcache
    page.private = entry
    # info->swapped++; swap_shmem_alloc(): the slot's count is SWAP_MAP_SHMEM
    m.swap.shmem_alloc(entry)
    # shmem_delete_from_page_cache(page, swp_to_radix_entry(swap))
    del file.pages[index]
    file.swapped[index] = entry
    page.mapping = None
    swapfile.swap_writepage(m, page)
    m.log.emit("shmem_writepage", S, f"page {index} of {file.name} moved to the swap cache "
               f"and written to swap slot {swp_offset(entry)}; "
               "the file's page cache now holds the swap entry in its place", index=index)
    return True


def shmem_swapin_page(m: Machine, task: Task | None, file: File, index: int, fault: bool
                      ) -> tuple[Page | None, bool]:
    """shmem_swapin_page(): the page of `index`, whose place in the mapping holds a swap
    entry, back into the page cache. Looked up in the swap cache first (a hit is minor,
    lookup_swap_cache() counts swap_ra_hit for a readahead page), else read with
    shmem_swapin() -> swap_cluster_readahead() (PGMAJFAULT when a fault asked).

    Returns (page, major); page None when the mapping changed meanwhile (-EEXIST: the
    caller looks again)."""
    entry = file.swapped[index]
    major = False
    page = swapfile.lookup_swap_cache(m, entry, None, 0)
    if page is None:
        if fault:
            major = True
            m.count("pgmajfault")
        page = swapfile.swap_cluster_readahead(m, entry, task, None, 0, may_oom=fault)
    if page is None or not page.flags & PG_swapcache or page.private != entry or \
            file.swapped.get(index) != entry:
        return None, major  # !shmem_confirm_swap(): -EEXIST
    # shmem_add_to_page_cache() replaces the swap entry by the page
    del file.swapped[index]
    file.pages[index] = page
    page.mapping = file
    page.index = index
    # info->swapped--; delete_from_swap_cache(); set_page_dirty(); swap_free()
    swapfile.delete_from_swap_cache(m, page)
    page.flags |= PG_dirty
    m.swap.free(entry)
    return page, major


def shmem_free_swap(m: Machine, file: File, index: int) -> None:
    """shmem_free_swap(): truncation drops the swap entry of `index` (free_swap_and_cache)."""
    entry = file.swapped.pop(index)
    swapfile.free_swap_and_cache(m, entry)


def shmem_swap_usage(vma: VmArea) -> int:
    """shmem_swap_usage(): bytes of the shmem object mapped by `vma` that are in swap -
    info->swapped if the VMA maps the whole object, else shmem_partial_swap_usage()."""
    file = vma.vm_file
    assert file is not None
    swapped = len(file.swapped)
    if not swapped:
        return 0
    if not vma.vm_pgoff and vma.vm_end - vma.vm_start >= file.size:
        return swapped << PAGE_SHIFT
    return shmem_partial_swap_usage(file, vma.linear_page_index(vma.vm_start),
                                    vma.linear_page_index(vma.vm_end))


def shmem_partial_swap_usage(file: File, start: int, end: int) -> int:
    """shmem_partial_swap_usage(): bytes in swap among the indexes [start, end)."""
    return sum(1 for i in file.swapped if start <= i < end) << PAGE_SHIFT


def smaps_shmem_swap(vma: VmArea) -> tuple[int, bool]:
    """smap_gather_stats()'s shmem part: (bytes to add to Swap, whether the page walk must
    count swapped indexes under its none PTEs itself - a private writable mapping, whose
    COW copies hide the object's swapped pages)."""
    swapped = shmem_swap_usage(vma)
    if not swapped or vma.vm_flags & VM_SHARED or not vma.vm_flags & VM_WRITE:
        return swapped, False
    return 0, True


def smaps_shmem_swap_holes(m: Machine, vma: VmArea) -> int:
    """smaps_pte_hole() and smaps_pte_entry()'s pte_none case with check_shmem_swap: the
    swapped indexes of the object under PTEs that are none (a COW copy hides its own)."""
    file = vma.vm_file
    assert file is not None and vma.vm_mm.pgd is not None
    mapped = {va for t, i, va in m.pt.iter_ptes(vma.vm_mm.pgd, vma.vm_start, vma.vm_end)
              if t.entries.get(i, 0)}
    n = 0
    for addr in range(vma.vm_start, vma.vm_end, 1 << PAGE_SHIFT):
        if addr not in mapped and vma.linear_page_index(addr) in file.swapped:
            n += 1
    return n << PAGE_SHIFT


def shmem_unuse(m: Machine, types: set[int]) -> tuple[int, int]:
    """shmem_unuse() -> shmem_unuse_inode() for every file on shmem_swaplist: each swap
    entry of the areas going away is read back into its page cache (shmem_swapin_page with
    no fault: not counted as one). Returns (pages read, swap-cache hits); KernelError ENOMEM
    if memory cannot hold them."""
    read = hits = 0
    for file in list(m.swap.shmem_swaplist):
        if not file.swapped:
            del m.swap.shmem_swaplist[file]  # list_del_init(): nothing left in swap
            continue
        for index in sorted(file.swapped):
            entry = file.swapped.get(index)
            if entry is None or swp_type(entry) not in types:
                continue
            cached = entry in m.swap.cache
            before = m.vmstat["pswpin"]
            page, _major = shmem_swapin_page(m, None, file, index, fault=False)
            if page is None:
                continue
            if cached:
                hits += 1
            read += m.vmstat["pswpin"] - before
        if not file.swapped:
            del m.swap.shmem_swaplist[file]
    return read, hits


def shmem_zero_setup(m: Machine, size: int) -> File:
    """shmem_zero_setup(): a MAP_SHARED|MAP_ANONYMOUS mapping is backed by a shmem file."""
    m.next_ino += 1
    f = File("/dev/zero (deleted)", size, m.next_ino, "00:01", shmem=True)
    m.log.emit("shmem_zero_setup", "mm/shmem.c", "shared anonymous memory is a file on "
               "an internal tmpfs: /dev/zero (deleted)")
    return f
