"""The arrows point one way: the engine never imports Textual or Rich."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import vmtui.engine


def test_engine_imports_no_ui_library():
    mods = [f"vmtui.engine.{m.name}" for m in pkgutil.iter_modules(vmtui.engine.__path__)]
    assert len(mods) > 15
    code = ("import sys\n" + "".join(f"import {m}\n" for m in mods) +
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"the engine pulled in {out}"


def test_scenario_layer_imports_no_ui_library():
    code = ("import sys, vmtui.scenario.player, vmtui.scenario.runner, vmtui.commands.run\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('textual', 'rich'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ""
