"""Files and the page cache (mm/filemap.c, include/linux/fs.h).

A `File` is an inode with its address_space: `pages` is i_pages (index ->
Page, the page cache), `i_mmap` the VMAs that map it, `disk` what is on the
disk (what writeback stored). A page never written reads as 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmtui.engine.include.layout import PAGE_SHIFT

if TYPE_CHECKING:
    from vmtui.engine.include.mmzone import Page

FAULT_AROUND_PAGES = 16  # fault_around_bytes = 64K
READAHEAD_PAGES = 32  # VM_READAHEAD_PAGES: 128K default ra window
MMAP_LOTSAMISS = 100  # more misses than this and mmap read-around stops
# bdi->io_pages of the simulated disk (sda): queue_max_sectors = BLK_DEF_MAX_SECTORS (2560
# sectors of 512 bytes) >> (PAGE_SHIFT - 9); force_page_cache_readahead() reads at most
# max(io_pages, ra_pages) pages for one MADV_WILLNEED / POSIX_FADV_WILLNEED
BDI_IO_PAGES = 2560 >> 3


class File:
    """struct inode + struct address_space of a simulated file."""

    __slots__ = ("name", "size", "ino", "dev", "pages", "swapped", "i_mmap", "disk", "shmem",
                 "nr_dirty", "unlinked", "noreserve", "ra_start", "ra_size", "ra_async",
                 "mmap_miss", "__weakref__")

    def __init__(self, name: str, size: int, ino: int, dev: str = "08:01",
                 shmem: bool = False) -> None:
        self.name = name
        self.size = size
        self.ino = ino
        self.dev = dev
        self.pages: dict[int, Page] = {}
        # shmem: index -> swap entry of a page shmem_writepage() sent to swap (the value
        # entries i_pages holds in its place); len() is info->swapped
        self.swapped: dict[int, int] = {}
        self.i_mmap: dict[Any, None] = {}  # the VmAreas that map it (include/mm_types.py)
        self.disk: dict[int, int] = {}
        self.shmem = shmem  # tmpfs/shmem: no disk behind it, pages go to swap
        self.nr_dirty = 0
        self.unlinked = False  # no name left: evicted when its last mapping goes
        self.noreserve = False  # shmem VM_NORESERVE: charged page by page, not by size
        # struct file_ra_state (one per file here, per open file in Linux)
        self.ra_start = 0
        self.ra_size = 0
        self.ra_async = 0
        self.mmap_miss = 0

    @property
    def npages(self) -> int:
        return (self.size + (1 << PAGE_SHIFT) - 1) >> PAGE_SHIFT

    def __repr__(self) -> str:
        return f"<file {self.name} {self.size} bytes, {len(self.pages)} cached>"
