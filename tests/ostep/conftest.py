"""Helpers of the OSTEP exercises' tests (tests/ostep): the CLI run in-process, as text or
as its --json lines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import run_cli_clean


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`vmtui ARGV...`: the exit status, stdout and stderr, with no Python traceback."""
    return run_cli_clean(capsys, list(argv))


def js(capsys: pytest.CaptureFixture[str], *argv: str) -> list[Any]:
    """`vmtui ARGV... --json`, which must exit 0: one parsed object per line."""
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return [json.loads(x) for x in out.splitlines()]
