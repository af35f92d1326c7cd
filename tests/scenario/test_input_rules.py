"""Issue 11 and 19: one table of settings, scenario files that are files, numbers in ASCII,
and messages that name the place and say what was expected."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import run_cli
from tests.scenario.conftest import write_scenario

# Linux 5.4 kernel/sysctl.c vm_table: (key, a value it refuses, its range as the kernel's
# extra1/extra2 give it, a value it accepts)
SYSCTL_RANGES = [
    ("swappiness", 101, "0..100", 100),
    ("swappiness", -1, "0..100", 0),
    ("overcommit_memory", 7, "0..2", 2),
    ("overcommit_memory", -1, "0..2", 1),
    ("watermark_scale_factor", 10**9, "1..1000", 1000),
    ("watermark_scale_factor", 0, "1..1000", 1),
    ("min_free_kbytes", -1, "0..2147483647", 2048),
    ("max_map_count", -1, "0..2147483647", 0),
]


@pytest.mark.parametrize("key,bad,allowed,good", SYSCTL_RANGES)
def test_machine_key_minus_m_and_sysctl_agree(tmp_path, capsys, key, bad, allowed, good):
    """The same value is refused by [machine], by -m and by the sysctl command, each time
    naming the key and the kernel's range; the good value passes all three."""
    path = write_scenario(
        tmp_path, f"[machine]\nram = \"64M\"\n{key} = {bad}\n\n[[step]]\ndo = \"fork\"\n")
    code, _, err = run_cli(capsys, ["run", "-q", path])
    assert code == 2 and err.startswith(f"{path}:3:1: [machine] {key}: ") and allowed in err, err
    code, _, err = run_cli(capsys, ["run", "-q", "-c", "fork", "-m", f"{key}={bad}"])
    assert code == 2 and f"[machine] {key}: " in err and allowed in err, err
    code, out, _ = run_cli(capsys, ["run", "--json", "-c", f"sysctl vm.{key}={bad}"])
    step = json.loads(out.splitlines()[-1])
    assert step["result"]["errno"] == "EINVAL", step["result"]
    assert any(f"vm.{key}" in e["text"] and allowed in e["text"] for e in step["events"])
    code, out, _ = run_cli(capsys, ["run", "--json", "-m", "ram=64M", "-c",
                                    f"sysctl vm.{key}={good}"])
    assert code == 0 and json.loads(out.splitlines()[-1])["result"]["ok"]
    path = write_scenario(
        tmp_path, f"[machine]\nram = \"64M\"\n{key} = {good}\n\n[[step]]\ndo = \"fork\"\n")
    assert run_cli(capsys, ["run", "-q", path])[0] == 0


@pytest.mark.parametrize("line,key,word", [
    ('aslr = "false"', "aslr", "expected true or false"),
    ("tlb_entries = -1", "tlb_entries", "1..65536"),
    ("cpus = -4", "cpus", "1..1024"),
    ('movable = "300M"', "movable", "at most the node's RAM less 16M"),
    ("min_free_kbytes = 200000000", "min_free_kbytes", "all of RAM"),
    ("ram = 5", "ram", 'expected a size like "256M"'),
    ('ram = "5Q"', "ram", "not a size"),
    ('arch = "arm64"', "arch", "x86_64, x86_64-5level, i386"),
    ("seed = 1.5", "seed", "not a decimal number"),
    ("nodes = 0", "nodes", "1..64"),
    ("distances = [[10, 5], [5, 10]]", "distances", "11..254"),
    ('swap = "32T"', "swap", "0..16T"),
])
def test_bad_machine_values_are_refused_before_the_machine_starts(tmp_path, capsys, line, key,
                                                                  word):
    """Each of these once passed validation and crashed the boot (or was silently taken)."""
    nodes = "nodes = 2\n" if key == "distances" else ""
    path = write_scenario(tmp_path, f"[machine]\n{nodes}{line}\n\n[[step]]\ndo = \"fork\"\n")
    ln = 2 + bool(nodes)
    for cmd in ("run", "check"):
        code, out, err = run_cli(capsys, [cmd, path])
        text = out + err
        assert code == 2, text
        assert f"{path}:{ln}:1: [machine] {key}: " in text and word.replace(
            "not a decimal", "a decimal") in text, text
        assert "Traceback" not in text and "Error" not in text


def test_min_free_kbytes_that_leaves_nothing_to_boot_is_named(tmp_path, capsys):
    path = write_scenario(
        tmp_path, '[machine]\nram = "64M"\nmin_free_kbytes = 64000\n[[step]]\n'
                  'do = "fork"\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and f"{path}:3:1: [machine] min_free_kbytes: " in err, err


def test_machine_node_tables_with_a_cpu_count_or_list(tmp_path, capsys):
    path = write_scenario(
        tmp_path, '[[machine.node]]\nram = "64M"\ncpus = 2\n\n[[machine.node]]\n'
                  'ram = "64M"\ncpus = [4, 5]\nzones = { movable = "16M" }\n\n'
                  '[[step]]\ndo = "show numa"\n')
    code, out, err = run_cli(capsys, ["run", "-q", path])
    assert code == 0, err
    # numactl --hardware's format: "node N cpus: ..." (the CPU numbers as given)
    assert "node 0 cpus: 0 1" in out and "node 1 cpus: 4 5" in out


@pytest.mark.parametrize("node,key,word", [
    ('ram = "64M"\ncpus = -1', "node[0].cpus", "1..1024"),
    ('ram = "64M"\ncpus = [1, 1]', "node[0].cpus", "listed twice"),
    ('ram = "64M"\ncpus = [1]', "node[0].cpus", "CPU 0"),
    ('ram = 5', "node[0].ram", 'expected a size like "256M"'),
    ('ram = "64M"\nzones = { normal = "8M" }', "node[0].zones.normal", "only Movable"),
    ('ram = "64M"\nrma = 1', "node[0].rma", "unknown"),
])
def test_bad_node_tables_name_the_node_and_key(tmp_path, capsys, node, key, word):
    path = write_scenario(tmp_path, f'[[machine.node]]\n{node}\n\n[[step]]\ndo = "fork"\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and f"[machine] {key}: " in err and word in err, err
    assert err.startswith(f"{path}:"), err


def test_plain_string_in_a_bilingual_scenario_is_a_note(tmp_path, capsys):
    path = write_scenario(
        tmp_path, '[scenario]\ntitle = "t"\nsummary = "plain text"\n\n[[step]]\n'
                  'do = "a = mmap 8K rw private,anon"\n'
                  'say = { en = "map", zh = "映射" }\n\n[[step]]\ndo = "write a"\n'
                  'say = "plain"\n')
    code, out, _ = run_cli(capsys, ["check", path])
    assert code == 0, out
    assert f"{path}:3:1: note: " in out and f"{path}:11:1: note: " in out
    assert f"{path}: ok (2 steps" in out


@pytest.mark.parametrize("text", [
    '[scenario]\ntitle = 5\n[[step]]\ndo = "fork"\n',
    '[scenario]\nsummary = ["a"]\n[[step]]\ndo = "fork"\n',
    '[[step]]\ndo = "fork"\nsay = { en = 1 }\n',
    '[[step]]\ndo = 5\n',
    '[[step]]\ndo = "fork"\nexpect = 0\n',
    '[scenario]\nlevel = "high"\n[[step]]\ndo = "fork"\n',
    '[scenario]\ntags = [1, 2]\n[[step]]\ndo = "fork"\n',
    'step = [1, 2]\n',
])
def test_wrong_types_give_no_python_text(tmp_path, capsys, text):
    path = write_scenario(tmp_path, text)
    code, out, err = run_cli(capsys, ["check", path])
    assert code == 2
    assert "object" not in out + err and "Traceback" not in out + err
    assert "expected" in out + err


def test_ram_5_says_a_size_like_256M(tmp_path, capsys):
    path = write_scenario(tmp_path, '[machine]\nram = 5\n\n[[step]]\ndo = "fork"\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and err.startswith(f'{path}:2:1: [machine] ram: expected a size like "256M"')


@pytest.mark.parametrize("make,word", [
    (lambda d: "/dev/zero", "a device"),
    (lambda d: (os.mkfifo(d / "f.toml"), str(d / "f.toml"))[1], "a FIFO"),
    (lambda d: (os.symlink("l.toml", d / "l.toml"), str(d / "l.toml"))[1], "symbolic links"),
    (lambda d: ((d / "dir.toml").mkdir(), str(d / "dir.toml"))[1], "is a directory"),
    (lambda d: ((d / "big.toml").write_bytes(b"#" * (17 << 20)), str(d / "big.toml"))[1],
     "larger than the 16 MiB"),
    (lambda d: ((d / "bin.toml").write_bytes(b'[[step]]\ndo = "fork"\nsay = "\xff"\n'),
                str(d / "bin.toml"))[1], ":3:8: not UTF-8"),
    (lambda d: ((d / "deep.toml").write_text("x = " + "[" * 5000 + "]" * 5000),
                str(d / "deep.toml"))[1], "nested too deeply"),
])
def test_a_scenario_path_must_be_a_small_regular_file(tmp_path, capsys, make, word):
    path = make(tmp_path)
    for cmd in ("run", "check"):
        code, out, err = run_cli(capsys, [cmd, path])
        assert code == 2 and word in out + err, out + err


def test_the_size_cap_can_be_raised(tmp_path, capsys, monkeypatch):
    p = tmp_path / "big.toml"
    p.write_bytes(b"#" * (17 << 20) + b'\n[[step]]\ndo = "fork"\n')
    monkeypatch.setenv("VMTUI_MAX_SCENARIO_SIZE", "32M")
    code, _, err = run_cli(capsys, ["run", "-q", str(p)])
    assert code == 0, err


@pytest.mark.parametrize("cmd,col", [
    ("a = mmap ٨K rw private,anon", 10),   # Arabic-Indic eight: int() reads it as 8
    ("a = mmap ²K rw private,anon", 10),   # superscript two: isdigit() but not int()
    ("tick ٣", 6),
    ("write 0x1000 = 1_0", 16),
    ("a = mmap 0x_10 rw private,anon", 10),
])
def test_numbers_are_ascii_digits_only(capsys, cmd, col):
    code, _, err = run_cli(capsys, ["run", "-c", cmd])
    assert code == 2 and err.startswith(f"-c:1:{col}: "), err
    assert "invalid literal" not in err


@pytest.mark.parametrize("value", ["١٠", "1_0", "0x_a", "²"])
def test_sysctl_takes_ascii_digits_only(capsys, value):
    """The kernel's kstrtoul() reads ASCII digits only: the write fails with EINVAL."""
    code, out, _ = run_cli(capsys, ["run", "--json", "-c", f"sysctl vm.swappiness={value}"])
    assert code == 0 and json.loads(out.splitlines()[-1])["result"]["errno"] == "EINVAL"


def test_a_byte_that_is_not_utf8_in_a_command_is_reported(capsys):
    cmd = b"a = mmap 8K rw \xff".decode("utf-8", "surrogateescape")  # as argv holds it
    code, _, err = run_cli(capsys, ["run", "-c", cmd])
    assert code == 2 and err.startswith("-c:1:16: byte 0xff is not UTF-8"), err


def test_strict_ascii_stdout_shows_a_bad_byte_escaped():
    import subprocess
    import sys

    env = dict(os.environ, PYTHONIOENCODING="ascii:strict")
    arg = os.fsdecode(b"/nonexistent/\xff.toml")
    r = subprocess.run([sys.executable, "-m", "vmtui.cli", "check", arg], env=env,
                       capture_output=True, timeout=60)
    assert r.returncode == 2 and b"Traceback" not in r.stderr + r.stdout
    assert b"no such file" in r.stdout + r.stderr


def test_unknown_command_is_named(capsys):
    code, _, err = run_cli(capsys, ["runn", "swap"])
    assert code == 2 and "unknown command 'runn'" in err and "did you mean 'run'" in err


def test_run_of_an_empty_scenario_says_so(tmp_path, capsys):
    path = write_scenario(tmp_path, '[scenario]\ntitle = "nothing"\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and "no [[step]]: nothing to run" in err
    code, out, _ = run_cli(capsys, ["check", path])
    assert code == 2 and "no [[step]]: nothing to run" in out


def test_a_failed_assignment_is_named_where_its_name_is_used(capsys):
    code, _, err = run_cli(capsys, ["run", "-q", "-c",
                                    "a = mmap 200T rw private,anon; write a"])
    assert code == 2
    assert "'a' has no value: `a = mmap 200T rw private,anon` (line 1) failed with ENOMEM" in err


def test_a_dead_current_process_stops_the_next_command(capsys):
    code, out, _ = run_cli(capsys, ["run", "--json", "-c",
                                    "c = fork; switch c; read 0; b = mmap 8K rw private,anon; "
                                    "switch 1; b = mmap 8K rw private,anon"])
    steps = [json.loads(x) for x in out.splitlines()]
    assert steps[2]["result"]["signal"] == "SIGSEGV"
    r = steps[3]["result"]
    assert r["errno"] == "ESRCH" and "process 2 is dead (killed by SIGSEGV)" in r["why"]
    assert steps[3]["pid"] == 2 and "2" not in steps[3]["maps"]  # nothing ran in pid 1
    assert steps[5]["result"]["ok"] and steps[5]["pid"] == 1


def test_spawn_of_a_missing_program_is_enoent(capsys):
    code, out, _ = run_cli(capsys, ["run", "--json", "-c", "spawn /no/such/prog; spawn"])
    steps = [json.loads(x) for x in out.splitlines()]
    assert steps[0]["result"]["errno"] == "ENOENT"
    assert steps[1]["result"]["ok"]
