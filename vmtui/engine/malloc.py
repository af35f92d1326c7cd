"""glibc malloc, the user-space side (malloc/malloc.c): brk below M_MMAP_THRESHOLD, mmap above.

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

from vmtui.engine.access import user_access
from vmtui.engine.errors import KernelError
from vmtui.engine.layout import PAGE_SIZE

if TYPE_CHECKING:
    from vmtui.engine.machine import Machine, Task

SIZE_SZ = 8
MALLOC_ALIGNMENT = 16
MINSIZE = 32
DEFAULT_MMAP_THRESHOLD = 128 * 1024
DEFAULT_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
DEFAULT_TOP_PAD = 128 * 1024
F = "malloc/malloc.c (glibc)"


def request2size(n: int) -> int:
    """request2size(): the chunk size for a request of n bytes."""
    return max(MINSIZE, (n + SIZE_SZ + MALLOC_ALIGNMENT - 1) & ~(MALLOC_ALIGNMENT - 1))


def _align_up(x: int, a: int) -> int:
    return (x + a - 1) & ~(a - 1)


class Arena:
    """The main arena: heap chunks from brk, plus the chunks mmapped on their own."""

    def __init__(self) -> None:
        self.top = 0  # address of the top chunk
        self.top_size = 0
        self.free: list[tuple[int, int]] = []  # sorted (addr, size) of free heap chunks
        self.used: dict[int, tuple[int, bool]] = {}  # user pointer -> (chunk size, mmapped)
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
    """malloc(n) -> _int_malloc(): the free chunks, then the top chunk, and only when neither
    fits, sysmalloc(): a mapping of its own at or above M_MMAP_THRESHOLD, else a bigger heap.
    Returns a pointer, or ENOMEM."""
    from vmtui.engine.mmap import MAP_ANONYMOUS, MAP_PRIVATE, do_mmap

    if n < 0 or n > (1 << 62):
        raise KernelError("ENOMEM", "request too large")
    ar = arena(task)
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
                base = do_mmap(m, task, 0, size, 3, MAP_PRIVATE | MAP_ANONYMOUS, None, 0)
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
    from vmtui.engine.mmap import do_brk

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
        got = do_brk(m, task, old + size)
    finally:
        m.log.leave()
    if got != old + size:
        raise KernelError("ENOMEM", "sbrk failed: the heap cannot grow")
    if ar.top + ar.top_size != old:
        ar.top = _align_up(old, MALLOC_ALIGNMENT)
        ar.top_size = 0
    ar.top_size += got - old


def do_free(m: Machine, task: Task, ptr: int) -> None:
    """free(ptr): munmap a mmapped chunk; return a heap chunk to the free list, trim the top."""
    from vmtui.engine.mmap import do_brk, do_munmap

    ar = arena(task)
    if ptr == 0:
        return
    if ptr not in ar.used:
        m.log.emit("free", F, f"free({ptr:#x}): not a pointer malloc returned -> abort()")
        raise KernelError("EINVAL", f"free(): invalid pointer {ptr:#x}")
    size, mmapped = ar.used.pop(ptr)
    base = ptr - 2 * SIZE_SZ
    if mmapped:
        if ar.dynamic and ar.mmap_threshold < size <= DEFAULT_MMAP_THRESHOLD_MAX:
            ar.mmap_threshold = size
            ar.trim_threshold = 2 * size
            m.log.emit("free", F, f"dynamic threshold: M_MMAP_THRESHOLD raised to {size} "
                       f"(the size of this chunk), M_TRIM_THRESHOLD to {2 * size}")
        m.log.emit("munmap_chunk", F, f"free({ptr:#x}): a mmapped chunk goes back with munmap")
        do_munmap(m, task.mm, base, size)
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
            if do_brk(m, task, old - extra) == old - extra:
                ar.top_size -= extra
