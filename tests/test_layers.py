"""The engine's layers hold (docs/architecture.md): an import graph of vmtui/ built from the
source, with imports inside functions and under TYPE_CHECKING counted like any other.

    lib/       imports nothing of vmtui
    include/   imports lib/ and include/ only
    mm/, arch/, kernel/, fs/, check/, views/, user/   import lib/, include/ and each other
    boot, kmodel, replacement   (the engine's top) may import all of the engine
    the engine imports nothing of vmtui outside vmtui.engine

No module of lib/ or include/ takes part in an import cycle (not even one closed by a
TYPE_CHECKING import), and no engine module imports an engine module inside a function:
operation modules reach each other through module-level imports of modules.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = "vmtui.engine"
TOP = {"vmtui.engine.boot", "vmtui.engine.kmodel", "vmtui.engine.replacement"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in (ROOT / "vmtui").rglob("*.py")}


def resolve(name: str) -> str | None:
    """The vmtui module an imported dotted name refers to (a module, or a name in one)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


class Import:
    def __init__(self, src: str, dst: str, line: int, in_function: bool) -> None:
        self.src, self.dst, self.line, self.in_function = src, dst, line, in_function

    def __repr__(self) -> str:
        where = " inside a function" if self.in_function else ""
        return f"{MODULES[self.src].relative_to(ROOT)}:{self.line} imports {self.dst}{where}"


def imports_of(mod: str) -> list[Import]:
    tree = ast.parse(MODULES[mod].read_text())
    out: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                targets = [f"{child.module}.{a.name}" for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                raise AssertionError(f"{mod}: relative import on line {child.lineno}")
            else:
                visit(child, inside)
                continue
            for t in targets:
                dst = resolve(t) if t.startswith("vmtui") else None
                if dst is not None and dst != mod:
                    out.append(Import(mod, dst, child.lineno, in_function))

    visit(tree, False)
    return out


GRAPH = {mod: imports_of(mod) for mod in MODULES}


def layer(mod: str) -> str:
    if not mod.startswith(ENGINE + "."):
        return "outside" if mod != ENGINE else "engine-package"
    if mod in TOP:
        return "top"
    return mod.split(".")[2]


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    out.append(comp)
    return out


def test_the_graph_sees_the_engine():
    """The walk finds the layers' modules and their imports (a test that saw nothing would
    pass every rule below)."""
    layers = {layer(m) for m in MODULES}
    assert {"lib", "include", "mm", "arch", "kernel", "fs", "check", "top"} <= layers
    edges = {(i.src, i.dst) for i in GRAPH["vmtui.engine.mm.vmscan"]}
    assert ("vmtui.engine.mm.vmscan", "vmtui.engine.include.mmzone") in edges
    # a TYPE_CHECKING import is an edge too
    tc = ast.parse(MODULES["vmtui.engine.mm.vmscan"].read_text())
    assert any(isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"
               for n in tc.body)


ALLOWED = {
    "lib": {"lib"},
    "include": {"lib", "include"},
    "mm": {"lib", "include", "mm", "arch", "kernel", "fs"},
    "arch": {"lib", "include", "mm", "arch", "kernel", "fs"},
    "kernel": {"lib", "include", "mm", "arch", "kernel", "fs"},
    "fs": {"lib", "include", "mm", "arch", "kernel", "fs"},
    "check": {"lib", "include", "mm", "arch", "kernel", "fs", "check"},
    "views": {"lib", "include", "mm", "arch", "kernel", "fs", "check", "views"},
    "user": {"lib", "include", "mm", "arch", "kernel", "fs", "user"},
    "top": {"lib", "include", "mm", "arch", "kernel", "fs", "check", "views", "user", "top"},
    "engine-package": set(),
}


@pytest.mark.parametrize("src_layer", sorted(ALLOWED))
def test_imports_point_down(src_layer):
    bad = [i for mod, imps in GRAPH.items() if layer(mod) == src_layer for i in imps
           if i.dst.startswith(ENGINE) and layer(i.dst) not in ALLOWED[src_layer]
           or i.dst.startswith("vmtui") and not i.dst.startswith(ENGINE)
           and mod.startswith(ENGINE)]
    assert bad == [], "imports against the layer rule:\n" + "\n".join(map(repr, bad))


def test_no_cycle_through_lib_or_include():
    graph = {m: {i.dst for i in GRAPH[m]} for m in MODULES}
    cycles = [c for c in strongly_connected(graph) if len(c) > 1
              and any(layer(m) in ("lib", "include") for m in c)]
    assert cycles == [], f"import cycles through the state layer: {cycles}"


def test_no_engine_import_inside_a_function():
    bad = [i for mod, imps in GRAPH.items() if mod.startswith(ENGINE) for i in imps
           if i.in_function and i.dst.startswith(ENGINE)]
    assert bad == [], "imports inside functions:\n" + "\n".join(map(repr, bad))


OPERATIONS = ("mm", "arch", "kernel", "fs")


def test_operations_import_modules_not_names_from_each_other():
    """mm/*, arch/*, kernel/*, fs/* may be in import cycles (as mm/*.c call each other), so they
    import each other as modules: a name imported from a module still being initialised
    would fail, depending on which module a program happened to import first."""
    bad = []
    for mod in MODULES:
        if layer(mod) not in OPERATIONS:
            continue
        tree = ast.parse(MODULES[mod].read_text())
        for node in tree.body:  # the TYPE_CHECKING block is an ast.If: never run
            if isinstance(node, ast.ImportFrom) and node.module in MODULES \
                    and layer(node.module) in OPERATIONS:
                names = [a.name for a in node.names if f"{node.module}.{a.name}" not in MODULES]
                if names:
                    bad.append(f"{mod}:{node.lineno} imports {', '.join(names)} from "
                               f"{node.module}")
    assert bad == [], "\n".join(bad)


def test_every_engine_module_imports_first():
    """Whichever engine module a program imports first, the import succeeds (a cycle closed
    by a name import fails only in some orders)."""
    mods = sorted(m for m in MODULES if m.startswith(ENGINE + "."))
    code = (
        "import importlib, sys\n"
        f"mods = {mods!r}\n"
        "bad = []\n"
        "for mod in mods:\n"
        "    for k in [k for k in sys.modules if k.startswith('vmtui')]:\n"
        "        del sys.modules[k]\n"
        "    try:\n"
        "        importlib.import_module(mod)\n"
        "    except ImportError as e:\n"
        "        bad.append(f'{mod}: {e}')\n"
        "print('\\n'.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == ""


def test_the_rule_catches_a_violation(tmp_path):
    """The checker itself: an include/ module importing mm/ inside a function is caught."""
    src = "def f():\n    from vmtui.engine.mm import vmscan\n    return vmscan\n"
    mod = "vmtui.engine.include._probe"
    MODULES[mod] = tmp_path / "probe.py"
    MODULES[mod].write_text(src)
    try:
        imps = imports_of(mod)
    finally:
        del MODULES[mod]
    assert [(i.dst, i.in_function) for i in imps] == [("vmtui.engine.mm.vmscan", True)]
    assert layer(mod) == "include" and layer(imps[0].dst) not in ALLOWED["include"]
