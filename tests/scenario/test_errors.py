"""Bad input gets one clear message naming where and what, exit status 2, never a traceback."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from tests.scenario.conftest import write_scenario


@pytest.mark.parametrize("cmd,col,word", [
    ("a = mmapp 8K rw private,anon", 5, "unknown command 'mmapp'"),
    ("a = mmap 99Q rw private,anon", 10, "'Q' is not a unit"),
    ("a = mmap 1E rw private,anon", 10, "'E' is not a unit"),
    ("a = mmap 8K rwz private,anon", 15, "bad protection"),
    ("a = mmap 8K rw private,anno", 24, "unknown mmap flag 'anno'"),
    ("a = mmap 8K rw", 15, "expected flags"),
    ("write 0x1000 4K 7", 17, "expected '= VALUE'"),
    ("a = mmap 99999999999999999999999T rw private,anon", 10, "does not fit in 64 bits"),
])
def test_command_typos_name_line_and_column(capsys, cmd, col, word):
    code, out, err = run_cli(capsys, ["run", "-c", cmd])
    assert code == 2
    assert out == ""
    assert err.startswith(f"-c:1:{col}: ") and word in err, err
    assert "Traceback" not in err


def test_column_counts_from_the_start_of_the_whole_line(capsys):
    code, _, err = run_cli(capsys, ["run", "-c", "a = mmap 8K rw private,anon; munmap a 4Q"])
    assert code == 2 and err.startswith("-c:1:39: "), err


def test_unknown_name_is_reported_when_it_runs(capsys):
    code, _, err = run_cli(capsys, ["run", "-c", "munmap buf 4K"])
    assert code == 2 and "unknown name 'buf'" in err and ":1:8:" in err


def test_toml_syntax_error(tmp_path, capsys):
    path = write_scenario(
        tmp_path, '[scenario]\ntitle = "x"\n[[step]]\ndo = "a = mmap 8K rw private,anon\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and err.startswith(f"{path}:4:") and "TOML syntax error" in err


def test_unknown_step_key(tmp_path, capsys):
    path = write_scenario(
        tmp_path, '[scenario]\ntitle = "x"\n\n[[step]]\ndo = "fork"\nsya = "typo"\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and err.startswith(f"{path}:6:1: unknown key 'sya' in step 1")


def test_unknown_machine_key_and_bad_size(tmp_path, capsys):
    path = write_scenario(tmp_path, '[machine]\nram = "64M"\nrma = "1G"\n[[step]]\ndo = "fork"\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and err.startswith(f"{path}:3:1:") and "unknown [machine] key 'rma'" in err
    path = write_scenario(tmp_path, '[machine]\nram = "64Q"\n[[step]]\ndo = "fork"\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and f"{path}:2:1:" in err and "not a size" in err


def test_command_error_inside_a_scenario_points_into_the_file(tmp_path, capsys):
    path = write_scenario(
        tmp_path, '[[step]]\ndo = "a = mmap 8K rw private,anon"\n\n[[step]]\n'
                  'do = "write a 8K = x"\n')
    code, _, err = run_cli(capsys, ["run", path])
    assert code == 2 and err.startswith(f"{path}:5:20: bad value 'x'"), err


def test_missing_scenario(capsys):
    code, _, err = run_cli(capsys, ["run", "no-such-scenario"])
    assert code == 2 and "no built-in scenario 'no-such-scenario'" in err


def test_bad_machine_option(capsys):
    code, _, err = run_cli(capsys, ["run", "-c", "fork", "-m", "ram"])
    assert code == 2 and "expected KEY=VALUE" in err
    code, _, err = run_cli(capsys, ["run", "-c", "fork", "-m", "ram=1K"])
    assert code == 2 and "too small" in err


@pytest.mark.parametrize("cmd,errno", [
    ("a = mmap 200T rw private,anon", "ENOMEM"),
    ("a = mmap 0 rw private,anon", "EINVAL"),
    ("munmap 0x1001 4K", "EINVAL"),
    ("mprotect 0x10000000 4K r", "ENOMEM"),
    ("a = malloc 0xffffffffffffffff", "ENOMEM"),
    ("switch 77", "ESRCH"),
    ("sysctl vm.swappiness=900", "EINVAL"),
    ("sysctl vm.nope=1", "ENOENT"),  # sysctl: cannot stat /proc/sys/vm/nope (ENOENT)
    ("numa bind=7", "EINVAL"),
    ("a = mmap 8K rw private file=nofile", "ENOENT"),
])
def test_absurd_requests_are_errno_values(capsys, cmd, errno):
    import json

    code, out, err = run_cli(capsys, ["run", "-c", cmd, "--json"])
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["result"]["errno"] == errno
