"""Events: every engine operation says which kernel function did what.

The narration pane, the call-chain pane and `vmtui run --json` are all made
from these records, so each names the kernel function and its source file.

Each event also carries a kind: what sort of work it narrates, so a view can pick
events out (the walk pane's fault path) without knowing kernel file or command names.
The kind comes from one table here, FILE_KINDS, by the file the event cites (and, for
a file that does more than one sort of work, by the function): an emitting call never
sets it. The kinds:

    fault    an access the MMU refused (#PF, a non-canonical #GP) and the page-fault
             path: arch/x86/mm/fault.c, handle_mm_fault and the fault handlers,
             filemap_fault, shmem_fault, the vDSO's, get_user_pages
    walk     a page-table walk the `walk` command asked for
    mmap     changes to an address space: mmap, munmap, brk, mprotect, mremap, mlock,
             madvise, the memory policy, freeing page tables
    rmap     reverse mapping (anon_vma)
    swap     the swap cache, swap slots, swapon/swapoff and swap I/O
    reclaim  kswapd, direct reclaim, the LRU lists, workingset shadows, writeback,
             drop_caches
    alloc    the page allocator and vmalloc
    oom      the OOM killer
    task     processes: fork, exec, exit, signals, the scheduler, rlimits
    segment  x86 segmentation: descriptors, the GDT and LDT, the segmentation unit
    libc     glibc's malloc (user space)
    system   files, /proc, sysctl and boot
    note     vmtui's own lines: a call's return value, kernel mode, events left out

The kind is not part of `vmtui run --json` (its contract is unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("fault", "walk", "mmap", "rmap", "swap", "reclaim", "alloc", "oom", "task",
         "segment", "libc", "system", "note")

FILE_KINDS: dict[str, str] = {
    "arch/x86/mm/fault.c": "fault",
    "arch/x86/kernel/traps.c": "fault",  # do_general_protection: a non-canonical address
    "mm/memory.c": "fault",
    "mm/filemap.c": "fault",
    "mm/gup.c": "fault",
    "arch/x86/entry/vdso/vma.c": "fault",  # vdso_fault, vvar_fault
    "arch/x86/mm/pgtable.c": "walk",
    "mm/mmap.c": "mmap",
    "mm/vma.c": "mmap",  # mainline (6.12 on): vma_merge_new_range, split_vma, ...
    "mm/util.c": "mmap",
    "arch/x86/kernel/sys_x86_64.c": "mmap",
    "include/linux/mm.h": "mmap",  # check_data_rlimit, for brk
    "mm/mprotect.c": "mmap",
    "mm/mremap.c": "mmap",
    "mm/mlock.c": "mmap",
    "mm/madvise.c": "mmap",
    "mm/mempolicy.c": "mmap",
    "mm/shmem.c": "mmap",
    "mm/rmap.c": "rmap",
    "mm/swapfile.c": "swap",
    "mm/swap_state.c": "swap",
    "mm/page_io.c": "swap",
    "mm/vmscan.c": "reclaim",
    "mm/workingset.c": "reclaim",
    "mm/swap.c": "reclaim",  # the LRU pagevecs
    "fs/fs-writeback.c": "reclaim",
    "fs/drop_caches.c": "reclaim",
    "mm/page_alloc.c": "alloc",
    "mm/vmalloc.c": "alloc",
    "mm/oom_kill.c": "oom",
    "kernel/fork.c": "task",
    "kernel/exit.c": "task",
    "fs/exec.c": "task",
    "kernel/sched/core.c": "task",
    "kernel/signal.c": "task",
    "kernel/sys.c": "task",
    "arch/x86/include/asm/": "segment",  # a folder: every file in it
    "arch/x86/kernel/cpu/common.c": "segment",
    "arch/x86/kernel/ldt.c": "segment",
    "arch/x86/kernel/tls.c": "segment",
    "CPU: ": "segment",  # the segmentation unit itself (the Intel SDM)
    "malloc/malloc.c (glibc)": "libc",
    "fs/open.c": "system",
    "fs/read_write.c": "system",
    "fs/seq_file.c": "system",
    "fs/proc/": "system",
    "kernel/sysctl.c": "system",
    "init/main.c": "system",
    "": "note",
}
"""The kind of an event by the file it cites: a file's own kind, else the kind of the
longest folder (or prefix) above it; FN_KINDS overrides this for single functions."""

FN_KINDS: dict[tuple[str, str], str] = {
    ("mm/memory.c", "free_pgd_range"): "mmap",  # page tables freed by munmap and exit
    ("mm/shmem.c", "shmem_fault"): "fault",
    ("mm/shmem.c", "shmem_writepage"): "swap",
    ("", "systemd-sysctl"): "system",
}

_FILE_KIND_CACHE: dict[str, str] = {}
_FN_FILES = frozenset(f for f, _fn in FN_KINDS)


def kind_of(fn: str, file: str) -> str:
    """The kind of an event `fn` in `file` emits (see the module's docstring)."""
    if file in _FN_FILES:
        kind = FN_KINDS.get((file, fn))
        if kind is not None:
            return kind
    kind = _FILE_KIND_CACHE.get(file)
    if kind is None:
        # "" starts every name: a file the table does not know is a note
        prefix = max((p for p in FILE_KINDS if file.startswith(p)), key=len)
        kind = _FILE_KIND_CACHE[file] = FILE_KINDS[prefix]
    return kind


@dataclass(slots=True)
class Event:
    """One step of kernel work: `fn` in `file` did `text`; `data` says what changed;
    `kind` says what sort of work it is (KINDS)."""

    fn: str
    file: str
    text: str
    depth: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    kind: str = "note"

    def to_json(self) -> dict[str, Any]:
        """The event as the `--json` contract shows it."""
        out: dict[str, Any] = {"fn": self.fn, "file": self.file, "text": self.text}
        if self.depth:
            out["depth"] = self.depth
        if self.data:
            out["data"] = self.data
        return out


class EventLog:
    """Collects events for the current step; `call()` nests depth like a call chain."""

    __slots__ = ("events", "_depth", "limit", "dropped", "muted")

    def __init__(self, limit: int = 2000) -> None:
        self.events: list[Event] = []
        self._depth = 0
        self.limit = limit
        self.dropped = 0
        self.muted = 0  # bulk work mutes per-page events and emits a summary instead

    def emit(self, fn: str, file: str, text: str, **data: Any) -> None:
        """Record that `fn` (in `file`) did `text`."""
        if self.muted:
            return
        if len(self.events) >= self.limit:
            self.dropped += 1
            return
        self.events.append(Event(fn, file, text, self._depth, dict(data), kind_of(fn, file)))

    def enter(self) -> None:
        self._depth += 1

    def leave(self) -> None:
        self._depth -= 1

    def take(self) -> list[Event]:
        """Hand over this step's events and start afresh."""
        ev = self.events
        if self.dropped:
            ev.append(Event("(aggregated)", "", f"{self.dropped} more events not shown", 0))
        self.events = []
        self._depth = 0
        self.dropped = 0
        return ev


class _Call:
    __slots__ = ("log",)

    def __init__(self, log: EventLog) -> None:
        self.log = log

    def __enter__(self) -> None:
        self.log.enter()

    def __exit__(self, *exc: object) -> None:
        self.log.leave()


def nested(log: EventLog) -> _Call:
    """`with nested(log):` makes the events inside one level deeper."""
    return _Call(log)
