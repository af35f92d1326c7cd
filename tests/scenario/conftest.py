"""Helpers of the scenario layer's tests (tests/scenario)."""

from __future__ import annotations

from pathlib import Path


def write_scenario(tmp_path: Path, text: str, name: str = "s.toml") -> str:
    """`text` as the scenario file tmp_path/name (UTF-8); its path, as the CLI takes it."""
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)
