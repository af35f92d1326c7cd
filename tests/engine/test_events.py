"""Event kinds (engine/include/events.py) and the walk the engine records (access.mmu_walk).

The kinds expected here are read off the kernel's source tree, not off the table: what
each file of 5.4 does (arch/x86/mm/fault.c and mm/memory.c handle page faults, mm/vmscan.c
reclaims, mm/swap_state.c is the swap cache, ...). The walks expected are computed by hand
from the x86-64 4-level layout: bits 47..39 of an address index the PGD.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.engine.conftest import checked, do_checked, machine
from vmtui.engine.arch.x86 import access
from vmtui.engine.include.events import KINDS, EventLog, kind_of
from vmtui.scenario.execute import run_command
from vmtui.scenario.lang import parse_command

VMTUI = Path(__file__).resolve().parents[2] / "vmtui"


def events(m, line: str):
    cmd = parse_command(line, 1)
    assert cmd is not None
    res, evs = run_command(m, cmd)
    checked(m)
    return res, evs


def test_kinds_follow_what_each_kernel_file_does():
    expect = {
        ("__do_page_fault", "arch/x86/mm/fault.c"): "fault",
        ("do_general_protection", "arch/x86/kernel/traps.c"): "fault",
        ("do_anonymous_page", "mm/memory.c"): "fault",
        ("filemap_fault", "mm/filemap.c"): "fault",
        ("faultin_page", "mm/gup.c"): "fault",
        ("shmem_fault", "mm/shmem.c"): "fault",
        # mm/memory.c also frees page tables, for munmap and exit (free_pgtables)
        ("free_pgd_range", "mm/memory.c"): "mmap",
        ("walk", "arch/x86/mm/pgtable.c"): "walk",
        ("do_mmap", "mm/mmap.c"): "mmap",
        ("vm_mmap_pgoff", "mm/util.c"): "mmap",
        ("mprotect_fixup", "mm/mprotect.c"): "mmap",
        ("shmem_zero_setup", "mm/shmem.c"): "mmap",
        ("anon_vma_prepare", "mm/rmap.c"): "rmap",
        ("swap_cluster_readahead", "mm/swap_state.c"): "swap",
        ("shmem_writepage", "mm/shmem.c"): "swap",
        ("try_to_unuse", "mm/swapfile.c"): "swap",
        ("shrink_node", "mm/vmscan.c"): "reclaim",
        ("workingset_refault", "mm/workingset.c"): "reclaim",
        ("lru_add_drain_all", "mm/swap.c"): "reclaim",
        ("__alloc_pages_slowpath", "mm/page_alloc.c"): "alloc",
        ("oom_kill_process", "mm/oom_kill.c"): "oom",
        ("dup_mmap", "kernel/fork.c"): "task",
        ("do_execve", "fs/exec.c"): "task",
        ("loadsegment", "arch/x86/include/asm/segment.h"): "segment",
        ("linear address", "CPU: Intel SDM Vol. 3A 3.4, 5.5-5.8 (segmentation unit)"): "segment",
        ("tcache_get", "malloc/malloc.c (glibc)"): "libc",
        ("proc_sys_call_handler", "fs/proc/proc_sysctl.c"): "system",
        ("systemd-sysctl", ""): "system",
        ("(return)", ""): "note",
    }
    for (fn, file), kind in expect.items():
        assert kind_of(fn, file) == kind, (fn, file)
    assert set(expect.values()) == set(KINDS)


def _cited_files() -> set[tuple[str, str]]:
    """(fn, file) of every emit() in vmtui/ whose file is a literal or a module constant."""
    found = set()
    for path in VMTUI.rglob("*.py"):
        tree = ast.parse(path.read_text())
        consts = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                  and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                  for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "emit" and len(node.args) >= 2):
                continue
            fn, file = node.args[0], node.args[1]
            name = fn.value if isinstance(fn, ast.Constant) else "?"
            if isinstance(file, ast.Constant):
                found.add((name, file.value))
            elif isinstance(file, ast.Name) and file.id in consts:
                found.add((name, consts[file.id]))
    return found


def test_every_file_the_engine_cites_has_a_kind():
    """A kernel file added to the narration without a line in FILE_KINDS would become a
    vmtui note: every cited file but vmtui's own ("") has a kind of its own."""
    cited = _cited_files()
    assert len({file for _fn, file in cited}) > 40
    unknown = sorted((fn, file) for fn, file in cited if file and kind_of(fn, file) == "note")
    assert unknown == []


def test_the_log_sets_the_kind_and_json_does_not_show_it():
    log = EventLog()
    log.emit("do_swap_page", "mm/memory.c", "swapped in")
    log.emit("swap_cluster_readahead", "mm/swap_state.c", "read ahead")
    log.limit = 2
    log.emit("shrink_node", "mm/vmscan.c", "dropped: over the limit")
    evs = log.take()
    assert [e.kind for e in evs] == ["fault", "swap", "note"]  # "(aggregated)" is vmtui's
    assert evs[-1].fn == "(aggregated)"
    assert all("kind" not in e.to_json() for e in evs)


def test_a_write_fault_is_fault_kind_nested_and_a_mmap_is_not():
    m = machine(ram="64M")
    do_checked(m, "spawn")
    _res, evs = events(m, "p = mmap 8K rw private,anon")
    assert {e.kind for e in evs} == {"mmap"}
    _res, evs = events(m, "write p = 1")
    # 5.4: __do_page_fault -> do_user_addr_fault -> find_vma, handle_mm_fault ->
    # __handle_mm_fault -> handle_pte_fault -> do_anonymous_page -> anon_vma_prepare
    assert [(e.kind, e.fn) for e in evs] == [
        ("fault", "__do_page_fault"), ("mmap", "find_vma"), ("fault", "handle_mm_fault"),
        ("fault", "__handle_mm_fault"), ("rmap", "anon_vma_prepare"),
        ("fault", "do_anonymous_page")]


def test_accesses_and_walk_record_the_walk_and_other_commands_do_not():
    m = machine(ram="64M")
    do_checked(m, "spawn")
    assert m.last_walk is None and m.walks == 0
    do_checked(m, "p = mmap 8K rw private,anon")
    p = m.names["p"]
    assert m.walks == 0  # mmap walks nothing
    do_checked(m, "write p+4K = 1")
    assert m.walks == 1 and m.last_walk.va == p + 4096 and m.last_walk.stopped == "mapped"
    w = m.last_walk
    do_checked(m, "m = malloc 100")  # glibc's own stores (the chunk header) are not the command's
    assert m.walks == 1 and m.last_walk is w
    res, evs = events(m, "walk p")
    assert res.ok and m.walks == 2 and m.last_walk.va == p
    assert m.last_walk.stopped == "none at PTE"  # p's own page was never touched
    assert [(e.kind, e.fn) for e in evs] == [("walk", "walk")]
    do_checked(m, "kread p+4K")
    assert m.walks == 3 and m.last_walk.va == p + 4096


def test_a_refused_access_is_walked_to_where_it_stops():
    m = machine(ram="64M")
    do_checked(m, "spawn")
    # 0x1000 >> 39 = PGD index 0; a fresh process's lowest mapping is its program at
    # 0x555555554000 (index 170), so PGD entry 0 is empty
    res = do_checked(m, "read 0x1000")
    assert res.signal == "SIGSEGV"
    assert m.walks == 1 and m.last_walk.va == 0x1000 and m.last_walk.stopped == "none at PGD"


def test_a_non_canonical_address_is_not_walked():
    """The CPU raises #GP for a non-canonical address before any page-table walk."""
    m = machine(ram="64M")
    do_checked(m, "spawn")
    res = do_checked(m, "read 0x800000000000")
    assert res.signal == "SIGSEGV" and m.walks == 0 and m.last_walk is None


def test_program_access_walks_after_the_fault():
    """The walk is the MMU's on the access retried after the fault: the PTE present."""
    m = machine(ram="64M")
    do_checked(m, "spawn")
    do_checked(m, "p = mmap 4K rw private,anon")
    task = m.current
    value = access.program_access(m, task, m.names["p"], None, "w", 9)
    assert value == 9 and m.last_walk.pfn is not None and m.walks == 1
    checked(m)
