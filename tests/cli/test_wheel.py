"""The built-in scenarios live in the top-level scenarios/ folder and ship inside the wheel:
build the wheel, install it in a fresh venv outside the checkout, and list them from there."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_installed_wheel_lists_every_scenario_of_the_scenarios_folder(tmp_path):
    """GIVEN `pip wheel . --no-deps` of the checkout WHEN that wheel is installed (--no-deps)
    in a new venv whose dependencies come from this environment (a .pth line; no network)
    THEN its own `vmtui list`, run outside the checkout, names every scenarios/*.toml, read
    from the installed package, and the wheel holds every package of vmtui/."""
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("*.toml"))
    assert "tour" in names and not (ROOT / "vmtui" / "scenarios").exists()
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
                    "-w", str(wheels)], check=True, cwd=tmp_path)
    (wheel,) = wheels.glob("vmtui-*.whl")
    inside = zipfile.ZipFile(wheel).namelist()
    assert sorted(Path(n).stem for n in inside if n.startswith("vmtui/scenarios/")) == names
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "vmtui").rglob("__init__.py")}
    assert packages <= {str(Path(n).parent) for n in inside}, "a package is not in the wheel"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
                    "--no-index", "-q", str(wheel)], check=True, cwd=tmp_path)
    # textual and the rest from this environment; its .pth files (the editable install of
    # the checkout) are not read from a directory a .pth line adds, so vmtui is the wheel's
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True)
    Path(site.stdout.strip(), "deps-from-test.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(py), "-c", "from vmtui.scenario.loader import builtin_dir; "
                            "print(builtin_dir())"], check=True, capture_output=True,
                           text=True, cwd=tmp_path, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    out = subprocess.run([str(venv / "bin" / "vmtui"), "list"], check=True,
                         capture_output=True, text=True, cwd=tmp_path, env=env).stdout
    listed = sorted(line.split()[0] for line in out.splitlines()[1:] if line.strip())
    assert listed == names
