"""`struct mm_struct` and `struct vm_area_struct` (include/linux/mm_types.h, v5.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmtui.engine.include.layout import PAGE_SHIFT, STACK_GUARD_GAP
from vmtui.engine.include.pgtable import (
    _PAGE_ACCESSED,
    _PAGE_NX,
    _PAGE_PRESENT,
    _PAGE_PROTNONE,
    _PAGE_RW,
    _PAGE_USER,
)
from vmtui.engine.lib.rbtree import RbNode
from vmtui.engine.lib.vma_maple import MapleVmaSet
from vmtui.engine.lib.vma_tree import VmaSet

if TYPE_CHECKING:
    from vmtui.engine.include.fs import File
    from vmtui.engine.include.pgtable import PageTable

# vm_flags (include/linux/mm.h)
VM_NONE = 0x0
VM_READ = 0x1
VM_WRITE = 0x2
VM_EXEC = 0x4
VM_SHARED = 0x8
VM_MAYREAD = 0x10
VM_MAYWRITE = 0x20
VM_MAYEXEC = 0x40
VM_MAYSHARE = 0x80
VM_GROWSDOWN = 0x100
VM_PFNMAP = 0x400
VM_DENYWRITE = 0x800
VM_LOCKED = 0x2000
VM_IO = 0x4000
VM_DONTCOPY = 0x20000
VM_DONTEXPAND = 0x40000
VM_LOCKONFAULT = 0x80000
VM_ACCOUNT = 0x100000
VM_NORESERVE = 0x200000
VM_SOFTDIRTY = 0x8000000
VM_MIXEDMAP = 0x10000000
VM_GROWSUP = VM_NONE  # x86 has no upward-growing stacks
VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP
VM_STACK = VM_GROWSDOWN
VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC
VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT
VM_DATA_DEFAULT_FLAGS = VM_READ | VM_WRITE | VM_EXEC | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC

VM_FLAG_NAMES = (
    (VM_READ, "rd"), (VM_WRITE, "wr"), (VM_EXEC, "ex"), (VM_SHARED, "sh"),
    (VM_MAYREAD, "mr"), (VM_MAYWRITE, "mw"), (VM_MAYEXEC, "me"), (VM_MAYSHARE, "ms"),
    (VM_GROWSDOWN, "gd"), (VM_PFNMAP, "pf"), (VM_DENYWRITE, "dw"), (VM_LOCKED, "lo"),
    (VM_IO, "io"), (VM_DONTCOPY, "dc"), (VM_DONTEXPAND, "de"), (VM_LOCKONFAULT, "lf"),
    (VM_ACCOUNT, "ac"), (VM_NORESERVE, "nr"), (VM_SOFTDIRTY, "sd"), (VM_MIXEDMAP, "mm"),
)


def vm_get_page_prot(vm_flags: int) -> int:
    """vm_get_page_prot(): protection_map[] for these flags (mm/mmap.c, x86 values).

    A private writable mapping gets PAGE_COPY (no _PAGE_RW): the first write
    faults and do_wp_page copies. PROT_NONE gives _PAGE_PROTNONE.
    """
    r, w, x, s = (bool(vm_flags & f) for f in (VM_READ, VM_WRITE, VM_EXEC, VM_SHARED))
    if not (r or w or x):
        return _PAGE_PROTNONE | _PAGE_ACCESSED
    prot = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED
    if w and s:
        prot |= _PAGE_RW
    if not x:
        prot |= _PAGE_NX
    return prot


def vm_flags_text(flags: int) -> str:
    """The VmFlags line of /proc/PID/smaps (fs/proc/task_mmu.c show_smap_vma_flags)."""
    return " ".join(name for bit, name in VM_FLAG_NAMES if flags & bit)


class AnonVma:
    """struct anon_vma: ties anonymous pages to every VMA that may map them (mm/rmap.c).

    `vmas` plays the role of the anon_vma's interval tree of anon_vma_chains:
    after fork the child's VMA joins the parent's anon_vma, so rmap finds a
    COW-shared page in both processes.
    """

    __slots__ = ("id", "vmas", "parent", "__weakref__")

    def __init__(self, ident: int, parent: AnonVma | None = None) -> None:
        self.id = ident
        self.vmas: dict[VmArea, None] = {}
        self.parent = parent

    def __repr__(self) -> str:
        return f"<anon_vma {self.id} with {len(self.vmas)} vma(s)>"


class VmArea:
    """struct vm_area_struct: one contiguous range [vm_start, vm_end) with one set of rights."""

    __slots__ = (
        "vm_start", "vm_end", "vm_next", "vm_prev", "vm_rb", "vm_mm", "vm_page_prot",
        "vm_flags", "anon_vma", "anon_vma_chain", "vm_ops", "vm_pgoff", "vm_file", "name",
        "vm_policy", "swap_readahead_info", "__weakref__",
    )

    def __init__(
        self, mm: MmStruct, start: int, end: int, flags: int, pgoff: int = 0,
        file: File | None = None, name: str = "",
    ) -> None:
        self.vm_start = start
        self.vm_end = end
        self.vm_next: VmArea | None = None
        self.vm_prev: VmArea | None = None
        self.vm_rb = RbNode(self)
        self.vm_mm = mm
        self.vm_flags = flags
        self.vm_page_prot = vm_get_page_prot(flags)
        self.anon_vma: AnonVma | None = None
        self.anon_vma_chain: list[AnonVma] = []  # every anon_vma this VMA is linked into
        self.vm_ops: str | None = "generic_file_vm_ops" if file is not None else None
        self.vm_pgoff = pgoff
        self.vm_file = file
        self.name = name  # [heap], [stack], [vdso], ... (arch_vma_name / special mappings)
        self.vm_policy: Any = None
        # swap_vma_readahead()'s state (SWAP_RA_VAL): last fault address, window, hits
        self.swap_readahead_info: tuple[int, int, int] = (0, 0, 0)

    def __getstate__(self) -> dict[str, Any]:
        # list and tree links are rebuilt by VmaSet on restore (a deep chain would
        # overflow pickle's recursion on a 65,000-VMA process)
        return {k: getattr(self, k) for k in self.__slots__
                if k not in ("vm_next", "vm_prev", "vm_rb", "__weakref__")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.swap_readahead_info = (0, 0, 0)
        for k, v in state.items():
            setattr(self, k, v)
        self.vm_next = self.vm_prev = None
        self.vm_rb = RbNode(self)

    # --- helpers the kernel has as inline functions -------------------------------
    @property
    def rb_subtree_gap(self) -> int:
        """The largest free gap below any VMA in this VMA's rbtree subtree."""
        return self.vm_rb.subtree_gap

    def start_gap(self) -> int:
        """vm_start_gap(): a stack's start less the stack guard gap."""
        start = self.vm_start
        if self.vm_flags & VM_GROWSDOWN:
            start = start - STACK_GUARD_GAP if start > STACK_GUARD_GAP else 0
        return start

    def end_gap(self) -> int:
        """vm_end_gap(): the end (x86 has no VM_GROWSUP, so no gap above)."""
        return self.vm_end

    def pages(self) -> int:
        return (self.vm_end - self.vm_start) >> PAGE_SHIFT

    def linear_page_index(self, addr: int) -> int:
        """linear_page_index(): the page's index in the file (or anon_vma) this VMA maps."""
        return ((addr - self.vm_start) >> PAGE_SHIFT) + self.vm_pgoff

    def is_anonymous(self) -> bool:
        """vma_is_anonymous(): no vm_ops, no file."""
        return self.vm_file is None and self.vm_ops is None

    def perms(self) -> str:
        """The rwxp/rwxs column of /proc/PID/maps."""
        f = self.vm_flags
        return (
            ("r" if f & VM_READ else "-") + ("w" if f & VM_WRITE else "-")
            + ("x" if f & VM_EXEC else "-") + ("s" if f & VM_MAYSHARE else "p")
        )

    def __repr__(self) -> str:
        return f"<vma {self.vm_start:#x}-{self.vm_end:#x} {self.perms()} {self.name}>"


class MmStruct:
    """struct mm_struct: one process's address space (include/linux/mm_types.h)."""

    def __init__(self, task_size: int, maple: bool = False) -> None:
        # 5.4: mm->mmap (list) + mm->mm_rb (rbtree), kept together; 6.1+: mm->mm_mt, the
        # maple tree (no list, no rbtree); the kernel model says which (kmodel.maple_tree)
        self.vmas: VmaSet[VmArea] | MapleVmaSet[VmArea] = MapleVmaSet() if maple else VmaSet()
        self.pgd: PageTable | None = None
        # mm->context.ctx_id (arch/x86): the TLB tags entries with it. Given by the machine
        # on first use; never id(): that changes when a step is restored from a snapshot
        self.ctx_id = 0
        self.mmap_base = 0
        self.mmap_legacy_base = 0
        self.task_size = task_size
        self.mm_users = 1
        self.mm_count = 1
        self.pgtables_bytes = 0
        self.hiwater_rss = 0
        self.hiwater_vm = 0
        self.total_vm = 0
        self.locked_vm = 0
        self.pinned_vm = 0
        self.data_vm = 0
        self.exec_vm = 0
        self.stack_vm = 0
        self.def_flags = 0
        self.start_code = self.end_code = 0
        self.start_data = self.end_data = 0
        self.start_brk = self.brk = 0
        self.start_stack = 0
        self.arg_start = self.arg_end = 0
        self.env_start = self.env_end = 0
        # rss_stat: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES
        self.rss_file = 0
        self.rss_anon = 0
        self.rss_swap = 0
        self.rss_shmem = 0
        self.flags = 0
        self.owner: Any = None  # mm->owner (CONFIG_MEMCG): the task whose mm this is
        self.maps_cache: tuple[tuple[int, ...], list[str]] | None = None

    # mm->mmap, mm->map_count, mm->highest_vm_end come from the VMA set
    @property
    def mmap(self) -> VmArea | None:
        return self.vmas.first()

    @property
    def map_count(self) -> int:
        return len(self.vmas)

    @property
    def highest_vm_end(self) -> int:
        return self.vmas.highest_vm_end

    def rss(self) -> int:
        """get_mm_rss(): resident pages (file + anon + shmem)."""
        return self.rss_file + self.rss_anon + self.rss_shmem

    def find_vma(self, addr: int) -> VmArea | None:
        """find_vma(): the first VMA with vm_end > addr. Runtime complexity: O(log(n))."""
        return self.vmas.find_vma(addr)
