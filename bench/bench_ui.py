"""UI figures (not a test): key press to a fully updated screen, and start-up to the first frame.

    /work/venv/bin/python bench/bench_ui.py [--steps 50] [--vmas 60000] [--size 200x50]

The big scenario is built with commands: one step maps 60,000 single pages
with alternating protections (so they cannot merge), the next maps 2000 MiB
and writes 1950 MiB of it (~500,000 resident pages) on a 4 GiB machine; then
come light steps (a write, a read, a walk, an mmap) whose key presses are
timed. "Fully updated" means: the engine ran the step on its worker thread,
the snapshot came back, every pane took it and the screen was painted, and
if the RSS of a huge VMA was left for a follow-up request, that came back and
was painted too.

The engine's own time for the same steps (Player.forward, no UI) is measured
too, so the UI's share can be told apart.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402


def big_scenario(path: Path, vmas: int, steps: int) -> None:
    lines = ['[scenario]', f'title = "bench: {vmas:,} VMAs, ~500,000 resident pages"',
             '[machine]', 'ram = "4G"', 'swap = "0"', 'max_map_count = 200000', '']
    maps = ", ".join(f'"mmap 4K {"r" if i % 2 else "rw"} private,anon"' for i in range(vmas))
    lines.append(f"[[step]]\ndo = [{maps}]")
    lines.append('[[step]]\ndo = ["big = mmap 2000M rw private,anon", "write big 1950M"]')
    light = ("write big+{k}M", "read big+{k}M", "walk big+{k}K", "x{k} = mmap 8K rw private,anon")
    for i in range(steps + 2):
        lines.append(f'[[step]]\ndo = "{light[i % len(light)].format(k=i)}"')
    path.write_text("\n".join(lines) + "\n")


def timed_app_class():  # type: ignore[no-untyped-def]
    """VmtuiApp that stamps the key press, and the repaint after each snapshot it shows.

    It hooks the methods that show a snapshot, not the message handlers: a handler
    overridden without @on would run twice (by name and as the parent's @on handler).
    """
    from vmtui.ui.app import VmtuiApp

    class Timed(VmtuiApp):
        marks: list[tuple[str, float]] = []

        def action_next(self) -> None:
            self.marks.append(("key", time.perf_counter()))
            super().action_next()

        def _apply(self, snap) -> None:  # type: ignore[no-untyped-def]
            super()._apply(snap)
            self.call_after_refresh(lambda: self.marks.append(("step", time.perf_counter())))

        def _show_rss(self, snap) -> None:  # type: ignore[no-untyped-def]
            super()._show_rss(snap)
            self.call_after_refresh(lambda: self.marks.append(("rss", time.perf_counter())))

    return Timed


async def time_keys(path: Path, steps: int, size: tuple[int, int]) -> dict[str, float]:
    from vmtui.scenario.loader import load_scenario

    sc = load_scenario(str(path))
    app = timed_app_class()(sc, start_step=2)
    step_t: list[float] = []
    first_t: list[float] = []
    rss_n = 0
    async with app.run_test(size=size) as pilot:
        t = time.perf_counter()
        while app.snapshot is None or app.snapshot.position != 2 or app._busy:
            await pilot.pause(0.05)
        setup = time.perf_counter() - t
        m = app.driver.player.machine
        vm_count = len(m.current.mm.vmas)
        resident = len(m.mem.pages)
        for _ in range(steps):
            app.marks.clear()
            await pilot.press("n")
            # fully updated: the step painted, and any RSS left for a follow-up (a VMA of
            # more than RSS_SYNC_PAGES) counted and painted too
            while app._busy or app._queue or app._rss_asked or \
                    not any(k == "step" for k, _ in app.marks):
                await asyncio.sleep(0.002)
            await pilot.pause()
            key = next(v for k, v in app.marks if k == "key")
            painted = [v for k, v in app.marks if k in ("step", "rss")]
            step_t.append(max(painted) - key)
            first_t.append(next(v for k, v in app.marks if k == "step") - key)
            if any(k == "rss" for k, _ in app.marks):
                rss_n += 1
    return {"median": statistics.median(step_t), "p90": sorted(step_t)[int(len(step_t) * 0.9)],
            "max": max(step_t), "first": statistics.median(first_t), "setup": setup,
            "vmas": vm_count, "resident": resident, "rss_n": rss_n}


def engine_only(path: Path, steps: int) -> dict[str, float]:
    from vmtui.scenario.loader import load_scenario
    from vmtui.scenario.player import Player

    p = Player(load_scenario(str(path)))
    p.goto(2)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        p.forward()
        times.append(time.perf_counter() - t)
    return {"median": statistics.median(times), "max": max(times)}


STARTUP = r"""
import time
T0 = time.monotonic()
import asyncio, importlib.util, sys
spawn = float(sys.argv[1])
paints, applied = [], []

spent = [0.0]  # seconds spent reading the screen, taken off the times after it

def instrument(app_class):
    display, apply = app_class._display, app_class._apply
    def _display(self, screen, renderable):
        if renderable is not None and not self._batch_count:  # handed to the terminal
            t = time.monotonic()
            screen_now = hash(tuple(tuple(strip) for strip in
                                    self.screen._compositor.render_strips()))
            paints.append((t - spent[0], screen_now))
            spent[0] += time.monotonic() - t
        display(self, screen, renderable)
    def _apply(self, snap):
        apply(self, snap)
        applied.append(time.monotonic())
    def run(self, *args, **kwargs):
        async def main():
            async with self.run_test(size=(200, 50)) as pilot:
                while not applied:
                    await pilot.pause(0.01)
                n = -1  # then every paint until the screen is quiet for 0.3 s
                while len(paints) != n or \
                        time.monotonic() - max([p[0] for p in paints[-1:]] + applied) < 0.3:
                    n = len(paints)
                    await asyncio.sleep(0.01)
        asyncio.run(main())
    app_class._display, app_class._apply, app_class.run = _display, _apply, run

class Hook:
    # instruments VmtuiApp when the command imports it, when and as it would
    def find_spec(self, name, path, target=None):
        if name != "vmtui.ui.app":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        exec_module = spec.loader.exec_module
        def exec_and_instrument(module):
            exec_module(module)
            instrument(module.VmtuiApp)
        spec.loader.exec_module = exec_and_instrument
        return spec
sys.meta_path.insert(0, Hook())
from vmtui.cli import main
main(sys.argv[2:])
assert paints and paints[-1][0] > applied[0] - spent[0], "nothing painted after the snapshot"
# the first full frame: the first paint of what the screen shows once quiet (repaints of
# the same screen after it do not count)
full = next(t for t, screen_now in paints if screen_now == paints[-1][1])
print(paints[0][0] - spawn, full - spawn)
"""


_PYCACHE = tempfile.TemporaryDirectory(prefix="vmtui-bench-pyc-")


def startup(spec: str | None) -> tuple[float, float]:
    """Seconds from starting `vmtui [SPEC]` to its first painted frame, and to the last paint
    of its first full frame, in a new interpreter.

    The command runs as typed (vmtui.cli.main, the interpreter's own start counted: the
    time is taken from before the process is spawned), with Textual's headless driver at
    200x50 instead of a terminal. A paint is a frame handed to the terminal; the first
    full frame is the first paint of what the screen shows once the first snapshot is in
    the panes and nothing more has been painted for 0.3 s: a pane, the footer or a
    scrollbar still coming after the snapshot counts, a repaint of the same screen does
    not. Reading the screen at each paint (to compare) is not timed.

    With the modules' bytecode cached, as an installed vmtui has it (pip compiles on
    install): compiling ~100 modules from source would be timed otherwise where
    PYTHONDONTWRITEBYTECODE is set. The cache is a directory of its own, filled by a
    first run that is not timed.
    """
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _PYCACHE.name

    def args() -> list[str]:
        return [sys.executable, "-c", STARTUP, str(time.monotonic())] + ([spec] if spec else [])

    if not os.listdir(_PYCACHE.name):
        subprocess.run(args(), capture_output=True, text=True, check=True, env=env)
    out = subprocess.run(args(), capture_output=True, text=True, check=True,
                         env=env).stdout.split()
    return float(out[0]), float(out[1])


def rows(quick: bool = False) -> list:
    """The README's TUI rows: start-up, key press to fully updated screen (median, p90, max)."""
    from bench.common import Row, ms

    steps = 20 if quick else 50
    runs = [startup(None) for _ in range(3 if quick else 5)]
    full = statistics.median(r[1] for r in runs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-big.toml"
        big_scenario(path, 60_000, steps)
        r = asyncio.run(time_keys(path, steps, (200, 50)))
        e = engine_only(path, steps)
    return [
        Row("TUI: start-up to the first full frame (`vmtui`, default scenario, 200x50)",
            ms(full), "", "", "< 500 ms", full < 0.5),
        Row(f"TUI: key press to fully updated screen, {r['vmas']:,} VMAs + {r['resident']:,} "
            f"resident pages, 200x50, {steps} steps: median", ms(r["median"]), "", "", "< 50 ms",
            r["median"] < 0.05),
        Row("the same: p90 / max", f"{ms(r['p90'])} / {ms(r['max'])}", "", "",
            "p90 < 100 ms, max < 1 s", r["p90"] < 0.1 and r["max"] < 1.0),
        Row("the same steps, engine alone (Player.forward): median", ms(e["median"])),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--vmas", type=int, default=60000)
    ap.add_argument("--size", default="200x50")
    ns = ap.parse_args()
    size = tuple(int(x) for x in ns.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-big.toml"
        big_scenario(path, ns.vmas, ns.steps)
        runs = [startup(None) for _ in range(3)]
        frame = statistics.median(r[0] for r in runs)
        full = statistics.median(r[1] for r in runs)
        print(f"start-up (`vmtui`, default scenario, 200x50): first paint {frame * 1000:.0f} ms, "
              f"first full frame {full * 1000:.0f} ms (target < 500 ms)")
        bframe, bfull = startup(str(path))
        print(f"start-up (big scenario file, step 0): first paint {bframe * 1000:.0f} ms, "
              f"first full frame {bfull * 1000:.0f} ms")
        r = asyncio.run(time_keys(path, ns.steps, size))  # type: ignore[arg-type]
        print(f"big scenario: {r['vmas']:,} VMAs, {r['resident']:,} pages in use "
              f"(setup to step 2: {r['setup']:.1f} s)")
        print(f"key press -> fully updated screen at {ns.size}, {ns.steps} steps: median "
              f"{r['median'] * 1000:.0f} ms, p90 {r['p90'] * 1000:.0f} ms, max "
              f"{r['max'] * 1000:.0f} ms (target median < 100 ms)")
        print(f"  (first paint of the step: median {r['first'] * 1000:.0f} ms; steps whose "
              f"RSS came in a follow-up: {r['rss_n']} of {ns.steps})")
        narrow = asyncio.run(time_keys(path, min(20, ns.steps), (80, 24)))
        print(f"key press -> fully updated screen at 80x24, {min(20, ns.steps)} steps: median "
              f"{narrow['median'] * 1000:.0f} ms")
        e = engine_only(path, ns.steps)
        print(f"engine alone (Player.forward, same steps): median {e['median'] * 1000:.0f} ms, "
              f"max {e['max'] * 1000:.0f} ms")
    print(f"(bench total {time.perf_counter() - T0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
