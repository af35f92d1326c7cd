"""`vmtui` [SCENARIO] opens the TUI without importing the subcommands (issue 17): their
names come from the modules present, the same set the parser registers."""

from __future__ import annotations

import subprocess
import sys

from vmtui.cli import build_parser, command_names


def test_command_names_are_the_parsers_subcommands():
    parser = build_parser()
    registered = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert command_names() == registered
    # the subcommands of `vmtui --help` (README), each a module of vmtui/commands
    assert {"run", "check", "list", "shot", "policy", "attach", "host"} <= registered


def test_the_tui_start_imports_no_subcommand():
    code = (
        "import sys\n"
        "import vmtui.ui.app as app\n"
        "app.VmtuiApp.run = lambda self, *a, **k: None\n"
        "from vmtui.cli import main\n"
        "assert main([]) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith('vmtui.commands.')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['vmtui.commands.common', 'vmtui.commands.tui']"
