"""The /proc and /sys parsers, on fixed sample texts and on this machine; `vmtui host`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from vmtui.cli import main
from vmtui.host import procfs, snapshot

# A two-node machine of the Linux 5.4 era (no boost/promo lines in zoneinfo).
ZONEINFO_54 = """\
Node 0, zone      DMA
  per-node stats
      nr_inactive_anon 1436
      nr_active_anon 384
      nr_file_pages 23892
  pages free     3977
        min      16
        low      20
        high     24
        spanned  4095
        present  3998
        managed  3977
        protection: (0, 2998, 7909, 7909, 7909)
      nr_free_pages 3977
      nr_zone_inactive_anon 0
      numa_hit     0
  pagesets
    cpu: 0
              count: 0
              high:  0
              batch: 1
  vm stats threshold: 4
  node_unreclaimable:  0
  start_pfn:           1
Node 0, zone    DMA32
  pages free     730016
        min      3213
        low      4016
        high     4819
        spanned  1044480
        present  782288
        managed  766694
        protection: (0, 0, 4910, 4910, 4910)
      nr_free_pages 730016
  pagesets
    cpu: 0
              count: 286
              high:  378
              batch: 63
  vm stats threshold: 24
  node_unreclaimable:  0
  start_pfn:           4096
Node 0, zone  Movable
  pages free     0
        min      0
        low      0
        high     0
        spanned  0
        present  0
        managed  0
        protection: (0, 0, 0, 0, 0)
Node 1, zone   Normal
  per-node stats
      nr_inactive_anon 77
      nr_file_pages 5000
  pages free     1002003
        min      5262
        low      6577
        high     7892
        spanned  1048576
        present  1048576
        managed  1027563
        protection: (0, 0, 0, 0, 0)
      nr_free_pages 1002003
      numa_hit     12345
  pagesets
    cpu: 0
              count: 10
              high:  378
              batch: 63
  vm stats threshold: 32
  node_unreclaimable:  0
  start_pfn:           1048576
"""

# A 6.x kernel adds boost, promo and cma lines.
ZONEINFO_6 = """\
Node 0, zone   Normal
  per-node stats
      nr_inactive_anon 1436
  pages free     174290
        boost    0
        min      3851
        low      4813
        high     5775
        promo    6737
        spanned  5505024
        present  5505024
        managed  229376
        cma      0
        protection: (0, 0, 0, 0, 0)
      nr_free_pages 174290
      nr_free_pages_blocks 122368
  pagesets
    cpu: 0
              count:    3324
              high:     4514
              batch:    63
              high_min: 2406
              high_max: 14336
  vm stats threshold: 16
  node_unreclaimable:  0
  start_pfn:           1048576
"""

BUDDYINFO = """\
Node 0, zone      DMA      1      1      0      0      2      1      1      0      1      1      3 
Node 0, zone    DMA32      6      4      5      3      5      4      5      3      4      3    710 
Node 1, zone   Normal    452    381    240    107     37     15      5      2      1      0      0 
"""

SWAPS = """\
Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/dev/sda2                               partition\t8388604\t\t1024\t\t-2
/swap\\040file                           file\t\t1048572\t\t0\t\t10
"""

STAT = (
    "1234 (my (odd) prog) S 1 1234 1234 0 -1 4194560 2500 100 3 1 40 7 0 0 20 0 2 0 "
    "98765 17530880 3639 18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 0 17 1 0 0 "
    "0 0 0 0 0 0 0 0 0 0 0"
)

SMAPS = """\
55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]
Size:                132 kB
KernelPageSize:        4 kB
Rss:                  12 kB
Pss:                  12 kB
Anonymous:            12 kB
Swap:                  4 kB
Locked:                0 kB
THPeligible:           0
VmFlags: rd wr mr mw me ac
7f00aa000000-7f00aa002000 r--s 00001000 fe:00 77                         /tmp/a file (deleted)
Size:                  8 kB
Rss:                   8 kB
Anonymous:             0 kB
VmFlags: rd sh mr mw me ms
7f00ab000000-7f00ab001000 rw-p 00000000 00:00 0 
Size:                  4 kB
Rss:                   0 kB
VmFlags: rd wr mr mw me ac
"""

NODE_MEMINFO = """\
Node 1 MemTotal:        4024532 kB
Node 1 MemFree:         3804188 kB
Node 1 HugePages_Total:     0
"""


class TestSampleTexts:
    """Parsers on fixed texts, so the formats of other kernels are covered too."""

    def test_zoneinfo_54(self):
        zones = procfs.parse_zoneinfo(ZONEINFO_54)
        assert [(z.node, z.name) for z in zones] == [
            (0, "DMA"),
            (0, "DMA32"),
            (0, "Movable"),
            (1, "Normal"),
        ]
        dma, dma32, movable, normal = zones
        assert (dma.free, dma.min, dma.low, dma.high, dma.managed) == (3977, 16, 20, 24, 3977)
        assert dma.protection == (0, 2998, 7909, 7909, 7909)
        assert dma.node_stats == {
            "nr_inactive_anon": 1436,
            "nr_active_anon": 384,
            "nr_file_pages": 23892,
        }
        assert dma.stats["nr_free_pages"] == 3977 and dma.start_pfn == 1
        assert dma.promo is None
        assert dma32.node_stats == {} and dma32.start_pfn == 4096 and dma32.low == 4016
        assert not movable.populated and movable.start_pfn is None
        assert normal.node_stats["nr_file_pages"] == 5000
        assert (normal.min, normal.low, normal.high) == (5262, 6577, 7892)
        assert normal.stats["numa_hit"] == 12345

    def test_zoneinfo_6(self):
        (z,) = procfs.parse_zoneinfo(ZONEINFO_6)
        assert (z.boost, z.promo, z.cma, z.managed) == (0, 6737, 0, 229376)
        assert "count" not in z.stats and "high_min" not in z.stats
        assert z.stats == {"nr_free_pages": 174290, "nr_free_pages_blocks": 122368}

    def test_buddyinfo(self):
        b = procfs.parse_buddyinfo(BUDDYINFO)
        assert [(x.node, x.zone) for x in b] == [(0, "DMA"), (0, "DMA32"), (1, "Normal")]
        assert b[0].free == (1, 1, 0, 0, 2, 1, 1, 0, 1, 1, 3)
        assert b[0].free_pages == 1 + 2 + 32 + 32 + 64 + 256 + 512 + 3 * 1024
        assert len(b[2].free) == 11

    def test_swaps(self):
        s = procfs.parse_swaps(SWAPS)
        assert [a.filename for a in s] == ["/dev/sda2", "/swap file"]
        assert (s[0].type, s[0].size_kb, s[0].used_kb, s[0].priority) == (
            "partition",
            8388604,
            1024,
            -2,
        )
        assert s[1].priority == 10
        assert procfs.parse_swaps(SWAPS.splitlines()[0] + "\n") == []

    def test_stat_with_parens_in_comm(self):
        st = procfs.parse_stat(STAT)
        assert (st.pid, st.comm, st.state, st.ppid) == (1234, "my (odd) prog", "S", 1)
        assert (st.minflt, st.cminflt, st.majflt, st.cmajflt) == (2500, 100, 3, 1)
        assert (st.utime, st.stime, st.num_threads) == (40, 7, 2)
        assert st.vsize == 17530880 and st.rss_pages == 3639 and st.processor == 1

    def test_smaps(self):
        heap, f, anon = procfs.parse_smaps(SMAPS)
        assert (heap.start, heap.end, heap.perms, heap.path) == (
            0x55D0C0A00000,
            0x55D0C0A21000,
            "rw-p",
            "[heap]",
        )
        assert heap.kb("Rss") == 12 and heap.kb("Swap") == 4 and heap.kb("THPeligible") == 0
        assert heap.vm_flags == ("rd", "wr", "mr", "mw", "me", "ac")
        assert heap.line.startswith("55d0c0a00000-55d0c0a21000 rw-p") and heap.line.endswith(
            "[heap]"
        )
        assert (f.offset, f.dev, f.inode, f.path) == (0x1000, "fe:00", 77, "/tmp/a file (deleted)")
        assert anon.path == "" and anon.kb("Size") == 4 and anon.kb("Swap") == 0
        assert [v.line for v in procfs.parse_maps(SMAPS)] == [heap.line, f.line, anon.line]

    def test_status(self):
        st = procfs.parse_status(
            "Name:\tcat\nState:\tR (running)\nPid:\t7\nPPid:\t1\nVmRSS:\t    1732 kB\n"
            "RssAnon:\t     108 kB\nRssFile:\t    1624 kB\nRssShmem:\t       0 kB\n"
            "VmSize:\t 3060 kB\nVmSwap:\t      12 kB\nThreads:\t1\n"
        )
        assert (st.name, st.pid, st.ppid, st.threads) == ("cat", 7, 1, 1)
        figures = (st.vm_rss_kb, st.rss_anon_kb, st.rss_file_kb, st.vm_swap_kb)
        assert figures == (1732, 108, 1624, 12)
        assert not st.is_kernel_thread and not st.is_zombie
        kthread = procfs.parse_status("Name:\tkswapd0\nState:\tS (sleeping)\nPid:\t45\n")
        assert kthread.is_kernel_thread and kthread.vm_rss_kb == 0

    def test_pagemap_entry_bits(self):
        present = (1 << 63) | (1 << 61) | (1 << 56) | 0x1234
        swapped = (1 << 62) | (1 << 55) | (777 << 5) | 3
        e = procfs.PageEntry.decode(0x1000, present)
        assert e.present and e.file_shared and e.exclusive and not e.swapped
        assert e.pfn == 0x1234 and not e.soft_dirty
        s = procfs.PageEntry.decode(0x2000, swapped)
        assert s.swapped and s.soft_dirty and not s.present
        assert (s.swap_type, s.swap_offset, s.pfn) == (3, 777, 0)
        data = b"".join(x.to_bytes(8, "little") for x in (present, 0, swapped, 1 << 63))
        pm = procfs.parse_pagemap(1, 0x10000, 0x10000 + 4 * procfs.PAGE_SIZE, data)
        assert (pm.present, pm.swapped, pm.truncated, pm.pfns_hidden) == (2, 1, False, False)

    def test_meminfo_node_prefix(self):
        m = procfs.parse_meminfo(NODE_MEMINFO)
        assert m.fields == {"MemTotal": 4024532, "MemFree": 3804188, "HugePages_Total": 0}

    def test_cpulist(self):
        assert procfs.parse_cpulist("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11]
        assert procfs.parse_cpulist("\n") == []

    def test_numactl_hardware_format(self):
        nodes = [
            procfs.NumaNode(
                0, [0, 1, 2, 3], [10, 21], procfs.MemInfo({"MemTotal": 8 << 20, "MemFree": 6 << 20})
            ),
            procfs.NumaNode(
                1, [4, 5, 6, 7], [21, 10], procfs.MemInfo({"MemTotal": 8 << 20, "MemFree": 7 << 20})
            ),
        ]
        assert procfs.format_numactl_hardware(nodes) == (
            "available: 2 nodes (0-1)\n"
            "node 0 cpus: 0 1 2 3\n"
            "node 0 size: 8192 MB\n"
            "node 0 free: 6144 MB\n"
            "node 1 cpus: 4 5 6 7\n"
            "node 1 size: 8192 MB\n"
            "node 1 free: 7168 MB\n"
            "node distances:\n"
            "node   0   1 \n"
            "  0:  10  21 \n"
            "  1:  21  10 \n"
        )


class TestThisMachine:
    """The same parsers on the real /proc and /sys of the machine running the tests."""

    def test_zoneinfo_and_buddyinfo_agree(self):
        zones = procfs.read_zoneinfo()
        assert zones and any(z.populated for z in zones)
        for z in zones:
            if z.populated:
                assert 0 <= z.min <= z.low <= z.high
                assert z.managed <= z.present <= z.spanned
        buddy = procfs.read_buddyinfo()
        names = {(z.node, z.name) for z in zones}
        assert buddy and all((b.node, b.zone) in names for b in buddy)

    def test_meminfo_vmstat(self):
        m = procfs.read_meminfo()
        assert m.kb("MemTotal") > 0 and m.kb("MemFree") <= m.kb("MemTotal")
        v = procfs.read_vmstat()
        assert v.get("pgfault") > 0 and "pswpin" in v.counters

    def test_numa_nodes(self):
        nodes = procfs.read_numa_nodes()
        assert nodes and nodes[0].mem_total_kb > 0
        assert sum(len(n.cpus) for n in nodes) >= 1
        for n in nodes:
            assert len(n.distances) == len(nodes)
        assert procfs.format_numactl_hardware(nodes).startswith(f"available: {len(nodes)} nodes")

    def test_swaps(self):
        for s in procfs.read_swaps():
            assert s.size_kb >= s.used_kb >= 0

    def test_kswapd(self):
        threads = procfs.read_kswapd_threads()
        nodes = procfs.read_numa_nodes()
        # One kswapd per node with memory; a container may hide them, never invent them.
        assert len(threads) <= len(nodes) or all(t.name.startswith("kswapd") for t in threads)
        for t in threads:
            assert t.name.startswith("kswapd") and t.cpu_seconds >= 0

    def test_own_process(self):
        pid = os.getpid()
        st = procfs.read_status(pid)
        assert st.pid == pid and st.vm_rss_kb > 0
        stat = procfs.read_stat(pid)
        assert stat.pid == pid and stat.minflt > 0
        vmas = procfs.read_smaps(pid)
        assert any(v.path == "[stack]" for v in vmas)
        assert all(v.kb("Size") * 1024 == v.size for v in vmas if v.path != "[vsyscall]")
        with open(f"/proc/{pid}/maps") as f:
            assert [v.line for v in procfs.read_maps(pid)] == f.read().splitlines()

    def test_host_never_imports_textual(self):
        code = (
            "import sys, vmtui.host.procfs, vmtui.host.snapshot, vmtui.commands.attach, "
            "vmtui.commands.host; "
            "sys.exit(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))"
        )
        assert subprocess.run([sys.executable, "-c", code]).returncode == 0


class TestHostCommand:
    """`vmtui host --once [--json]`."""

    def test_json(self, capsys):
        assert main(["host", "--once", "--json", "--interval", "0.05"]) == 0
        out = capsys.readouterr().out
        assert out.count("\n") == 1
        data = json.loads(out)
        assert data["nodes"] and data["nodes"][0]["size_mb"] > 0
        assert data["nodes"][0]["distances"][str(data["nodes"][0]["id"])] == 10
        assert any(z["populated"] and z["high"] >= z["low"] >= z["min"] for z in data["zones"])
        assert data["buddyinfo"] and isinstance(data["swaps"], list)
        assert "pgfault" in data["vmstat_rates"] and data["interval"] > 0
        assert data["numactl_hardware"].startswith("available:")
        for k in data["kswapd"]:
            assert k["cpu_percent"] is not None

    def test_text(self, capsys):
        assert main(["host", "--once", "--interval", "0.05"]) == 0
        out = capsys.readouterr().out
        assert "node distances:" in out and "# zones" in out and "# kswapd threads" in out
        assert "pgfault" in out

    def test_bad_interval(self, capsys):
        assert main(["host", "--once", "--interval", "-1"]) == 2
        assert "--interval" in capsys.readouterr().err


class TestHostApp:
    """The live host app mounts and fills its tables."""

    async def test_mounts(self):
        from textual.widgets import DataTable, Static

        from vmtui.ui.host_app import HostApp

        app = HostApp(interval=0.1, first=snapshot.take_host_snapshot())
        async with app.run_test(size=(140, 45)) as pilot:
            # a second sample fills the rates; on a loaded machine a sample can outlast the
            # 0.1 s interval and be replaced by the next one (exclusive), so wait for the
            # table rather than for one worker
            for _ in range(100):
                await pilot.pause(0.1)
                if app.query_one("#rates", DataTable).row_count:
                    break
            assert app.query_one("#zones", DataTable).row_count >= 1
            assert app.query_one("#buddy", DataTable).row_count >= 1
            assert app.query_one("#rates", DataTable).get_row_at(0)[0] == "pgfault"
            numa = str(app.query_one("#numa", Static).render())
            assert "node distances" in numa
            await pilot.press("q")
