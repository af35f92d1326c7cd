"""glibc malloc, the user-space side (malloc/malloc.c): brk below M_MMAP_THRESHOLD, mmap above.

As in glibc 2.31 (the C library of Linux 5.4's distributions), the first malloc() of a
thread sets up its tcache (tcache_init): a tcache_perthread_struct of uint16_t counts[64]
and 64 list heads, 0x280 bytes, carved from the heap like any request, so the heap starts
with its 0x290-byte chunk and the first malloc(100) returns heap+0x2a0. A free() of a heap
chunk of up to 0x410 bytes puts it in its tcache bin (tcache_put) while the bin holds fewer
than 7; malloc() takes from the bin of its size first (tcache_get), last freed first. A chunk
in the tcache stays in use for the arena: it is not merged with its neighbours or the top.
What the tcache does not take goes to the arena's free chunks, here one address-ordered
list served first-fit and merged with free neighbours (a stand-in for glibc's fastbins,
unsorted, small and large bins).

The main arena grows with sbrk by the request plus M_TOP_PAD (128 KiB);
a request of M_MMAP_THRESHOLD (128 KiB) or more that the heap's free chunks
and top chunk cannot serve gets a mapping of its own,
and freeing such a chunk raises the threshold to its size (the dynamic
threshold, up to 32 MiB). A top chunk over M_TRIM_THRESHOLD is given back
with a negative sbrk.
"""

from __future__ import annotations

import bisect
import copy
from typing import TYPE_CHECKING

from vmtui.engine.arch.x86.access import user_access
from vmtui.engine.include.errors import KernelError, SignalError
from vmtui.engine.include.layout import PAGE_SIZE
from vmtui.engine.mm import mmap

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine, Task

SIZE_SZ = 8
MALLOC_ALIGNMENT = 16
MINSIZE = 32
DEFAULT_MMAP_THRESHOLD = 128 * 1024
DEFAULT_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
DEFAULT_TOP_PAD = 128 * 1024
# the tcache (USE_TCACHE, glibc 2.26 on; the figures of 2.31)
TCACHE_MAX_BINS = 64
TCACHE_FILL_COUNT = 7  # mp_.tcache_count
TCACHE_ENTRY_SIZE = 8  # a tcache_entry * in entries[]
SIZEOF_TCACHE_PERTHREAD = TCACHE_MAX_BINS * 2 + TCACHE_MAX_BINS * TCACHE_ENTRY_SIZE  # 0x280
F = "malloc/malloc.c (glibc)"


def request2size(n: int) -> int:
    """request2size(): the chunk size for a request of n bytes."""
    return max(MINSIZE, (n + SIZE_SZ + MALLOC_ALIGNMENT - 1) & ~(MALLOC_ALIGNMENT - 1))


def csize2tidx(size: int) -> int:
    """csize2tidx(): the tcache bin of a chunk size (0x20 -> 0, 0x30 -> 1, ... 0x410 -> 63)."""
    return (size - MINSIZE + MALLOC_ALIGNMENT - 1) // MALLOC_ALIGNMENT


def _align_up(x: int, a: int) -> int:
    return (x + a - 1) & ~(a - 1)


class Arena:
    """The main arena: heap chunks from brk, plus the chunks mmapped on their own."""

    def __init__(self) -> None:
        self.top = 0  # address of the top chunk
        self.top_size = 0
        self.free: list[tuple[int, int]] = []  # sorted (addr, size) of free heap chunks
        self.used: dict[int, tuple[int, bool]] = {}  # user pointer -> (chunk size, mmapped)
        self.tcache = 0  # the tcache_perthread_struct (its user pointer); 0 before tcache_init
        # tcache->entries[]: each bin a stack of user pointers, the head last
        self.tcache_bins: list[list[int]] = [[] for _ in range(TCACHE_MAX_BINS)]
        self.in_tcache: dict[int, int] = {}  # user pointer -> chunk size, for the chunks there
        self.mmap_threshold = DEFAULT_MMAP_THRESHOLD
        self.trim_threshold = 2 * DEFAULT_MMAP_THRESHOLD
        self.dynamic = True

    def copy(self) -> Arena:
        return copy.deepcopy(self)


def arena(task: Task) -> Arena:
    if task.malloc is None:
        task.malloc = Arena()
    return task.malloc  # type: ignore[no-any-return]


def do_malloc(m: Machine, task: Task, n: int) -> int:
    """__libc_malloc(n): tcache_init() on the first call, then the tcache bin of the size,
    then _int_malloc(). Returns a pointer, or ENOMEM."""
    if n < 0 or n > (1 << 62):
        raise KernelError("ENOMEM", "request too large")
    ar = arena(task)
    nb = request2size(n)
    tc_idx = csize2tidx(nb)
    if not ar.tcache:
        tcache_init(m, task, ar)
    if tc_idx < TCACHE_MAX_BINS and ar.tcache and ar.tcache_bins[tc_idx]:
        return tcache_get(m, task, ar, tc_idx, n)
    return _int_malloc(m, task, ar, n)


def tcache_init(m: Machine, task: Task, ar: Arena) -> None:
    """tcache_init(): _int_malloc() the tcache_perthread_struct, then memset() it to zero.
    If that fails the thread has no tcache yet, and the next malloc tries again."""
    log = m.log
    log.emit("tcache_init", F, f"first malloc() of this thread: _int_malloc("
             f"{SIZEOF_TCACHE_PERTHREAD}) for its tcache_perthread_struct (uint16_t "
             f"counts[{TCACHE_MAX_BINS}] + {TCACHE_MAX_BINS} list heads: a "
             f"{request2size(SIZEOF_TCACHE_PERTHREAD):#x}-byte chunk)")
    log.enter()
    try:
        ptr = _int_malloc(m, task, ar, SIZEOF_TCACHE_PERTHREAD)
    except KernelError:
        log.emit("tcache_init", F, "no memory for it: no tcache for now")
        return
    finally:
        log.leave()
    user_access(m, task, ptr, SIZEOF_TCACHE_PERTHREAD, "w", None)  # memset(tcache, 0, ...)
    ar.tcache = ptr


def tcache_get(m: Machine, task: Task, ar: Arena, tc_idx: int, n: int) -> int:
    """tcache_get(): pop the head of the bin (the chunk freed last); e->key = NULL."""
    ptr = ar.tcache_bins[tc_idx].pop()
    size = ar.in_tcache.pop(ptr)
    ar.used[ptr] = (size, False)
    user_access(m, task, ptr + SIZE_SZ, None, "w", None)  # e->key = NULL
    user_access(m, task, ar.tcache, None, "w", None)  # entries[tc_idx], --counts[tc_idx]
    m.log.emit("tcache_get", F, f"malloc({n}): tcache bin {tc_idx} (chunks of {size:#x} "
               f"bytes) gives back {ptr:#x}, the chunk freed last; "
               f"{len(ar.tcache_bins[tc_idx])} left in the bin; the arena is not touched")
    return ptr


def tcache_put(m: Machine, task: Task, ar: Arena, ptr: int, size: int, tc_idx: int) -> None:
    """tcache_put(): e->key = tcache, e->next = the old head; the chunk is the new head."""
    ar.tcache_bins[tc_idx].append(ptr)
    ar.in_tcache[ptr] = size
    user_access(m, task, ptr, None, "w", None)  # e->next, e->key in the chunk's first bytes
    user_access(m, task, ar.tcache, None, "w", None)  # entries[tc_idx], ++counts[tc_idx]
    m.log.emit("tcache_put", F, f"free({ptr:#x}): a {size:#x}-byte chunk goes to tcache bin "
               f"{tc_idx} ({len(ar.tcache_bins[tc_idx])} of {TCACHE_FILL_COUNT}); it stays "
               "in use for the arena: not merged, no system call")


def _int_malloc(m: Machine, task: Task, ar: Arena, n: int) -> int:
    """_int_malloc(): the free chunks, then the top chunk, and only when neither fits,
    sysmalloc(): a mapping of its own at or above M_MMAP_THRESHOLD, else a bigger heap."""
    nb = request2size(n)
    log = m.log
    # first fit from the free chunks (a stand-in for the bins)
    for i, (addr, size) in enumerate(ar.free):
        if size >= nb:
            del ar.free[i]
            if size - nb >= MINSIZE:
                bisect.insort(ar.free, (addr + nb, size - nb))
                size = nb
            ar.used[addr + 2 * SIZE_SZ] = (size, False)
            log.emit("_int_malloc", F, f"malloc({n}): reused a free chunk at {addr:#x} in the "
                     "heap: no system call")
            return addr + 2 * SIZE_SZ
    if ar.top_size < nb + MINSIZE:
        # sysmalloc(): the heap cannot serve it as it is
        if nb >= ar.mmap_threshold:
            size = _align_up(nb + SIZE_SZ, PAGE_SIZE)
            log.emit("sysmalloc", F, f"malloc({n}): the top chunk is too small and {nb} >= "
                     f"M_MMAP_THRESHOLD ({ar.mmap_threshold}): a mapping of its own, "
                     f"mmap({size})")
            log.enter()
            try:
                base = mmap.do_mmap(m, task, 0, size, 3, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                                    None, 0)
            except KernelError:
                base = 0  # mmap failed: sysmalloc falls back to growing the heap
            finally:
                log.leave()
            if base:
                ptr = base + 2 * SIZE_SZ
                ar.used[ptr] = (size, True)
                user_access(m, task, base + SIZE_SZ, None, "w", None)  # set_head(): the header
                return ptr
        _sysmalloc_brk(m, task, ar, nb, n)
    addr = ar.top
    ar.top += nb
    ar.top_size -= nb
    ptr = addr + 2 * SIZE_SZ
    ar.used[ptr] = (nb, False)
    user_access(m, task, addr + SIZE_SZ, None, "w", None)  # the chunk's size field
    log.emit("_int_malloc", F, f"malloc({n}): chunk of {nb} bytes cut from the top of the heap "
             f"at {addr:#x}; {ar.top_size} bytes left in the top chunk")
    return ptr


def _sysmalloc_brk(m: Machine, task: Task, ar: Arena, nb: int, n: int) -> None:
    mm = task.mm
    if ar.top == 0:
        ar.top = _align_up(mm.brk, MALLOC_ALIGNMENT)
        ar.top_size = 0
    size = nb + DEFAULT_TOP_PAD + MINSIZE - ar.top_size
    size = _align_up(size, PAGE_SIZE)
    old = mm.brk
    m.log.emit("sysmalloc", F, f"malloc({n}): the top chunk is too small: sbrk({size}) "
               f"(request + M_TOP_PAD 128K, page-aligned)")
    m.log.enter()
    try:
        got = mmap.do_brk(m, task, old + size)
    finally:
        m.log.leave()
    if got != old + size:
        raise KernelError("ENOMEM", "sbrk failed: the heap cannot grow")
    if ar.top + ar.top_size != old:
        ar.top = _align_up(old, MALLOC_ALIGNMENT)
        ar.top_size = 0
    ar.top_size += got - old


def do_free(m: Machine, task: Task, ptr: int) -> None:
    """free(ptr): munmap a mmapped chunk; put a small heap chunk in its tcache bin while the
    bin has room; else return it to the free chunks, merging, and trim the top."""
    ar = arena(task)
    if ptr == 0:
        return
    if ptr in ar.in_tcache:
        # _int_free(): e->key == tcache, and the chunk is on its bin's list
        m.log.emit("_int_free", F, f"free({ptr:#x}): the chunk is already in tcache bin "
                   f"{csize2tidx(ar.in_tcache[ptr])}: malloc_printerr(\"free(): double free "
                   "detected in tcache 2\") -> abort() -> SIGABRT")
        raise SignalError("SIGABRT", "SI_TKILL", 0, "free(): double free detected in tcache 2")
    if ptr not in ar.used:
        m.log.emit("free", F, f"free({ptr:#x}): not a pointer malloc returned -> abort()")
        raise KernelError("EINVAL", f"free(): invalid pointer {ptr:#x}")
    size, mmapped = ar.used.pop(ptr)
    base = ptr - 2 * SIZE_SZ
    if not mmapped:
        # _int_free(): a chunk of a tcache size goes to its bin while the bin has room
        tc_idx = csize2tidx(size)
        if ar.tcache and tc_idx < TCACHE_MAX_BINS and \
                len(ar.tcache_bins[tc_idx]) < TCACHE_FILL_COUNT:
            tcache_put(m, task, ar, ptr, size, tc_idx)
            return
    if mmapped:
        if ar.dynamic and ar.mmap_threshold < size <= DEFAULT_MMAP_THRESHOLD_MAX:
            ar.mmap_threshold = size
            ar.trim_threshold = 2 * size
            m.log.emit("free", F, f"dynamic threshold: M_MMAP_THRESHOLD raised to {size} "
                       f"(the size of this chunk), M_TRIM_THRESHOLD to {2 * size}")
        m.log.emit("munmap_chunk", F, f"free({ptr:#x}): a mmapped chunk goes back with munmap")
        mmap.do_munmap(m, task.mm, base, size)
        return
    # coalesce with free neighbours and the top
    start, end = base, base + size
    merged = []
    for a, s in ar.free:
        if a + s == start:
            start = a
        elif a == end:
            end = a + s
        else:
            merged.append((a, s))
    ar.free = merged
    if end == ar.top:
        ar.top = start
        ar.top_size += end - start
        m.log.emit("_int_free", F, f"free({ptr:#x}): merged into the top chunk "
                   f"({ar.top_size} bytes)")
    else:
        bisect.insort(ar.free, (start, end - start))
        m.log.emit("_int_free", F, f"free({ptr:#x}): chunk of {end - start} bytes kept on a "
                   "free list for reuse: no system call")
        return
    if ar.top_size >= ar.trim_threshold:
        extra = (ar.top_size - MINSIZE - 1 - DEFAULT_TOP_PAD) & ~(PAGE_SIZE - 1)
        if extra > 0:
            m.log.emit("systrim", F, f"top chunk over M_TRIM_THRESHOLD ({ar.trim_threshold}): "
                       f"sbrk(-{extra}) gives memory back")
            old = task.mm.brk
            if mmap.do_brk(m, task, old - extra) == old - extra:
                ar.top_size -= extra
