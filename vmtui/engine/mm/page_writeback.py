"""Writeback of dirty page cache (mm/page-writeback.c, fs/fs-writeback.c; Linux 5.4).

The flusher threads (wb_workfn) write dirty file pages to the disk: the
simulated disk is each file's `disk`, so a dropped page reads back what was
written. Writing first write-protects and cleans every PTE of the page
(clear_page_dirty_for_io -> page_mkclean), so a later write through a shared
mapping faults and dirties the page again. Writes complete at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vmtui.engine.arch.x86 import tlb
from vmtui.engine.include.fs import File
from vmtui.engine.include.mmzone import PG_anon, PG_dirty
from vmtui.engine.include.pgtable import _PAGE_DIRTY, _PAGE_RW
from vmtui.engine.mm import rmap, vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mmzone import Page


def page_mkclean(m: Machine, page: Page) -> int:
    """page_mkclean(): every PTE mapping the page loses its dirty and write bits."""
    n = 0
    for vma, addr, ents, idx, pte in rmap.page_vma_mapped_walk(m, page):
        if pte & (_PAGE_DIRTY | _PAGE_RW):
            ents[idx] = pte & ~(_PAGE_DIRTY | _PAGE_RW)
            tlb.flush_tlb_page(m, vma.vm_mm, addr)
            n += 1
    return n


def clear_page_dirty_for_io(m: Machine, page: Page) -> None:
    """clear_page_dirty_for_io(): clean the PTEs, then the page itself."""
    page_mkclean(m, page)
    if page.flags & PG_dirty:
        page.flags &= ~PG_dirty
        mapping = page.mapping
        if isinstance(mapping, File) and mapping.nr_dirty > 0:
            mapping.nr_dirty -= 1


def writepage(m: Machine, page: Page) -> None:
    """->writepage() of a file page: its contents go to the file's blocks on disk."""
    mapping = page.mapping
    assert isinstance(mapping, File)
    clear_page_dirty_for_io(m, page)
    mapping.disk[page.index] = page.value
    m.count("pgpgout", 4)
    node = page.zone.node
    node.stat["nr_written"] = node.stat.get("nr_written", 0) + 1
    # end_page_writeback(): reclaim wanted this page, so put it where reclaim looks first
    if page.flags & vmscan.PG_reclaim:
        page.flags &= ~vmscan.PG_reclaim
        vmscan.rotate_reclaimable_page(m, page)


def _dirty_pages(m: Machine) -> list[Page]:
    out = []
    for f in m.files.values():
        if f.shmem or not f.nr_dirty and not any(p.flags & PG_dirty for p in f.pages.values()):
            continue
        for index in sorted(f.pages):
            page = f.pages[index]
            if page.flags & PG_dirty and not page.flags & PG_anon:
                out.append(page)
    return out


def wakeup_flusher_threads(m: Machine, reason: str) -> int:
    """wakeup_flusher_threads(): the flushers write back every dirty page-cache page."""
    pages = _dirty_pages(m)
    for page in pages:
        writepage(m, page)
    if pages:
        m.log.emit("wakeup_flusher_threads", "fs/fs-writeback.c",
                   f"{reason}: the flusher threads wrote back {len(pages)} dirty page-cache "
                   "page(s); reclaim can drop them once clean", pages=len(pages))
    return len(pages)


def wb_workfn(m: Machine) -> int:
    """wb_workfn() -> wb_writeback(): periodic writeback of dirty data older than
    dirty_expire_centisecs (time has passed: all of it)."""
    return wakeup_flusher_threads(m, "WB_REASON_PERIODIC")
