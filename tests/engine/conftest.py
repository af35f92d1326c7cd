"""Helpers of the engine's tests: a machine from a [machine] table, a command run on it
(with the invariants checked, or not, when a test checks them itself), the kB and hex
values the steps print, and a Session: a machine driven command by command, with
check_invariants after each, plus reclaim of chosen pages the way 5.4's reclaim_pages()
(MADV_PAGEOUT) does it: isolate them, then shrink_page_list()."""
from __future__ import annotations

import re
from typing import Any

from vmtui.engine.boot import new_machine
from vmtui.engine.check.invariants import check_invariants
from vmtui.engine.check.reclaim_check import check_reclaim
from vmtui.engine.include.machine import Machine, MachineConfig
from vmtui.engine.include.mmzone import MAX_ORDER, Page, PG_referenced, PhysMem, Zone
from vmtui.engine.mm import swap, vmscan
from vmtui.scenario.execute import Result, run_command
from vmtui.scenario.lang import parse_command
from vmtui.scenario.loader import from_commands
from vmtui.scenario.runner import run_step


def machine(**cfg: object) -> Machine:
    """A machine booted from [machine] keys (ram="64M", swap=..., nodes=...)."""
    return new_machine(MachineConfig.from_dict(dict(cfg)))


def do(m: Machine, line: str) -> Result:
    """One command, as a scenario step runs it; the caller checks the invariants."""
    res, _events = run_command(m, parse_command(line, 1))
    return res


def checked(m: Machine) -> None:
    """Every engine invariant and the reclaim invariants hold."""
    check_invariants(m)
    check_reclaim(m)


def do_checked(m: Machine, line: str) -> Result:
    """One command, as a scenario step runs it, with every invariant checked after it."""
    cmd = parse_command(line, 1)
    assert cmd is not None
    res, _events = run_command(m, cmd)
    checked(m)
    return res


def kb(text: str, name: str) -> int:
    """The number of a `Name:   N kB` line of /proc/meminfo or /proc/PID/status."""
    m = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
    assert m is not None, name
    return int(m.group(1))


def step_kb(step: dict[str, Any], name: str) -> int:
    """kb() of the text a `vmtui run --json` step printed."""
    return kb(step["result"]["text"], name)


def hexval(step: dict[str, Any], key: str = "value") -> int:
    """A `vmtui run --json` step's hex result (an address), as a number."""
    return int(step["result"][key], 16)


def faults_of(step: dict[str, Any], pid: str = "1") -> tuple[int, int]:
    """(min_flt, maj_flt) of `pid` at a `vmtui run --json` step."""
    f = step["faults"][pid]
    return f["min_flt"], f["maj_flt"]


class Session:
    def __init__(self, **machine: Any) -> None:
        self.machine_cfg = machine
        self.m = new_machine(MachineConfig.from_dict(machine))
        self.n = 0

    def do(self, commands: str) -> Any:
        """Run `;`-separated commands as steps; the last step's result."""
        rec = None
        for step in from_commands(commands, self.machine_cfg).steps:
            self.n += 1
            rec = run_step(self.m, self.n, step)
            check_invariants(self.m)
        assert rec is not None
        return rec.result

    def text(self, command: str) -> str:
        return self.do(command).text

    def addr(self, name: str) -> int:
        return self.m.names[name]

    def vma_at(self, addr: int) -> Any:
        vma = self.m.current.mm.find_vma(addr)
        assert vma is not None and vma.vm_start <= addr
        return vma

    def pageout(self, pages: list[Page]) -> int:
        """reclaim_pages() (mm/vmscan.c, 5.4): isolate each page from its LRU list and run
        shrink_page_list() on them as one list with references ignored (here: the pages'
        accessed bits and PG_referenced are cleared first); kept pages go back."""
        m = self.m
        # the pages written last may still wait in a CPU's lru_add_pvec, where
        # isolate_lru_page() cannot take them: drain first (lru_add_drain_all)
        swap.lru_add_drain_all(m)
        by_node: dict[int, list[Page]] = {}
        for page in pages:
            vmscan.page_referenced(m, page)  # clear the PTEs' accessed bits
            page.flags &= ~PG_referenced
            vmscan.del_page_from_lru(m, page)
            by_node.setdefault(page.zone.node.id, []).append(page)
        freed = 0
        for nid, lst in by_node.items():
            sc = vmscan.ScanControl(nr_to_reclaim=len(lst), reclaim_idx=3)
            got, _stat = vmscan.shrink_page_list(m, m.mem.nodes[nid], lst, sc)
            freed += got
        check_invariants(m)
        return freed


def field(text: str, name: str, block: str | None = None) -> int:
    """The kB value of `name:` in a /proc text; in smaps, inside the block whose header
    contains `block`."""
    if block is not None:
        start = text.index(block)
        nxt = re.search(r"^[0-9a-f]+-[0-9a-f]+ ", text[start + 1:], re.M)
        text = text[start: start + 1 + nxt.start()] if nxt else text[start:]
    got = re.search(rf"^{re.escape(name)}:\s+(\d+)", text, re.M)
    assert got is not None, f"{name} not in the text"
    return int(got.group(1))


def vmstat(text: str, name: str) -> int:
    got = re.search(rf"^{name} (\d+)$", text, re.M)
    assert got is not None
    return int(got.group(1))


def zone_with(blocks: list[tuple[int, int]]) -> tuple[PhysMem, Zone]:
    """A 4M node's DMA zone whose free lists hold just `blocks` ((pfn, order), inserted in
    that order)."""
    mem = PhysMem([{"ram": 4 << 20}], None)
    zone = mem.zones[0]
    zone.free_area = [{} for _ in range(MAX_ORDER)]
    zone.nr_free = 0
    for pfn, order in blocks:
        zone.free_area[order][pfn] = None
        zone.nr_free += 1 << order
    return mem, zone
