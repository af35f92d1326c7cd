"""/proc files and teaching views: the kernel's formats and the numbers behind them.

The engine prints what Linux 5.4 prints. Where this machine has the real file
(a newer kernel), the engine's field names must appear in the real file in
the same relative order, with the same line shape (label width, value column,
" kB" suffix); the differences that are 5.4's own are listed and checked
against the 5.4 source text instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run_checked
from vmtui.engine.arch.x86 import tlb
from vmtui.engine.boot import new_machine
from vmtui.engine.check.invariants import check_invariants
from vmtui.engine.fs import meminfo, procfs, task_mmu
from vmtui.engine.include.layout import PAGE_SHIFT
from vmtui.engine.include.machine import Machine, MachineConfig, Task
from vmtui.engine.include.mmzone import PG_pgtable
from vmtui.engine.include.pgtable import pte_pfn
from vmtui.engine.mm import page_alloc, vmstat
from vmtui.engine.views import teaching
from vmtui.scenario.lang import SHOW_WHAT
from vmtui.scenario.loader import from_commands
from vmtui.scenario.runner import Runner

PROC = Path("/proc")


def _real(name: str) -> list[str]:
    """A real /proc file's lines, or skip where this machine has none."""
    path = PROC / name
    try:
        return path.read_text().splitlines()
    except OSError:
        pytest.skip(f"no {path} here")


def _in_order(names: list[str], real: list[str]) -> bool:
    """Do `names` appear in `real` in the same relative order?"""
    pos = [real.index(n) for n in names]
    return pos == sorted(pos)


def _name(line: str) -> str:
    return line.split(":", 1)[0]


def _shape(line: str) -> tuple[int, str] | None:
    """(column where the number ends, suffix) of a `Label:   123 kB` line; None when the number
    overflows its 8-column field (then the column tells nothing)."""
    m = re.fullmatch(r"([^:]+):(\s+)(\d+)( kB)?", line)
    assert m is not None, f"not a Label: value line: {line!r}"
    if len(m.group(3)) > 8:
        return None
    return len(line) - len(m.group(4) or ""), m.group(4) or ""


def _smaps_blocks(text: str) -> list[dict[str, str]]:
    """smaps text as one dict per VMA: field name -> the whole line; "" -> the maps line."""
    blocks: list[dict[str, str]] = []
    for line in text.splitlines():
        if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):
            blocks.append({"": line})
        else:
            blocks[-1][_name(line)] = line
    return blocks


def _kb(line: str) -> int:
    return int(line.split()[-2])


def _smap(m: Machine, task: Task, start: int) -> dict[str, int]:
    """The kB numbers of the smaps block of the VMA that starts at `start`."""
    for b in _smaps_blocks(task_mmu.smaps_text(m, task)):
        if int(b[""].split("-")[0], 16) == start:
            return {k: _kb(v) for k, v in b.items() if v.endswith(" kB")}
    raise AssertionError(f"no VMA at {start:#x}")


def _addr(runner: Runner, name: str) -> int:
    return int(runner.machine.names[name])


def _swap_out(m: Machine, task: Task, addr: int) -> int:
    """What shrink_page_list() + try_to_unmap() do to one private anonymous page: its contents
    go to a swap slot and its PTE becomes the swap entry (set up by hand so these tests do not
    depend on the reclaim policy)."""
    mm = task.mm
    assert mm.pgd is not None
    table = m.pt.pte_table(mm.pgd, addr, False)
    assert table is not None
    idx = m.pt.index(m.layout.levels - 1, addr)
    page = m.mem.pages[pte_pfn(table.entries[idx])]
    assert page.mapcount == 1
    entry = m.swap.get_swap_page()
    assert entry is not None
    m.swap.write(entry, page.value)
    m.swap.duplicate(entry)  # the PTE's reference
    m.swap.drop_cache_ref(entry)  # written out: the swap cache lets go
    table.entries[idx] = entry
    page.mapcount = 0
    page_alloc.free_page(m, page)
    mm.rss_anon -= 1
    mm.rss_swap += 1
    tlb.flush_tlb_page(m, mm, addr)
    return entry


# ---------------------------------------------------------------------------------- smaps
class TestSmaps:
    """/proc/PID/smaps: show_smap() of 5.4, computed from the page tables."""

    def test_fields_in_the_real_kernels_order_and_shape(self):
        real_lines = _real("self/smaps")
        real_block = _smaps_blocks("\n".join(real_lines))[0]
        m = new_machine()
        block = _smaps_blocks(task_mmu.smaps_text(m, m.current))[0]
        names = [k for k in block if k]
        real_names = [k for k in real_block if k]
        assert set(names) <= set(real_names), set(names) - set(real_names)
        assert _in_order(names, real_names)
        for name in names:
            if name in ("FilePmdMapped", "THPeligible", "VmFlags"):
                continue  # 5.4's own forms, checked below
            assert _shape(block[name]) == _shape(real_block[name]), name

    def test_the_5_4_quirks(self):
        """5.4 printed FilePmdMapped one column short and THPeligible with tabs (both fixed
        in 5.6); VmFlags ends with a space after each flag."""
        m = new_machine()
        block = _smaps_blocks(task_mmu.smaps_text(m, m.current))[0]
        assert block["FilePmdMapped"] == "FilePmdMapped:        0 kB"
        assert block["THPeligible"] == "THPeligible:\t\t0"
        assert block["VmFlags"] == "VmFlags: rd mr mw me dw "
        assert block["Private_Hugetlb"] == "Private_Hugetlb:       0 kB"

    def test_one_block_per_vma_headed_by_its_maps_line(self):
        r = run_checked("a = mmap 1M rw private,anon; write a 8K")
        m = r.machine
        blocks = _smaps_blocks(task_mmu.smaps_text(m, m.current))
        assert [b[""] for b in blocks] == procfs.maps_lines(m, m.current)
        assert blocks[-1]["VmFlags"] == "VmFlags: ex "  # the [vsyscall] gate VMA
        assert all(len(b) == 23 for b in blocks)  # header + 22 fields

    def test_rss_is_the_pages_touched(self):
        r = run_checked("a = mmap 1M rw private,anon; write a 64K = 5; read a+512K 32K")
        m = r.machine
        s = _smap(m, m.current, _addr(r, "a"))
        assert s["Size"] == 1024
        # the 8 pages only read map the shared zero page, which vm_normal_page() skips
        assert s["Rss"] == s["Pss"] == s["Private_Dirty"] == s["Anonymous"] == 64
        assert s["Referenced"] == 64
        assert s["Shared_Clean"] == s["Shared_Dirty"] == s["Private_Clean"] == 0
        assert s["Swap"] == s["Locked"] == 0

    def test_pss_halves_after_fork_and_cow_makes_pages_private(self):
        r = run_checked("a = mmap 1M rw private,anon; write a 64K = 5; b = fork")
        m = r.machine
        a = _addr(r, "a")
        child = m.task_of(r.machine.names["b"])
        for task in (m.current, child):
            s = _smap(m, task, a)
            assert (s["Rss"], s["Pss"], s["Shared_Dirty"], s["Private_Dirty"]) == (64, 32, 64, 0)
        r2 = Runner(from_commands("switch b; write a 16K = 7"))
        r2.machine = m
        for _ in r2:
            check_invariants(m)
        s = _smap(m, child, a)
        # 16K copied on write: private; the other 48K still shared with the parent
        assert (s["Rss"], s["Private_Dirty"], s["Shared_Dirty"], s["Pss"]) == (64, 16, 48, 40)
        p = _smap(m, m.task_of(1), a)
        assert (p["Private_Dirty"], p["Shared_Dirty"], p["Pss"]) == (16, 48, 40)

    def test_swap_and_swappss(self):
        r = run_checked("a = mmap 1M rw private,anon; write a 64K = 5")
        m = r.machine
        a = _addr(r, "a")
        for off in (0, 4096, 8192):
            _swap_out(m, m.current, a + off)
        check_invariants(m)
        s = _smap(m, m.current, a)
        assert (s["Rss"], s["Swap"], s["SwapPss"]) == (52, 12, 12)
        r2 = Runner(from_commands("b = fork; read a"))
        r2.machine = m
        recs = list(r2)
        check_invariants(m)
        assert recs[1].result.value == 5, "the swapped page reads back its value"
        child = m.task_of(m.names["b"])
        s = _smap(m, m.current, a)
        # the parent read one page back; two swap entries are shared with the child
        assert s["Swap"] == 8 and s["SwapPss"] == 4
        c = _smap(m, child, a)
        # the entry the parent read back is the child's alone now: 4 + 2 + 2
        assert c["Swap"] == 12 and c["SwapPss"] == 8
        assert task_mmu.smaps_text(m, m.current) != task_mmu.smaps_text(m, child)

    def test_reclaim_moves_rss_to_swap(self):
        """Writing more than RAM: kswapd swaps pages out; each page is counted once, as Rss
        or as Swap, and meminfo, swaps and smaps agree on how much swap is used."""
        pytest.importorskip("vmtui.engine.mm.kswapd", reason="needs the engine's page reclaim")
        r = run_checked("a = mmap 20M rw private,anon; write a 20M = 3", ram="16M", swap="16M")
        m = r.machine
        mm = m.current.mm
        s = _smap(m, m.current, _addr(r, "a"))
        assert s["Swap"] > 0 and s["Swap"] == s["SwapPss"]
        assert s["Rss"] + s["Swap"] == s["Size"] == 20 << 10
        assert s["Rss"] == s["Anonymous"]
        # summed over the VMAs, smaps agrees with MM_SWAPENTS (VmSwap in status)
        total = sum(_kb(b["Swap"]) for b in _smaps_blocks(task_mmu.smaps_text(m, m.current)))
        assert total == mm.rss_swap * 4 >= s["Swap"]
        info = {_name(x): x for x in meminfo.meminfo_text(m, m.current).splitlines()}
        used = _kb(info["SwapTotal"]) - _kb(info["SwapFree"])
        assert teaching.swaps_text(m, m.current).splitlines()[1].split("\t")[2] == str(used)
        assert used >= s["Swap"]
        assert _kb(info["SwapCached"]) == len(m.swap.cache) * 4

    def test_locked_pages(self):
        r = run_checked("a = mmap 64K rw private,anon; mlock a 64K")
        m = r.machine
        s = _smap(m, m.current, _addr(r, "a"))
        assert s["Rss"] == s["Locked"] == 64
        block = next(b for b in _smaps_blocks(task_mmu.smaps_text(m, m.current))
                     if int(b[""].split("-")[0], 16) == _addr(r, "a"))
        assert " lo " in block["VmFlags"]
        assert " lf " not in block["VmFlags"], "5.4 has no mnemonic for VM_LOCKONFAULT"


# -------------------------------------------------------------------------------- meminfo
class TestMeminfo:
    """/proc/meminfo: meminfo_proc_show() of 5.4."""

    def test_fields_in_the_real_kernels_order_and_shape(self):
        real = _real("meminfo")
        real_by = {_name(line): line for line in real}
        m = new_machine()
        lines = meminfo.meminfo_text(m, m.current).splitlines()
        names = [_name(line) for line in lines]
        # CONFIG_MEMORY_FAILURE prints HardwareCorrupted; not every kernel has it
        common = [n for n in names if n in real_by]
        assert set(names) - set(common) <= {"HardwareCorrupted", "DirectMap1G"}
        assert len(common) >= len(names) - 2
        assert _in_order(common, [_name(line) for line in real])
        for line in lines:
            if _name(line) in real_by:
                want, got = _shape(real_by[_name(line)]), _shape(line)
                if want is not None and got is not None:
                    assert got == want, line
        assert "HardwareCorrupted:     0 kB" in lines

    def test_memtotal_is_managed_pages_and_memfree_the_buddy_free_pages(self):
        m = new_machine(MachineConfig.from_dict({"ram": "256M"}))
        info = {_name(x): _kb(x) for x in meminfo.meminfo_text(m, m.current).splitlines()
                if x.endswith(" kB")}
        managed = sum(z.managed for z in m.mem.zones)
        assert info["MemTotal"] == managed << (PAGE_SHIFT - 10)
        assert managed < 256 << 8, "the kernel image and memmap are not managed"
        assert info["MemFree"] == sum(z.nr_free for z in m.mem.zones) * 4

    def test_anon_pagetables_committed_and_available(self):
        r = run_checked("a = mmap 1M rw private,anon; write a 256K")
        m = r.machine
        info = {_name(x): _kb(x) for x in meminfo.meminfo_text(m, m.current).splitlines()
                if x.endswith(" kB")}
        assert info["AnonPages"] == m.current.mm.rss_anon * 4
        # the anon LRU lists lag AnonPages by the pages still in CPU 0's lru_add_pvec
        # (5.4 mm/swap.c, PAGEVEC_SIZE 15): 64 pages written = 4 * 15 + 4, so 4 wait
        assert info["Active(anon)"] + info["Inactive(anon)"] == info["AnonPages"] - 4 * 4
        assert info["AnonPages"] >= 256
        tables = sum(1 for p in m.mem.pages.values() if p.flags & PG_pgtable)
        assert info["PageTables"] == tables * 4
        assert info["Committed_AS"] == m.committed_as * 4
        # no page cache: MemAvailable is what is free above the reserves
        reserve = sum(min(max(z.lowmem_reserve[z.idx:]) + z.high_wmark(), z.managed)
                      for z in m.mem.zones)
        assert info["MemAvailable"] == info["MemFree"] - reserve * 4
        before = info["Committed_AS"]
        r2 = Runner(from_commands("b = mmap 1M rw private,anon"))
        r2.machine = m
        list(r2)
        after = {_name(x): _kb(x) for x in meminfo.meminfo_text(m, m.current).splitlines()
                 if x.endswith(" kB")}
        assert after["Committed_AS"] - before == 1024

    def test_swap_total_and_free(self):
        r = run_checked("a = mmap 64K rw private,anon; write a 64K", swap="128M")
        m = r.machine

        def swap() -> tuple[int, int]:
            info = {_name(x): x for x in meminfo.meminfo_text(m, m.current).splitlines()}
            return _kb(info["SwapTotal"]), _kb(info["SwapFree"])

        assert swap() == (131068, 131068)  # 32768 slots less the header page
        _swap_out(m, m.current, _addr(r, "a"))
        assert swap() == (131068, 131064)
        m.swap.enabled = False
        assert swap() == (0, 0)


# --------------------------------------------------------------------------------- vmstat
# 5.4 -> 6.x: workingset_{refault,activate,restore} split into _anon/_file (5.9); nr_bounce
# and nr_writeback_temp gone; nr_page_table_pages and nr_kernel_stack moved from zone to node
# counters (5.11); nr_unstable kept only as a deprecated last line (5.9).
GONE_SINCE_5_4 = {"nr_bounce", "workingset_refault", "workingset_activate",
                  "workingset_restore", "nr_writeback_temp"}
MOVED_SINCE_5_4 = {"nr_page_table_pages", "nr_kernel_stack", "nr_unstable"}
CONFIG_DEPENDENT = re.compile(r"numa_|nr_zspages|thp_|balloon_|compact_|htlb_|pgmigrate_|"
                              r"swap_ra|zone_reclaim_failed|nr_free_cma")


class TestVmstat:
    """/proc/vmstat: vmstat_text[] of 5.4, counters recounted from the frames."""

    def test_names_in_the_real_kernels_order(self):
        real = [line.split()[0] for line in _real("vmstat")]
        m = new_machine()
        names = [line.split()[0] for line in vmstat.vmstat_text(m, m.current).splitlines()]
        assert len(names) == len(set(names)), "a counter printed twice"
        missing = {n for n in names if n not in real}
        assert {n for n in missing if not CONFIG_DEPENDENT.match(n)} <= GONE_SINCE_5_4
        common = [n for n in names if n in real and n not in MOVED_SINCE_5_4]
        assert len(common) > 100
        assert _in_order(common, real)

    def test_format_and_the_5_4_layout(self):
        m = new_machine()
        lines = vmstat.vmstat_text(m, m.current).splitlines()
        assert all(re.fullmatch(r"[a-z0-9_]+ \d+", x) for x in lines)
        names = [x.split()[0] for x in lines]
        assert names[:3] == ["nr_free_pages", "nr_zone_inactive_anon", "nr_zone_active_anon"]
        # zone counters, then NUMA, then node counters, then writeback, then events
        assert names.index("nr_free_cma") < names.index("numa_hit") < \
            names.index("nr_inactive_anon") < names.index("nr_dirty_threshold") < \
            names.index("pgpgin")
        assert "nr_swapcached" not in names  # 5.14

    def test_values_follow_the_machine(self):
        r = run_checked("a = mmap 1M rw private,anon; write a 128K")
        m = r.machine
        v = {x.split()[0]: int(x.split()[1]) for x in vmstat.vmstat_text(m, m.current).splitlines()}
        assert v["nr_free_pages"] == sum(z.nr_free for z in m.mem.zones)
        assert v["pgfault"] == m.vmstat["pgfault"] >= 32
        assert v["nr_anon_pages"] == m.current.mm.rss_anon
        assert v["nr_active_anon"] == v["nr_zone_active_anon"] == \
            len(m.mem.nodes[0].lru.lists[1])
        assert v["nr_page_table_pages"] == sum(1 for p in m.mem.pages.values()
                                               if p.flags & PG_pgtable)
        assert v["nr_dirty_background_threshold"] * 2 <= v["nr_dirty_threshold"] + 1


# ------------------------------------------------------------------------- buddy, zones
class TestBuddyinfoZoneinfo:
    def test_buddyinfo_totals_are_the_zones_free_pages(self):
        r = run_checked("a = mmap 1M rw private,anon; write a 1M; munmap a+4K 4K")
        m = r.machine
        lines = vmstat.buddyinfo_text(m, m.current).splitlines()
        zones = [z for z in m.mem.zones if z.present]
        assert len(lines) == len(zones)
        for line, zone in zip(lines, zones, strict=True):
            assert line.startswith(f"Node {zone.node.id}, zone {zone.name:>8}")
            counts = [int(x) for x in line[22:].split()]
            assert len(counts) == 11
            assert sum(c << o for o, c in enumerate(counts)) == zone.nr_free
            assert re.fullmatch(r"Node \d+, zone +\w+ (( *\d+) ){11}", line)
            assert len(line) == 22 + 11 * 7

    def test_buddyinfo_shape_matches_the_real_kernel(self):
        real = _real("buddyinfo")
        m = new_machine()
        ours = vmstat.buddyinfo_text(m, m.current).splitlines()
        # the same columns: "Node %d, zone %8s " then "%6lu " per order (11 orders)
        fitting = [x for x in real if len(x.split()) == 15 and
                   all(len(n) <= 6 for n in x.split()[4:])]
        assert fitting, "no real line to compare with"
        for x in fitting:
            assert len(x) == len(ours[0]) == 22 + 11 * 7
            assert x[:22] == ours[0][:13] + x[13:21] + " "

    def test_zoneinfo_blocks(self):
        m = new_machine(MachineConfig.from_dict({"ram": "256M"}))
        text = vmstat.zoneinfo_text(m, m.current)
        blocks = re.split(r"(?m)^(?=Node )", text)[1:]
        assert len(blocks) == len(m.mem.zones)
        assert text.count("per-node stats") == len(m.mem.nodes)
        for block, zone in zip(blocks, m.mem.zones, strict=True):
            assert block.startswith(f"Node {zone.node.id}, zone {zone.name:>8}\n")
            assert f"\n  pages free     {zone.nr_free}\n" in block
            assert f"\n        min      {zone.min_wmark()}\n" in block
            assert f"\n        managed  {zone.managed}\n" in block
            if zone.present:
                assert block.endswith(f"\n  start_pfn:           {zone.start_pfn}\n")
                assert f"\n      nr_free_pages {zone.nr_free}\n" in block
            else:
                # an empty zone stops after its protection line, as the kernel does
                assert block.splitlines()[-1].startswith("        protection: (")
        assert "boost" not in text and "cma      " not in text  # not in 5.4

    def test_zoneinfo_lines_in_the_real_kernels_order(self):
        real = _real("zoneinfo")
        m = new_machine()
        ours = vmstat.zoneinfo_text(m, m.current).splitlines()

        def keys(lines: list[str]) -> list[str]:
            """The first zone's line labels, indentation kept, numbers dropped."""
            out = []
            for x in lines[1:]:
                if x.startswith("Node "):
                    break
                out.append(re.sub(r"[\d, ()]+$", "", x).rstrip(": "))
            return out

        mine = keys(ours)
        theirs = keys(real)
        # each label once (the pagesets repeat per CPU); the moved counters left out
        common = [k for k in dict.fromkeys(mine)
                  if k in theirs and k.strip() not in MOVED_SINCE_5_4]
        assert "        protection" in common and "  pagesets" in common
        assert _in_order(common, theirs)


# ------------------------------------------------------------------------ numactl, swaps
class TestNumactlSwaps:
    def test_numactl_hardware_on_two_nodes(self):
        runner = Runner(from_commands("show numa", {"nodes": 2, "ram": "512M"}))
        rec = runner.step()
        m = runner.machine
        sizes = [sum(z.managed for z in n.zones) >> (20 - PAGE_SHIFT) for n in m.mem.nodes]
        free = [n.free_pages() >> (20 - PAGE_SHIFT) for n in m.mem.nodes]
        assert rec.result.text == (
            "available: 2 nodes (0-1)\n"
            "node 0 cpus: 0 1\n"
            f"node 0 size: {sizes[0]} MB\n"
            f"node 0 free: {free[0]} MB\n"
            "node 1 cpus: 2 3\n"
            f"node 1 size: {sizes[1]} MB\n"
            f"node 1 free: {free[1]} MB\n"
            "node distances:\n"
            "node   0   1 \n"
            "  0:  10  20 \n"
            "  1:  20  10 \n")
        assert 240 <= sizes[1] <= 256 and sizes[0] < sizes[1], "node 0 holds the kernel"

    @pytest.mark.parametrize(("ids", "want"), [
        ([0], "0"), ([0, 1, 2, 3], "0-3"), ([0, 2], "0,2"), ([0, 1, 3], "0-1,3"),
        ([0, 2, 3], "0,2-3"), ([0, 1, 2, 4, 5], "0-2,4-5")])
    def test_numactl_node_ranges(self, ids, want):
        assert task_mmu.node_list(ids) == want

    def test_swaps(self):
        r = run_checked("a = mmap 64K rw private,anon; write a 64K")
        m = r.machine
        head = "Filename\t\t\t\tType\t\tSize\tUsed\tPriority"  # 5.4; 5.8 doubled the tabs
        pad = " " * (40 - len("/dev/vda2"))
        assert teaching.swaps_text(m, m.current) == \
            f"{head}\n/dev/vda2{pad}partition\t131068\t0\t-2\n"
        _swap_out(m, m.current, _addr(r, "a"))
        assert teaching.swaps_text(m, m.current).splitlines()[1].endswith("\t131068\t4\t-2")
        m.swap.enabled = False
        assert teaching.swaps_text(m, m.current) == head + "\n"


# --------------------------------------------------------------------------------- status
def test_status_fields_in_the_real_kernels_order_and_shape():
    real = _real("self/status")
    real_by = {_name(x): x for x in real}
    m = new_machine()
    lines = procfs.status_text(m, m.current).splitlines()
    names = [_name(x) for x in lines]
    assert set(names) <= set(real_by), set(names) - set(real_by)
    assert _in_order(names, [_name(x) for x in real])
    for x in lines:
        assert re.fullmatch(r"[A-Za-z_]+:\t.*", x), x
        if x.endswith(" kB"):
            assert len(x.split("\t", 1)[1]) == len(real_by[_name(x)].split("\t", 1)[1]), x


# ------------------------------------------------------------------------- teaching views
class TestTeachingViews:
    def test_every_show_works_on_every_arch(self):
        for arch in ("x86_64", "x86_64-5level", "i386"):
            cmds = "a = mmap 64K rw private,anon; write a 16K; " + \
                "; ".join(f"show {w}" for w in SHOW_WHAT)
            runner = run_checked(cmds, arch=arch)
            assert runner.done == len(SHOW_WHAT) + 2

    def test_show_runs_each_view(self):
        runner = Runner(from_commands("; ".join(f"show {w}" for w in SHOW_WHAT)))
        for what, rec in zip(SHOW_WHAT, runner, strict=True):
            assert rec.result.ok, what
            assert rec.result.text and rec.result.text.endswith("\n"), what

    def test_pagetable_counts_present_ptes(self):
        r = run_checked("a = mmap 1M rw private,anon addr=0x7f0000000000; write a 40K")
        m = r.machine
        text = teaching.pagetable_text(m, m.current)
        assert re.search(r"(?m)^ +\[  0\] 00007f0000000000-00007f0000200000 PTE frame "
                         r"0x[0-9a-f]+: 10 present$", text), text
        tables = m.pt.tables(m.current.mm.pgd)
        assert f"{len(tables)} user table(s)" in text
        _swap_out(m, m.current, _addr(r, "a"))
        assert "9 present, 1 swap" in teaching.pagetable_text(m, m.current)

    def test_tlb_and_lru(self):
        r = run_checked("a = mmap 64K rw private,anon; write a 64K; read a")
        m = r.machine
        tlb = teaching.tlb_text(m, m.current)
        st = m.tlb_stats
        assert tlb.startswith(f"TLB: {len(m.tlb)} of {m.config.tlb_entries} entries; "
                              f"hits {st['hits']}, misses {st['misses']}")
        assert f"{_addr(r, 'a'):016x} -> " in tlb
        lru = teaching.lru_text(m, m.current)
        active = len(m.mem.nodes[0].lru.lists[1])
        assert re.search(rf"\n  active_anon +{active} ", lru)
        assert "kswapd0: sleeping" in lru

    def test_vmas_and_rbtree(self):
        r = run_checked("a = mmap 64K rw private,anon; b = mmap 64K r private,anon; "
                        "write a 4K")
        m = r.machine
        mm = m.current.mm
        text = teaching.vmas_text(m, m.current)
        assert text.count("\n  vm_start ") == mm.map_count
        for vma in mm.vmas:
            assert f"  vm_start       {vma.vm_start:#x}\n" in text
            assert f"  rb_subtree_gap {vma.rb_subtree_gap:#x} " in text
        a = mm.find_vma(_addr(r, "a"))
        assert a is not None and a.anon_vma is not None
        assert f"  anon_vma       #{a.anon_vma.id} " in text
        tree = teaching.rbtree_text(m, m.current)
        drawn = [x for x in tree.splitlines() if re.search(r"[RB] [0-9a-f]+-[0-9a-f]+ gap", x)]
        assert len(drawn) == mm.map_count
        root = mm.vmas.rb.root
        assert root is not None
        assert f"\nB {root.vma.vm_start:x}-{root.vma.vm_end:x} gap {root.subtree_gap:#x}\n" \
            in tree
        levels = re.findall(r"depth \d+: (\d+) node", tree)
        assert sum(map(int, levels)) == mm.map_count

    def test_layout_mm_and_walk(self):
        r = run_checked("a = mmap 64K rw private,anon; write a 4K; walk a")
        m = r.machine
        mm = m.current.mm
        lay = teaching.layout_text(m, m.current)
        assert f"{mm.mmap_base:016x}  mmap_base" in lay
        assert "0000000000000000-00007fffffffefff  128 TiB - 4 kB  user" in lay
        mmt = teaching.mm_text(m, m.current)
        assert f"  map_count               {mm.map_count}\n" in mmt
        assert f"  pgtables_bytes          {mm.pgtables_bytes} " in mmt
        assert mm.pgd is not None
        a = _addr(r, "a")
        w = m.pt.walk(mm.pgd, a)
        walk = teaching.walk_text(m, w)
        split = " | ".join(f"{n} {i}" for n, i, _hi, _lo in m.layout.index_bits(a))
        assert f"  {a:#x} = {split} | offset 0x000\n" in walk
        assert w.pfn is not None and f"physical address {w.pfn << PAGE_SHIFT:#x}\n" in walk
        again = Runner(from_commands("walk a"))
        again.machine = m
        assert again.step().result.text == walk

    def test_big_tree_is_cut(self):
        cmds = "; ".join(f"m{i} = mmap 4K {'r' if i % 2 else 'rw'} private,anon"
                         for i in range(80))
        r = run_checked(cmds)
        m = r.machine
        tree = teaching.rbtree_text(m, m.current)
        assert "deeper subtrees drawn as ..." in tree
        assert len(tree.splitlines()) < 80
        assert teaching.vmas_text(m, m.current).count("\n  vm_start ") == teaching.VMAS_MAX
