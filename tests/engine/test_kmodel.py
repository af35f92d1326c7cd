"""The kernel-model seam (vmtui/engine/kmodel.py): the machine's configuration picks the
model, and the behaviours that differ between Linux versions are reached through it."""

from __future__ import annotations

import pytest

from tests.conftest import run_json
from vmtui.engine import kmodel
from vmtui.engine.arch.x86 import access
from vmtui.engine.boot import new_machine
from vmtui.engine.include.machine import MachineConfig
from vmtui.engine.include.settings import SettingError
from vmtui.engine.mm import mmap, mprotect


def test_the_default_kernel_is_5_4():
    m = new_machine(MachineConfig.from_dict({"ram": "64M"}))
    assert m.config.kernel == "5.4"
    assert m.kmodel.name == "5.4"
    assert m.kmodel is new_machine(MachineConfig.from_dict({"kernel": "5.4"})).kmodel


def test_an_unknown_kernel_is_refused_with_the_choices():
    with pytest.raises(SettingError) as e:
        MachineConfig.from_dict({"kernel": "2.6"})
    assert e.value.key == "kernel"
    assert "5.4" in str(e.value)


class Recording(kmodel.Linux54):
    """A model that cites other names and records the calls the engine makes through it."""

    name = "test"
    page_fault_entry = "exc_page_fault"
    find_vma_cited = ("lock_vma_under_rcu", "mm/memory.c")

    def __init__(self) -> None:
        self.calls: list[str] = []

    def find_vma(self, mm, addr):
        self.calls.append(f"find_vma {addr:#x}")
        return super().find_vma(mm, addr)

    def vma_modify_flags(self, m, task, vma, prev, start, end, newflags, fn, fname):
        self.calls.append(f"vma_modify_flags {start:#x}-{end:#x} by {fn}")
        return kmodel.Linux54.vma_modify_flags(m, task, vma, prev, start, end, newflags, fn,
                                               fname)


def test_the_fault_path_and_mprotect_go_through_the_model():
    m = new_machine(MachineConfig.from_dict({"ram": "64M", "swap": 0}))
    model = m.kmodel = Recording()
    task = m.current
    addr = mmap.do_mmap(m, task, 0, 8192, 3, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, None, 0)
    model.calls.clear()
    m.log.take()
    access.user_access(m, task, addr, None, "w", value=7)
    cited = [(e.fn, e.file) for e in m.log.take()]
    # the fault entry and the VMA look-up are named by the model, not by the fault path
    assert ("exc_page_fault", "arch/x86/mm/fault.c") in cited
    assert ("lock_vma_under_rcu", "mm/memory.c") in cited
    assert ("__do_page_fault", "arch/x86/mm/fault.c") not in cited
    assert f"find_vma {addr:#x}" in model.calls
    model.calls.clear()
    mprotect.do_mprotect(m, task, addr, 4096, 1)
    assert f"vma_modify_flags {addr:#x}-{addr + 4096:#x} by mprotect_fixup" in model.calls


def test_kernel_6_18_is_a_choice_and_cites_exc_page_fault(capsys):
    """arch/x86/mm/fault.c in 6.x: the IDT entry is exc_page_fault() (no __do_page_fault)."""
    m = new_machine(MachineConfig.from_dict({"kernel": "6.18", "ram": "64M"}))
    assert m.kmodel.name == "6.18"
    steps = run_json(capsys, "a = mmap 4K rw private,anon; write a 4K = 1", kernel="6.18")
    fns = [e["fn"] for e in steps[1]["events"]]
    assert fns[0] == "exc_page_fault" and "__do_page_fault" not in fns
    steps = run_json(capsys, "a = mmap 4K rw private,anon; write a 4K = 1")
    assert steps[1]["events"][0]["fn"] == "__do_page_fault"
