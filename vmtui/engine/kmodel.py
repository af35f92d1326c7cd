"""Kernel models: what differs between Linux versions, reached through one object.

A machine's `kmodel` (`m.kmodel`) is chosen by its configuration (the `kernel`
machine key) when it boots. Engine code that does something one Linux version
does differently from another does not test a version: it asks the model, one
attribute per behaviour:

    find_vma(mm, addr)           how a VMA is looked up (5.4: the vmacache, then the
                                 augmented rbtree of mm->mm_rb; mainline: the maple tree)
    find_vma_cited               the function and file the fault path names for that look-up
                                 (6.18: lock_mm_and_find_vma, mm/memory.c)
    vma_modify_flags(m, ...)     how a range whose flags change is split and merged
                                 (5.4: vma_merge(), else split_vma() at each end)
    page_fault_entry             the function the x86 fault entry cites (5.4: __do_page_fault;
                                 mainline: exc_page_fault)
    page_fault_dispatch          6.18: handle_page_fault (arch/x86/fault.py do_page_fault)
    lock_vma_under_rcu           6.18: the per-VMA lock tried first (arch/x86/fault.py
                                 do_user_addr_fault), mm/memory.c
    folios                       6.18: the fault handlers cite alloc_anon_folio,
                                 folio_add_new_anon_rmap, folio_add_lru_vma (mm/memory.py)
    vma_c                        where split_vma and expand_downwards live (6.18: mm/vma.c)
    can_change_pte_writable      6.18: mprotect keeps exclusive anonymous PTEs writable
                                 (mm/mprotect.py change_protection)
    mremap_vma_lookup_first      6.18: mremap gives EFAULT when nothing is mapped at addr
                                 (mm/mremap.py do_mremap)
    remap_move_multiple_vmas     6.18: mremap(MREMAP_FIXED) of the same size moves every VMA
                                 of the range (mm/mremap.py remap_move)
    is_mergeable_anon_vma        the anon_vma merge rule (mm/vma.py vma_merge; 6.18: the
                                 relaxed rule of 6.16, with vma_is_fork_child)
    vma_merge_names              the names merges cite (6.18: vma_merge_new_range,
                                 vma_merge_existing_range, mm/vma.c)
    vma_merge_extend             6.18: a growing mremap merges with the next VMA
                                 (mm/mremap.py _mremap_grow -> mm/vma.py vma_merge_extend)
    maple_tree                   6.18: an mm keeps its VMAs in the maple tree mm->mm_mt
                                 (lib/vma_maple.py), not in the 5.4 list + rbtree
    anon_exclusive               6.18: the PG_anon_exclusive flag new anonymous pages get,
                                 fork clears, and can_change_pte_writable / do_wp_page test
    vvar_pages                   the vDSO data mappings' pages and their fault handlers
                                 (arch/x86/vdso.py vvar_fault; 6.18: [vvar] + [vvar_vclock])
    vma_link_cited               the function the narration of a new VMA's insertion cites
                                 (6.18: __mmap_new_vma storing into mm->mm_mt)
    mmap_lock                    the lock's name in the narration (6.18: mmap_lock)
    preallocate_vmalloc_pages    6.18: the vmalloc area's PGD entries exist from boot, no
                                 vmalloc_fault (boot.py map_kernel_half, mm/vmalloc.py,
                                 arch/x86/fault.py do_kern_addr_fault)
    process_image                what execve and ld.so leave in a new process
                                 (fs/exec.py IMAGE_54, IMAGE_618)
    lru_gen                      whether the kernel has the multi-gen LRU (CONFIG_LRU_GEN,
                                 6.1+; mm/lru_gen.py): a booted lruvec gets a lrugen unless
                                 the machine turns it off
    get_scan_count(m, node, sc)  how the two-list LRU weighs anon against file (5.4: the
                                 recent_scanned/recent_rotated ratios; mainline since 5.9:
                                 the anon_cost/file_cost lru_note_cost() keeps)

Two models: Linux 5.4 (the default, the kernel of the lecture notes) and Linux
6.18 (mainline, what students run). `Linux618` subclasses `Linux54` and
overrides only the attributes whose behaviour differs, each named after the
mainline function or commit that changed it (docs/kernel-map.md lists them);
the callers stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from vmtui.engine.fs import exec as exec_image
from vmtui.engine.include.mmzone import PG_anon_exclusive
from vmtui.engine.mm import mprotect, vmscan
from vmtui.engine.mm import vma as vma_ops

if TYPE_CHECKING:
    from vmtui.engine.include.machine import Machine
    from vmtui.engine.include.mm_types import MmStruct, VmArea


class KernelModel:
    """The behaviours that differ between kernel versions (see the module's docstring)."""

    name = ""
    find_vma_cited = ("find_vma", "mm/mmap.c")
    page_fault_entry = "__do_page_fault"
    # the function between the fault entry and do_user_addr_fault / do_kern_addr_fault, if any
    page_fault_dispatch: str | None = None
    # the per-VMA lock the user fault path tries first, as (function, file), or None
    lock_vma_under_rcu: tuple[str, str] | None = None
    # where split_vma, expand_downwards, acct_stack_growth live
    vma_c = "mm/mmap.c"
    # the fault handlers name the folio calls they make (alloc_anon_folio,
    # folio_add_new_anon_rmap, folio_add_lru_vma)
    folios = False
    # what execve() and ld.so leave in a new process (fs/exec.py ProcessImage)
    process_image = exec_image.IMAGE_54
    # mprotect's change_pte_range(): a function (m, vma, addr, pte) -> bool saying a PTE may
    # be made writable at once, or None: PTEs of private mappings stay read-only
    can_change_pte_writable: Callable[[Machine, VmArea, int, int], bool] | None = None
    # mremap(2) looks up the VMA at addr before anything, EFAULT if there is none (5.4: only
    # a growing or moving mremap does, in vma_to_resize(); a shrink just unmaps the tail)
    mremap_vma_lookup_first = False
    # mremap(MREMAP_FIXED) of the same size may span several VMAs (mm/mremap.py remap_move)
    remap_move_multiple_vmas = False
    # mm/vma.py: may a range with anon_vma `src_anon` join the VMA `tgt`? (srcs: the VMAs the
    # range comes from, for the fork check)
    is_mergeable_anon_vma = staticmethod(vma_ops.is_mergeable_anon_vma_54)
    # (function, file) cited for a merge of a new range and of an existing one
    vma_merge_names = vma_ops.MERGE_NAMES_54
    # mremap growing in place also merges with the next VMA (vma_ops.vma_merge_extend)
    vma_merge_extend = False
    # the mm keeps its VMAs in a maple tree, mm->mm_mt (lib/vma_maple.py), not in the
    # mm->mmap list + mm->mm_rb rbtree + vmacache of 5.4 (lib/vma_tree.py)
    maple_tree = False
    # the page flag the fault paths set on an anonymous page only one process maps, and
    # fork clears (PG_anon_exclusive), or 0 where the kernel has no such flag
    anon_exclusive = 0
    # the vDSO data mappings: name -> (fault handler, its file, {page: the kernel data it
    # maps}, {page: what the missing page would be}); a page in neither is SIGBUS too
    vvar_pages: dict[str, tuple[str, str, dict[int, str], dict[int, str]]] = {
        "[vvar]": ("vvar_fault", "arch/x86/entry/vdso/vma.c", {0: "__vvar_page"}, {}),
    }
    # (function, file, what) the narration of a new VMA's insertion cites
    vma_link_cited = ("vma_link", "mm/mmap.c", "linked into mm->mmap and mm->mm_rb")
    # the name of mm_struct's lock, as the narration says it
    mmap_lock = "mmap_sem"
    # the vmalloc area's top-level entries are made at boot and never change, so no
    # process takes a vmalloc_fault (x86-64), and 32-bit PGDs are synced when vmalloc()
    # makes an entry (arch_sync_kernel_mappings)
    preallocate_vmalloc_pages = False

    def find_vma(self, mm: MmStruct, addr: int) -> VmArea | None:
        """The first VMA with vm_end > addr, or None."""
        raise NotImplementedError

    vma_modify_flags = staticmethod(vma_ops.vma_modify_flags)
    lru_gen = False
    get_scan_count = staticmethod(vmscan.get_scan_count_54)

    def __reduce__(self) -> tuple[object, tuple[str]]:
        # a machine's snapshot (pickle/deepcopy) keeps the model by name
        return model_for, (self.name,)


class Linux54(KernelModel):
    """Linux 5.4, the kernel the lecture notes are written against."""

    name = "5.4"

    def find_vma(self, mm: MmStruct, addr: int) -> VmArea | None:
        # vmacache_find(), then the rbtree walk; the VMA set answers both in O(log n)
        return mm.vmas.find_vma(addr)


class Linux618(Linux54):
    """Linux 6.18 (mainline). Where it behaves as 5.4, Linux54's code serves both."""

    name = "6.18"
    # arch/x86/mm/fault.c: exc_page_fault() -> handle_page_fault() -> do_user_addr_fault()
    # since 5.8 (the IDT entry rework); __do_page_fault() is gone
    page_fault_entry = "exc_page_fault"
    page_fault_dispatch = "handle_page_fault"
    # mm/memory.c lock_vma_under_rcu(): per-VMA locks (6.4); a fault outside every VMA (stack
    # expansion, SIGSEGV) or one that must retry goes through lock_mm_and_find_vma() (6.5)
    lock_vma_under_rcu = ("lock_vma_under_rcu", "mm/memory.c")
    find_vma_cited = ("lock_mm_and_find_vma", "mm/memory.c")
    # mm/vma.c (6.12: split_vma; 6.16: expand_downwards, acct_stack_growth)
    vma_c = "mm/vma.c"
    # folios (5.16 on): do_anonymous_page() -> alloc_anon_folio() (6.8),
    # folio_add_new_anon_rmap() (6.8), folio_add_lru_vma() (5.16)
    folios = True
    # 6.13's [vvar_vclock], and the libc and ld.so mappings of the 6.18 oracle machine
    process_image = exec_image.IMAGE_618
    # mm/mprotect.c: mprotect back to writable keeps exclusive anonymous pages (and dirty
    # shared ones) writable: "try avoiding write faults for exclusive anonymous pages when
    # changing protection" (6.0)
    can_change_pte_writable = staticmethod(mprotect.can_change_pte_writable)
    # mm/mremap.c: vma_lookup(addr) at the top of mremap (since 5.16, with hugetlb mremap;
    # check_prep_vma() since the 6.17 rework), so shrinking what is not mapped is EFAULT
    mremap_vma_lookup_first = True
    # mm/mremap.c remap_move(): "mm/mremap: permit mremap() move of multiple VMAs" (6.17)
    remap_move_multiple_vmas = True
    # mm/vma.c is_mergeable_anon_vma(): "mm/vma: fix incorrectly disallowed anonymous VMA
    # merges" (6.16): faulted and unfaulted VMAs merge both ways, but for fork children
    is_mergeable_anon_vma = staticmethod(vma_ops.is_mergeable_anon_vma_relaxed)
    # mm/vma.c vma_merge_new_range() / vma_merge_existing_range() (6.12)
    vma_merge_names = vma_ops.MERGE_NAMES_MAINLINE
    # mm/mremap.c: a growing mremap calls vma_merge_extend() (6.1)
    vma_merge_extend = True
    # "mm: start tracking VMAs with maple tree" (6.1): mm->mm_mt replaces mm->mmap, mm->mm_rb
    # and the vmacache; find_vma is mt_find(), get_unmapped_area mas_empty_area[_rev]()
    maple_tree = True
    # "mm: track exclusive anonymous pages" (5.19): PageAnonExclusive, which mprotect's
    # can_change_pte_writable() and do_wp_page()'s reuse test
    anon_exclusive = PG_anon_exclusive
    # the generic vDSO data store (lib/vdso/datastore.c, 6.13): [vvar] is the time data,
    # the time namespace page, the getrandom() state (6.11) and architecture data; the
    # paravirtual clock pages moved to [vvar_vclock] (vvar_vclock_fault). As
    # tests/kernel_probes/vvar_pages.out read them on the 6.18 reference machine, a KVM
    # guest whose kvm-clock was used: the pvclock page is there, the Hyper-V one not
    vvar_pages = {
        "[vvar]": ("vvar_fault", "lib/vdso/datastore.c",
                   {0: "vdso_time_data page",
                    2: "vdso_rng_data page"},
                   {1: "the time namespace page (VDSO_TIMENS_PAGE_OFFSET), which a task in "
                       "the root time namespace does not have",
                    3: "architecture data (VDSO_ARCH_PAGES_START), which x86 does not have"}),
        "[vvar_vclock]": ("vvar_vclock_fault", "arch/x86/entry/vdso/vma.c",
                          {0: "kvm-clock pvclock page"},
                          {1: "the Hyper-V TSC page (VDSO_PAGE_HVCLOCK_OFFSET), which a KVM "
                              "guest does not have"}),
    }
    # mm/vma.c __mmap_new_vma(): vma_iter_store_new(vmi, vma), then map_count++ (6.12)
    vma_link_cited = ("__mmap_new_vma", "mm/vma.c",
                      "stored in mm->mm_mt by vma_iter_store_new()")
    # "mmap locking API: rename mmap_sem to mmap_lock" (5.8), taken through mmap_read_lock()
    mmap_lock = "mmap_lock"
    # "x86/mm: Pre-allocate P4D/PUD pages for vmalloc area" (5.8) and "x86/mm: remove
    # vmalloc faulting" (5.9): preallocate_vmalloc_pages(), arch/x86/mm/init_64.c
    preallocate_vmalloc_pages = True
    # mm/vmscan.c CONFIG_LRU_GEN ("mm: multi-gen LRU", 6.1); Kconfig LRU_GEN_ENABLED
    lru_gen = True
    # mm/vmscan.c get_scan_count() with lruvec->anon_cost/file_cost ("mm: base LRU
    # balancing on an explicit cost model", 5.9) and MAX_SWAPPINESS 200 (5.8)
    get_scan_count = staticmethod(vmscan.get_scan_count_cost)


MODELS: dict[str, type[KernelModel]] = {"5.4": Linux54, "6.18": Linux618}
_INSTANCES: dict[str, KernelModel] = {}


def model_for(name: str) -> KernelModel:
    """The model of kernel `name` (one of MODELS), shared by every machine that runs it."""
    model = _INSTANCES.get(name)
    if model is None:
        model = _INSTANCES[name] = MODELS[name]()
    return model
