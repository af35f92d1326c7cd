"""Kernel models: what differs between Linux versions, reached through one object.

A machine's `kmodel` (`m.kmodel`) is chosen by its configuration (the `kernel`
machine key) when it boots. Engine code that does something one Linux version
does differently from another does not test a version: it asks the model, one
attribute per behaviour:

    find_vma(mm, addr)           how a VMA is looked up (5.4: the vmacache, then the
                                 augmented rbtree of mm->mm_rb; mainline: the maple tree)
    find_vma_cited               the function and file the fault path names for that look-up
    vma_modify_flags(m, ...)     how a range whose flags change is split and merged
                                 (5.4: vma_merge(), else split_vma() at each end)
    page_fault_entry             the function the x86 fault entry cites (5.4: __do_page_fault;
                                 mainline: exc_page_fault -> handle_page_fault)
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

from typing import TYPE_CHECKING

from vmtui.engine.mm import vma as vma_ops
from vmtui.engine.mm import vmscan

if TYPE_CHECKING:
    from vmtui.engine.include.mm_types import MmStruct, VmArea


class KernelModel:
    """The behaviours that differ between kernel versions (see the module's docstring)."""

    name = ""
    find_vma_cited = ("find_vma", "mm/mmap.c")
    page_fault_entry = "__do_page_fault"

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
