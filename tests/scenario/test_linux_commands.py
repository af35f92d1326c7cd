"""The Linux commands of the lecture notes, typed as on a real machine (issue 18).

Layouts are compared with what the real tools printed on a Linux machine
(procps-ng 4.0.2 free/vmstat/pmap/ps/sysctl, numactl 2.0.16, util-linux
swapon, bash 5.2, kernel 6.18): the samples below are their output, copied
verbatim. Each layout check is first run on the real sample, so the check
itself is known to describe the real tool.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT, run_checked
from vmtui.cli import main
from vmtui.engine.check.invariants import check_invariants
from vmtui.scenario.execute import run_command
from vmtui.scenario.lang import ParseError, parse_command
from vmtui.scenario.loader import from_commands
from vmtui.scenario.runner import Runner

# ---------------------------------------------------------------- real tools' output
REAL_FREE_M = """\
               total        used        free      shared  buff/cache   available
Mem:           24105         407       22544           9        1443       23698
Swap:             63           0          63
"""
REAL_FREE_H = """\
               total        used        free      shared  buff/cache   available
Mem:            23Gi       407Mi        22Gi       9.5Mi       1.4Gi        23Gi
Swap:           63Mi          0B        63Mi
"""
REAL_VMSTAT = """\
procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----
 r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st
 1  0      0 230854  26944 145132    0    0   574   882  135  252 18  2 79  0  0
"""
REAL_PMAP_X = """\
8883:   sleep 30
Address           Kbytes     RSS   Dirty Mode  Mapping
000055a5d7501000       8       8       0 r---- sleep
000055a5f9c54000     132      16      16 rw---   [ anon ]
00007f10264f3000      28      28       0 r--s- gconv-modules.cache
00007ffd51b10000     132      48      48 rw---   [ stack ]
ffffffffff600000       4       0       0 --x--   [ anon ]
---------------- ------- ------- ------- 
total kB            5008    4108     984
"""
REAL_PMAP = """\
8883:   sleep 30
000055a5d7501000      8K r---- sleep
000055a5f9c54000    132K rw---   [ anon ]
00007f1026336000   1368K r-x-- libc.so.6
00007ffd51b10000    132K rw---   [ stack ]
ffffffffff600000      4K --x--   [ anon ]
 total             2924K
"""
REAL_SWAPON_SHOW = """\
NAME       TYPE SIZE USED PRIO
/tmp/h18sw file  64M   0B   -2
"""
REAL_SWAPON_S = ("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                 "/tmp/h18sw                              file\t\t65532\t\t0\t\t-2\n")
REAL_NUMACTL_H = """\
available: 1 nodes (0)
node 0 cpus: 0 1
node 0 size: 24105 MB
node 0 free: 22561 MB
node distances:
node   0 
  0:  10 
"""
REAL_NUMACTL_SHOW = """\
policy: default
preferred node: current
physcpubind: 0 1 
cpubind: 0 
nodebind: 0 
membind: 0 
preferred: 
"""
REAL_NUMASTAT = """\
                           node0
numa_hit                 2947932
numa_miss                      0
numa_foreign                   0
interleave_hit              1088
local_node               2947932
other_node                     0
"""
REAL_PS = "  PID TTY          TIME CMD\n    1 ?        00:00:04 process_api\n"
REAL_PS_AUX = ("USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n"
               "root         1  0.4  0.0  54972 15216 ?        S<Ll 20:24   0:04 /process_api\n")
REAL_MAPS = """\
5641fa076000-5641fa078000 r--p 00000000 fe:01 1318                       /usr/bin/cat
7ffd51b10000-7ffd51b31000 rw-p 00000000 00:00 0                          [stack]
7f10262ad000-7f1026304000 rw-p 00000000 00:00 0 
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
"""
REAL_NODE_MEMINFO_LINES = ("Node 0 MemTotal:       24683792 kB",
                           "Node 0 Mlocked:           15944 kB",
                           "Node 0 HugePages_Total:     0", "Node 0 HugePages_Free:      0")
REAL_ROLLUP_HEAD = ("5599610af000-7ffee180b000 ---p 00000000 00:00 0                          "
                    "[rollup]")


# ---------------------------------------------------------------- helpers
def run_texts(commands: str, **machine: object) -> list[dict]:
    """Every step's result (with its text) of `commands`, invariants checked after each."""
    runner = Runner(from_commands(commands, dict(machine)))
    out = []
    for rec in runner:
        check_invariants(runner.machine)
        out.append(rec.result.to_json())
    return out


def text_of(commands: str, **machine: object) -> str:
    res = run_texts(commands, **machine)[-1]
    assert res["ok"], res
    return res["text"]


def word_spans(line: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", line)]


def right_aligned_under(header: str, row: str, label: bool = True) -> bool:
    """Each value of `row` (after its label, if it has one) ends in the column where the
    header's word above it ends."""
    h = word_spans(header)
    r = word_spans(row)[1:] if label else word_spans(row)
    return 0 < len(r) <= len(h) and all(he == re for (_hs, he), (_rs, re) in zip(h[:len(r)], r,
                                                                      strict=True))


def pmap_x_columns_ok(head: str, row: str) -> bool:
    """Kbytes, RSS and Dirty end under their headings (pmap -x)."""
    return [e for _s, e in word_spans(row)[1:4]] == [e for _s, e in word_spans(head)[1:4]]


# ---------------------------------------------------------------- the example
def test_the_lecture_notes_swappiness_sequence_prints_what_linux_prints(capsys):
    """GIVEN the lecture notes' swappiness commands WHEN run with `vmtui run -c` THEN each
    prints what sysctl / cat print on Linux (default 60 as in mm/vmscan.c)."""
    code = main(["run", "-q", "-c", "sysctl vm.swappiness; cat /proc/sys/vm/swappiness; "
                 "sysctl -w vm.swappiness=0; cat /proc/sys/vm/swappiness; "
                 'echo "vm.swappiness = 10" >> /etc/sysctl.conf; sysctl -p; '
                 "cat /proc/sys/vm/swappiness"])
    out = capsys.readouterr().out
    assert code == 0
    printed = [line.strip() for line in out.splitlines()
               if line.startswith("  ") and not line.startswith("  ->")]
    assert printed == ["vm.swappiness = 60", "60", "vm.swappiness = 0", "0",
                       "vm.swappiness = 10", "10"]


def test_each_linux_command_is_a_step_with_its_text_in_json(capsys):
    main(["run", "-c", "free -m; cat /proc/sys/vm/swappiness", "--json"])
    steps = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["do"] for s in steps] == ["free -m", "cat /proc/sys/vm/swappiness"]
    assert steps[1]["result"] == {"ok": True, "value": None, "text": "60\n"}


# ---------------------------------------------------------------- layouts of the real tools
class TestFree:
    def test_free_m_has_procps_layout(self):
        for sample in (REAL_FREE_M, REAL_FREE_H):
            head, *rows = sample.splitlines()
            assert all(right_aligned_under(head, r) for r in rows)
        out = text_of("a = mmap 8M rw private,anon; write a 8M; free -m", ram="256M",
                      swap="128M")
        head, mem, swap = out.splitlines()
        assert head == REAL_FREE_M.splitlines()[0]
        assert mem.startswith("Mem:    ") and swap.startswith("Swap:   ")
        assert right_aligned_under(head, mem)
        h = word_spans(head)[0:3]  # Swap has three fields: under total, used, free
        assert [e for _s, e in word_spans(swap)[1:]] == [e for _s, e in h]
        # 128M of swap less the header page: 32767 pages = 131068 KiB = 127 MiB (truncated)
        assert swap.split()[1:] == ["127", "0", "127"]

    def test_free_figures_come_from_proc_meminfo_as_procps_reads_them(self):
        """used = MemTotal - MemAvailable (procps-ng 4.0), buff/cache = Buffers + Cached +
        SReclaimable, all in KiB by default."""
        res = run_texts("a = mmap 8M rw private,anon; write a 8M; cat /proc/meminfo; free")
        mi = {line.split(":")[0]: int(line.split()[1]) for line in res[-2]["text"].splitlines()}
        mem = res[-1]["text"].splitlines()[1].split()
        assert mem[1:] == [str(v) for v in (
            mi["MemTotal"], mi["MemTotal"] - mi["MemAvailable"], mi["MemFree"], mi["Shmem"],
            mi["Buffers"] + mi["Cached"] + mi["SReclaimable"], mi["MemAvailable"])]

    def test_free_h_uses_binary_suffixes_as_procps(self):
        out = text_of("free -h", swap="128M")
        head, mem, swap = out.splitlines()
        assert right_aligned_under(head, mem)
        # 131068 KiB: "128.0Mi" does not fit in 5 characters, so procps prints 127Mi
        assert swap.split()[1:] == ["127Mi", "0B", "127Mi"]
        assert all(re.fullmatch(r"\d+(\.\d)?[KMGT]i|\d+B", v) for v in mem.split()[1:])

    def test_free_b_k_g_and_wide_total(self):
        kb = text_of("free", swap="128M").splitlines()[2].split()[1]
        assert kb == "131068"
        assert text_of("free -b", swap="128M").splitlines()[2].split()[1] == str(131068 * 1024)
        assert text_of("free -g", swap="128M").splitlines()[2].split()[1] == "0"
        wide = text_of("free -w -t").splitlines()
        assert wide[0].split() == ["total", "used", "free", "shared", "buffers", "cache",
                                   "available"]
        assert wide[3].startswith("Total:")

    def test_free_with_an_address_is_still_glibc_free(self):
        res = run_texts("p = malloc 100; free p; free")
        assert res[1]["ok"] and "text" not in res[1]
        assert res[2]["text"].startswith("               total")


def test_vmstat_layout_and_ticks():
    head1, head2, row = REAL_VMSTAT.splitlines()
    assert right_aligned_under(head2, row, label=False)
    runner = Runner(from_commands("vmstat 2 3"))
    rec = next(iter(runner))
    lines = rec.result.text.splitlines()
    assert lines[:2] == [head1, head2]
    assert len(lines) == 5
    for r in lines[2:]:
        # r b swpd free buff cache si so bi bo in cs end under their headings; the cpu
        # columns are %2u, so an idle machine's "100" sticks out as on Linux
        assert [e for _s, e in word_spans(r)[:12]] == [e for _s, e in word_spans(head2)[:12]]
        assert r.split()[12:] == ["0", "0", "100", "0", "0"]
    assert runner.machine.ticks == 4  # two intervals of DELAY=2 ticks


class TestPmap:
    def test_pmap_x_layout(self):
        lines = REAL_PMAP_X.splitlines()
        head = lines[1]
        assert all(pmap_x_columns_ok(head, r) for r in lines[2:-2])
        assert [e for _s, e in word_spans(lines[-1])[2:]] == [e for _s, e in
                                                              word_spans(head)[1:4]]
        out = text_of("a = mmap 8M rw private,anon; write a 1M; pmap -x 1").splitlines()
        assert re.fullmatch(r"1:   \S+", out[0])
        assert out[1] == head
        rows = out[2:-2]
        for r in rows:
            assert re.fullmatch(r"[0-9a-f]{16} +\d+ +\d+ +\d+ [r-][w-][x-][s-]- (\S.*|  \[ "
                                r"(anon|stack) \])", r), r
            assert pmap_x_columns_ok(head, r)
        assert out[-2] == lines[-2]
        total = out[-1]
        assert total.startswith("total kB ")
        assert [e for _s, e in word_spans(total)[2:]] == [e for _s, e in word_spans(head)[1:4]]
        # the 8M mapping, 1M of it written: 8192 Kbytes, 1024 resident and dirty
        big = [r for r in rows if r.split()[1] == "8192"]
        assert len(big) == 1 and big[0].split()[2:4] == ["1024", "1024"]
        assert int(total.split()[2]) == sum(int(r.split()[1]) for r in rows)
        assert rows[-1].startswith("ffffffffff600000       4       0       0 --x--   [ anon ]")

    def test_pmap_plain_layout(self):
        real = REAL_PMAP.splitlines()
        out = text_of("pmap 1").splitlines()
        assert re.fullmatch(r"1:   \S+", out[0])
        width = {len(r.split(" [")[0].split(" r")[0].split(" -")[0]) for r in real[1:-1]}
        for r in out[1:-1]:
            assert re.fullmatch(r"[0-9a-f]{16} +\d+K [r-][w-][x-][s-]- .+", r), r
            assert len(r.split("K ")[0]) + 1 in {w + 1 for w in width} | {len(real[1].split(
                "K ")[0]) + 1}
        assert len(out[-1]) - len(out[-1].lstrip()) == 1 and out[-1].split()[0] == "total"
        assert out[-1].index("K") == real[-1].index("K")
        assert "  [ stack ]" in "\n".join(out)


def test_swapon_show_layout_and_size():
    def check(sample: str) -> list[str]:
        head, *rows = sample.splitlines()
        hs = word_spans(head)
        for r in rows:
            rs = word_spans(r)
            assert [s for s, _e in rs[:2]] == [s for s, _e in hs[:2]]  # NAME, TYPE left
            assert [e for _s, e in rs[2:]] == [e for _s, e in hs[2:]]  # SIZE, USED, PRIO right
        return rows

    check(REAL_SWAPON_SHOW)
    out = text_of("swapon --show", swap="128M")
    rows = check(out)
    assert out.splitlines()[0].split() == ["NAME", "TYPE", "SIZE", "USED", "PRIO"]
    # util-linux size_to_human_string(): 32767 pages = 127.996M rounds to 128M
    assert rows[0].split()[1:] == ["partition", "128M", "0B", "-2"]
    assert text_of("swapoff -a; swapon --show", swap="128M") == ""


def test_swapon_s_reprints_proc_swaps_with_util_linux_tabs():
    out = text_of("swapon -s", swap="128M")
    real_head, real_row = REAL_SWAPON_S.splitlines()
    head, row = out.splitlines()
    assert head == real_head
    name_pad = re.fullmatch(r"(\S+ +)file\t\t65532\t\t0\t\t-2", real_row)
    assert name_pad and len(name_pad.group(1)) == 40
    m = re.fullmatch(r"(\S+ +)partition\t131068\t\t0\t\t-2", row)
    assert m and len(m.group(1)) == 40


def test_swapoff_a_and_swapon_a():
    res = run_texts("swapoff -a; cat /proc/swaps; swapon -a; cat /proc/swaps; swapon -a")
    assert res[1]["text"].count("\n") == 1  # the heading only
    assert res[3]["text"].count("\n") == 2
    assert res[4]["ok"]  # already on: swapon -a skips it


class TestNuma:
    def test_numactl_hardware_layout(self):
        out = text_of("numactl --hardware", ram="256M")
        pattern = [r"available: 1 nodes \(0\)", r"node 0 cpus: 0 1", r"node 0 size: \d+ MB",
                   r"node 0 free: \d+ MB", r"node distances:", r"node   0 ", r"  0:  10 "]
        for lines in (REAL_NUMACTL_H.splitlines(), out.splitlines()):
            assert len(lines) == len(pattern)
            assert all(re.fullmatch(p, line) for p, line in zip(pattern, lines, strict=True))
        assert 0 < int(out.splitlines()[3].split()[3]) <= int(out.splitlines()[2].split()[3]) \
            <= 256
        assert text_of("numactl -H", ram="256M") == out

    def test_numactl_hardware_two_nodes(self):
        out = text_of("numactl --hardware", nodes=2, ram="512M").splitlines()
        assert out[0] == "available: 2 nodes (0-1)"
        assert out[-3:] == ["node   0   1 ", "  0:  10  20 ", "  1:  20  10 "]

    def test_numactl_show_layout(self):
        assert text_of("numactl --show") == REAL_NUMACTL_SHOW
        out = text_of("numa interleave=0,1; numactl --show", nodes=2, ram="512M")
        assert out.splitlines()[:4] == ["policy: interleave", "preferred node: 0 (interleave next)",
                                        "interleavemask: 0 1 ", "interleavenode: 0"]

    def test_numastat_layout(self):
        out = text_of("a = mmap 64K rw private,anon; write a 64K; numastat", nodes=2,
                      ram="512M")
        real = REAL_NUMASTAT.splitlines()
        lines = out.splitlines()
        assert lines[0] == real[0] + "           node1"
        assert [line.split()[0] for line in lines[1:]] == [r.split()[0] for r in real[1:]]
        for line in lines[1:]:
            assert [e for _s, e in word_spans(line)[1:]] == [32, 48]
        # 16 pages touched on node 0 (the CPU's node): 16 numa_hit at least there
        assert int(lines[1].split()[1]) >= 16


class TestPs:
    def test_ps_layout(self):
        out = text_of("child = fork; ps").splitlines()
        real_head, real_row = REAL_PS.splitlines()
        assert out[0] == real_head
        def columns(row: str) -> list[tuple[int, int]]:
            return word_spans(row)[:3] + [(word_spans(row)[3][0], 0)]

        # PID and TIME end, TTY and CMD begin, in the same columns as procps prints them
        want = [(s, e) if i in (0, 2) else (s, 0) for i, (s, e) in enumerate(columns(real_row))]
        for r in out[1:]:
            got = [(s, e) if i in (0, 2) else (s, 0) for i, (s, e) in enumerate(columns(r))]
            assert [e for s, e in got[0:1]] == [e for s, e in want[0:1]]
            assert got[1][0] == want[1][0] and got[2][1] == want[2][1] and got[3] == want[3]
        assert [r.split()[0] for r in out[1:]] == ["1", "2"]

    def test_ps_aux_has_vsz_and_rss_in_kib(self):
        res = run_texts("a = mmap 8M rw private,anon; write a 1M; cat /proc/self/status; "
                        "ps aux")
        status = dict(line.split(":\t") for line in res[2]["text"].splitlines())
        head, row = res[3]["text"].splitlines()
        assert head == REAL_PS_AUX.splitlines()[0]
        hs = word_spans(head)
        rs = word_spans(row)
        assert rs[1][1] == hs[1][1] and rs[4][1] == hs[4][1] and rs[5][1] == hs[5][1]
        assert row.split()[4] == status["VmSize"].split()[0]
        assert row.split()[5] == status["VmRSS"].split()[0]


def test_ulimit_l_and_s():
    # 5.4's MLOCK_LIMIT is 64 KiB (the 8192 a 6.18 machine prints came with 5.16);
    # _STK_LIM is 8 MiB
    assert text_of("ulimit -l") == "64\n"
    assert text_of("ulimit -s") == "8192\n"
    assert text_of("ulimit -l 64; ulimit -l") == "64\n"
    assert text_of("ulimit -s unlimited; ulimit -s") == "unlimited\n"


# ---------------------------------------------------------------- cat
class TestCat:
    PATHS = ["/proc/self/maps", "/proc/1/smaps", "/proc/self/smaps_rollup", "/proc/1/status",
             "/proc/self/statm", "/proc/self/numa_maps", "/proc/meminfo", "/proc/vmstat",
             "/proc/buddyinfo", "/proc/zoneinfo", "/proc/pagetypeinfo", "/proc/swaps",
             "/proc/sys/vm/swappiness", "/proc/sys/vm/min_free_kbytes",
             "/proc/sys/vm/overcommit_memory", "/sys/devices/system/node/node0/meminfo",
             "/sys/devices/system/node/node1/meminfo",
             "/sys/kernel/mm/transparent_hugepage/enabled", "/etc/sysctl.conf"]

    def test_every_file_reads(self):
        res = run_texts("; ".join(f"cat {p}" for p in self.PATHS), nodes=2, ram="512M")
        assert all(r["ok"] and r["text"] for r in res), [p for p, r in zip(self.PATHS, res,
                                                                           strict=True)
                                                         if not r["ok"]]

    def test_maps_is_the_kernels_layout(self):
        pat = re.compile(r"[0-9a-f]{8,16}-[0-9a-f]{8,16} [r-][w-][x-][ps] [0-9a-f]{8} "
                         r"[0-9a-f]{2}:[0-9a-f]{2} \d+ (\s+\S.*)?")
        for text in (REAL_MAPS, text_of("cat /proc/self/maps")):
            for line in text.splitlines():
                assert pat.fullmatch(line), line
                name = line[73:]
                assert not line[72:73].strip() and (not name or not name.startswith(" ")), line
        assert text_of("cat /proc/self/maps") == text_of("show maps")

    def test_missing_files_print_cats_message(self):
        res = run_texts("cat /proc/nope; cat /proc/7/maps; cat /proc/sys/vm/drop_caches; "
                        "cat /proc/sys/vm/nope /proc/sys/vm/swappiness")
        assert res[0] == {"ok": False, "errno": "ENOENT",
                          "text": "cat: /proc/nope: No such file or directory\n"}
        assert res[1]["text"] == "cat: /proc/7/maps: No such file or directory\n"
        assert res[2]["errno"] == "EACCES"  # mode 0200, even for root
        assert res[2]["text"] == "cat: /proc/sys/vm/drop_caches: Permission denied\n"
        assert res[3]["text"] == ("cat: /proc/sys/vm/nope: No such file or directory\n60\n")

    def test_statm_counts_pages(self):
        res = run_texts("cat /proc/self/statm; a = mmap 8M rw private,anon; write a 1M; "
                        "cat /proc/self/statm")
        before = list(map(int, res[0]["text"].split()))
        after = list(map(int, res[3]["text"].split()))
        assert len(after) == 7 and after[4] == after[6] == 0
        assert after[0] - before[0] == 2048  # size: 8M more, in pages
        assert after[1] - before[1] == 256  # resident: 1M written
        assert after[5] - before[5] == 2048  # data: a private writable mapping

    def test_smaps_rollup(self):
        out = text_of("a = mmap 8M rw private,anon; write a 1M; cat /proc/self/smaps_rollup")
        lines = out.splitlines()
        assert REAL_ROLLUP_HEAD.index("[rollup]") == lines[0].index("[rollup]") == 73
        assert lines[0].endswith("---p 00000000 00:00 0                          [rollup]")
        names = [line.split(":")[0] for line in lines[1:]]
        # 5.4's __show_smap(): no Pss_Anon/File/Shmem (5.9), Pss_Dirty (6.0) or KSM (6.7)
        assert names == ["Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean",
                         "Private_Dirty", "Referenced", "Anonymous", "LazyFree", "AnonHugePages",
                         "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb",
                         "Swap", "SwapPss", "Locked"]
        assert int(lines[1].split()[1]) >= 1024

    def test_numa_maps_counts_interleaved_pages_per_node(self):
        res = run_texts("numa interleave=0,1; a = mmap 64K rw private,anon; write a 64K; "
                        "cat /proc/self/numa_maps", nodes=2, ram="512M")
        line = next(x for x in res[-1]["text"].splitlines() if "anon=16" in x)
        # 16 pages interleaved over two nodes: 8 each, all dirty and anonymous
        assert line.split()[1:] == ["interleave:0-1", "anon=16", "dirty=16", "N0=8", "N1=8",
                                    "kernelpagesize_kB=4"]
        assert re.fullmatch(r"[0-9a-f]+ interleave:0-1 file=/bin/demo( .*)?",
                            res[-1]["text"].splitlines()[0])

    def test_node_meminfo_and_thp(self):
        out = text_of("cat /sys/devices/system/node/node0/meminfo").splitlines()
        for real in REAL_NODE_MEMINFO_LINES:
            label = real.split(":")[0]
            ours = next(x for x in out if x.startswith(label + ":"))
            # the value ends in the same column: "%8lu kB" after the padded label
            assert len(ours) == len(real), (ours, real)
        assert text_of("cat /sys/kernel/mm/transparent_hugepage/enabled") == \
            "always [madvise] never\n"


# ---------------------------------------------------------------- sysctl, echo, reboot
class TestSysctl:
    def test_wrong_values_give_the_kernels_error_and_change_nothing(self):
        res = run_texts("sysctl -w vm.swappiness=500; cat /proc/sys/vm/swappiness; "
                        "cat /proc/sys/vm/min_free_kbytes; cat /proc/zoneinfo; "
                        "echo -1 > /proc/sys/vm/min_free_kbytes; "
                        "cat /proc/sys/vm/min_free_kbytes; cat /proc/zoneinfo")
        # the messages procps sysctl and bash print on Linux
        assert res[0] == {"ok": False, "errno": "EINVAL",
                          "text": 'sysctl: setting key "vm.swappiness": Invalid argument\n'}
        assert res[1]["text"] == "60\n"
        assert res[4] == {"ok": False, "errno": "EINVAL",
                          "text": "bash: echo: write error: Invalid argument\n"}
        assert res[5]["text"] == res[2]["text"]
        assert res[6]["text"] == res[3]["text"]  # the watermarks did not move

    def test_unknown_keys_and_values_that_are_not_numbers(self):
        res = run_texts("sysctl vm.nope; sysctl -w vm.nope=1; sysctl vm.swappiness=abc; "
                        "echo abc > /proc/sys/vm/swappiness; echo 1 > /proc/sys/vm/nope")
        msg = "sysctl: cannot stat /proc/sys/vm/nope: No such file or directory\n"
        assert res[0]["text"] == msg and res[1]["text"] == msg
        assert res[0]["errno"] == "ENOENT"
        assert res[2]["text"] == 'sysctl: setting key "vm.swappiness": Invalid argument\n'
        assert res[3]["text"] == "bash: echo: write error: Invalid argument\n"
        assert res[4]["text"] == "bash: /proc/sys/vm/nope: No such file or directory\n"

    def test_forms_of_sysctl(self):
        res = run_texts("sysctl vm.swappiness=30; sysctl -n vm.swappiness; "
                        "sysctl vm.swappiness vm.overcommit_memory; sysctl -a; "
                        "sysctl vm/swappiness; sysctl vm.swappiness = 20; "
                        "sudo sysctl -w vm.swappiness=25")
        assert res[0]["text"] == "vm.swappiness = 30\n" and res[0]["value"] == 30
        assert res[1]["text"] == "30\n"
        assert res[2]["text"] == "vm.swappiness = 30\nvm.overcommit_memory = 0\n"
        all_lines = res[3]["text"].splitlines()
        assert "vm.swappiness = 30" in all_lines and "vm.max_map_count = 65530" in all_lines
        assert all_lines == sorted(all_lines) and all(x.startswith("vm.") for x in all_lines)
        assert res[4]["text"] == "vm.swappiness = 30\n"
        assert res[5]["text"] == "vm.swappiness = 20\n"
        assert res[6]["text"] == "vm.swappiness = 25\n"

    def test_sysctl_p_reports_bad_lines_and_applies_good_ones(self):
        res = run_texts('echo "vm.bogus = 3" >> /etc/sysctl.conf; '
                        'echo "vm.overcommit_memory = 1" >> /etc/sysctl.conf; '
                        "echo '# a comment' >> /etc/sysctl.conf; sysctl -p; "
                        "cat /proc/sys/vm/overcommit_memory; sysctl -p /etc/nope.conf")
        assert res[3] == {"ok": False, "errno": "ENOENT", "text":
                          "sysctl: cannot stat /proc/sys/vm/bogus: No such file or directory\n"
                          "vm.overcommit_memory = 1\n"}
        assert res[4]["text"] == "1\n"
        assert res[5]["text"] == 'sysctl: cannot open "/etc/nope.conf": No such file or ' \
            "directory\n"

    def test_settings_survive_reboot_only_through_sysctl_conf(self):
        res = run_texts("sysctl -w vm.swappiness=0; echo 5 > /proc/sys/vm/overcommit_ratio; "
                        "reboot; sysctl vm.swappiness vm.overcommit_ratio; "
                        'echo "vm.swappiness = 10" >> /etc/sysctl.conf; reboot; '
                        "sysctl vm.swappiness; cat /etc/sysctl.conf")
        assert res[3]["text"] == "vm.swappiness = 60\nvm.overcommit_ratio = 50\n"
        assert res[6]["text"] == "vm.swappiness = 10\n"
        assert res[7]["text"].endswith("#\nvm.swappiness = 10\n")

    def test_reboot_starts_afresh(self):
        runner = run_checked("a = mmap 8M rw private,anon; write a 8M; b = fork; reboot")
        m = runner.machine
        assert [t.pid for t in m.live_tasks()] == [1]
        assert m.current.mm.rss_anon < 2048

    def test_min_free_kbytes_moves_the_watermarks(self):
        """__setup_per_zone_wmarks(): min_free_kbytes / 4 pages shared among the zones in
        proportion to their managed pages (each share rounded down); low = min + min/4...
        with watermark_scale_factor 10 the gap is max(min/4, managed * 10 / 10000)."""
        res = run_texts("echo 8192 > /proc/sys/vm/min_free_kbytes; cat /proc/zoneinfo",
                        ram="1G")
        mins = [int(x) for x in re.findall(r"\n        min      (\d+)", res[-1]["text"])]
        populated = [m for m in mins if m]
        assert 2048 - len(mins) <= sum(mins) <= 2048
        assert len(populated) >= 2

    def test_drop_caches(self):
        res = run_texts("file f 1M; a = mmap 1M r private file=f; read a 1M; munmap a 1M; "
                        "echo 1 > /proc/sys/vm/drop_caches; echo 5 > /proc/sys/vm/drop_caches; "
                        "sysctl -w vm.drop_caches=3; sysctl vm.drop_caches")
        assert res[4]["ok"] and res[4]["value"] == 256  # 1M of clean, unmapped page cache
        assert res[5]["text"] == "bash: echo: write error: Invalid argument\n"
        assert res[6]["text"] == "vm.drop_caches = 3\n"
        assert res[7]["text"] == ""  # write-only: sysctl skips it


# ---------------------------------------------------------------- mlockall, mlock2
class TestMlock:
    """The real kernel (6.18, a C program calling mlockall then mmap 8M) printed: with
    MCL_CURRENT|MCL_FUTURE the new mapping has Rss 8192 kB and Locked 8192 kB before any
    touch; with MCL_FUTURE|MCL_ONFAULT, Rss 0 / Locked 0, then 4 kB after one write;
    mlockall(MCL_ONFAULT) alone fails with EINVAL."""

    @staticmethod
    def block(smaps: str, start: str) -> dict[str, str]:
        out: dict[str, str] = {}
        lines = smaps.splitlines()
        i = next(i for i, x in enumerate(lines) if x.startswith(start + "-"))
        for x in lines[i + 1:]:
            if re.match(r"[0-9a-f]+-", x):
                break
            k, _, v = x.partition(":")
            out[k] = v.strip()
        return out

    def test_mcl_future_locks_later_mappings(self):
        res = run_texts("mlockall current,future; a = mmap 8M rw private,anon; "
                        "cat /proc/self/smaps; write a 8M; show smaps; cat /proc/self/status; "
                        "cat /proc/meminfo")
        start = res[1]["value"][2:]
        before = self.block(res[2]["text"], start)
        assert before["Rss"] == "8192 kB" and before["Locked"] == "8192 kB"
        after = self.block(res[4]["text"], start)
        assert after["Locked"] == "8192 kB"
        assert " lo " in after["VmFlags"] + " "
        status = dict(x.split(":\t") for x in res[5]["text"].splitlines())
        assert int(status["VmLck"].split()[0]) >= 8192
        meminfo = dict(x.split(":") for x in res[6]["text"].splitlines())
        assert int(meminfo["Mlocked"].split()[0]) >= 8192
        assert int(meminfo["Unevictable"].split()[0]) >= 8192

    def test_mcl_constants_and_onfault(self):
        res = run_texts("mlockall MCL_FUTURE|MCL_ONFAULT; a = mmap 8M rw private,anon; "
                        "show smaps; write a; show smaps; mlockall MCL_ONFAULT")
        start = res[1]["value"][2:]
        assert self.block(res[2]["text"], start)["Rss"] == "0 kB"
        assert self.block(res[2]["text"], start)["Locked"] == "0 kB"
        assert self.block(res[4]["text"], start)["Locked"] == "4 kB"
        assert res[5]["errno"] == "EINVAL"

    def test_mcl_future_only_leaves_current_mappings_alone(self):
        res = run_texts("a = mmap 8K rw private,anon; mlockall future; show smaps; "
                        "b = mmap 8K rw private,anon addr=0x10000000; show smaps")
        start_a = res[0]["value"][2:]
        assert self.block(res[2]["text"], start_a)["Locked"] == "0 kB"
        assert self.block(res[4]["text"], "10000000")["Locked"] == "8 kB"

    def test_mlock2_onfault_locks_only_present_pages(self):
        res = run_texts("a = mmap 64K rw private,anon; write a 8K; mlock2 a 64K onfault; "
                        "show smaps; write a 64K; show smaps; cat /proc/self/status")
        start = res[0]["value"][2:]
        assert self.block(res[3]["text"], start)["Rss"] == "8 kB"
        assert self.block(res[3]["text"], start)["Locked"] == "8 kB"
        assert self.block(res[5]["text"], start)["Locked"] == "64 kB"
        status = dict(x.split(":\t") for x in res[6]["text"].splitlines())
        assert status["VmLck"].split()[0] == "64"  # locked_vm counts the whole VMA

    def test_locked_pages_stay_out_of_swap_under_pressure(self):
        runner = run_checked("mlockall current,future; a = mmap 16M rw private,anon; "
                             "write a 16M = 3; spawn; b = mmap 64M rw private,anon; "
                             "write b 64M; switch 1; read a 16M", ram="64M", swap="128M")
        m = runner.machine
        assert m.tasks[1].mm.rss_swap == 0
        assert m.vmstat["pswpout"] > 0  # the other process was swapped


# ---------------------------------------------------------------- help and parsing
def test_help():
    assert "free ADDR" in text_of("help free") and "-m" in text_of("help free")
    assert text_of("help mmap").startswith("NAME = mmap LEN PROT FLAGS")
    assert "numactl" in text_of("help")
    assert run_texts("help nope")[0]["errno"] == "ENOENT"


@pytest.mark.parametrize("line,word", [
    ("vmstat 1", "never ends"),
    ("vmstat x 2", "expected DELAY and COUNT"),
    ("pmap", "expected a PID"),
    ("free -x", "unknown option '-x'"),
    ("sysctl", "expected KEY"),
    ("sysctl -w vm.swappiness", "must be of the form name=value"),
    ('echo "abc > /etc/sysctl.conf', "close the quote"),
    ("cat /proc/meminfo | grep Mem", "pipes"),
    ("mlockall sometimes", "unknown flag"),
    ("mlock2 a", "expected ADDR LEN"),
    ("numactl --cpunodebind=0", "unknown option"),
    ("ulimit -x", "expected -l"),
    ("cat", "expected a file"),
])
def test_bad_lines_are_parse_errors_not_tracebacks(line, word):
    with pytest.raises(ParseError) as e:
        parse_command(line)
    assert word in e.value.msg


def test_shell_commands_keep_the_language_commands():
    assert parse_command("swapon").args == {}
    assert parse_command("mlockall").args == {}
    assert parse_command("free p").args["addr"].base == "p"
    cmd = parse_command("mlock2 buf+4K 8K onfault")
    assert cmd.names_used() == [("buf", 8)]


def test_run_command_on_a_dead_machine_is_an_errno():
    runner = Runner(from_commands("exit"))
    list(runner)
    res, _ = run_command(runner.machine, parse_command("cat /proc/self/maps"))
    assert res.errno in ("ESRCH", "ENOENT")


def test_the_docs_example_runs():
    """docs/commands.md, "Linux commands": the example block runs, every command ok."""
    doc = (ROOT / "docs" / "commands.md").read_text()
    section = doc.split("## Linux commands", 1)[1].split("\n## ", 1)[0]
    example = section.split("```\n", 2)[1]
    commands = [line for line in example.splitlines() if line.strip()]
    assert len(commands) >= 8
    res = run_texts("; ".join(commands))
    assert all(r["ok"] for r in res), res


def test_lecture_notes_scenario_keeps_the_locked_process_out_of_swap():
    """The built-in walk-through: every expect holds, the other process was swapped, the
    mlockall'ed one was not."""
    from vmtui.scenario.loader import load_scenario

    runner = Runner(load_scenario("lecture-notes"))
    recs = list(runner)
    assert all(r.expect_ok for r in recs if r.expect is not None)
    m = runner.machine
    assert m.vmstat["pswpout"] > 0
    assert m.tasks[1].mm.rss_swap == 0 and m.tasks[2].mm.rss_swap > 0
    status = recs[-1].texts[0]
    assert "VmSwap:\t       0 kB" in status


async def test_the_command_line_completes_and_runs_linux_commands():
    """GIVEN the TUI WHEN a lecturer types `numactl --h`, accepts the suggestion (→) and
    presses Enter THEN the step runs and the narration shows numactl's output."""
    from textual.widgets import Input

    from tests.ui.conftest import pane, settle, text_of
    from vmtui.scenario.loader import load_scenario
    from vmtui.ui.app import VmtuiApp

    app = VmtuiApp(load_scenario("first-touch"), lang="en")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"numactl --h")
        await pilot.pause(0.2)
        await pilot.press("right")
        inp = app.query_one("#cmd-input", Input)
        assert inp.value == "numactl --hardware"
        await pilot.press("enter")
        await settle(pilot)
        assert app.snapshot.do == "numactl --hardware"
        assert "node distances:" in text_of(pane(app, "narration"))


def test_ps_o_fields_line_up_as_procps():
    """Real: `ps -e -o pid,ppid,user,%mem,stat,cmd` printed
    "  PID  PPID USER     %MEM STAT CMD" / "    1     0 root      0.0 S<Ll /process_api"."""
    real_head = "  PID  PPID USER     %MEM STAT CMD"
    real_row = "    1     0 root      0.0 S<Ll /process_api"
    out = text_of("b = fork; ps -e -o pid,ppid,user,%mem,stat,cmd").splitlines()
    assert out[0] == real_head
    want = word_spans(real_row)
    for row in out[1:]:
        got = word_spans(row)
        # PID, PPID, %MEM end where procps ends them; USER, STAT, CMD begin where it begins
        assert [got[i][1] for i in (0, 1, 3)] == [want[i][1] for i in (0, 1, 3)]
        assert [got[i][0] for i in (2, 4, 5)] == [want[i][0] for i in (2, 4, 5)]
    assert text_of("ps -o pid,vsz,rss,comm").splitlines()[0] == "  PID    VSZ   RSS COMMAND"


def test_paths_files_and_malformed_settings():
    res = run_texts('cat /proc/self/../meminfo; echo "vm.overcommit_memory = 1" > '
                    "/etc/sysctl.d/99-x.conf; sysctl -p /etc/sysctl.conf /etc/sysctl.d/99-x.conf; "
                    "sysctl =5; sysctl -w vm.overcommit_memory=0; reboot; "
                    "sysctl vm.overcommit_memory")
    assert res[0]["text"].startswith("MemTotal:")  # the path is resolved as the kernel does
    assert res[2]["text"] == "vm.overcommit_memory = 1\n"
    assert res[3] == {"ok": False, "errno": "EINVAL", "text": 'sysctl: malformed setting "=5"\n'}
    # systemd-sysctl applies /etc/sysctl.d/*.conf at boot too
    assert res[6]["text"] == "vm.overcommit_memory = 1\n"
