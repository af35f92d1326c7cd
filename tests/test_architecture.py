"""The arrows point one way: the engine never imports Textual or Rich, and the view
(snapshots, driver, translations) never imports Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import vmtui.engine
import vmtui.view


def test_engine_imports_no_ui_library():
    mods = [m.name for m in pkgutil.walk_packages(vmtui.engine.__path__, "vmtui.engine.")]
    assert len(mods) > 40
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


def test_view_imports_no_textual():
    """vmtui/view is what `vmtui run`, `vmtui slides` and the app share: no Textual in it."""
    mods = [f"vmtui.view.{m.name}" for m in pkgutil.iter_modules(vmtui.view.__path__)]
    assert {"vmtui.view.driver", "vmtui.view.snapshot", "vmtui.view.i18n"} <= set(mods)
    code = ("import sys\n" + "".join(f"import {m}\n" for m in mods) +
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"the view pulled in {out}"
