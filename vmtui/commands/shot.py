"""`vmtui shot SCENARIO --step N -o FILE.svg`: a screenshot of the TUI, rendered headless."""

from __future__ import annotations

import argparse
import asyncio
import re

from vmtui.commands.common import add_lang, fail, resolve_lang
from vmtui.scenario.loader import ScenarioError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("shot", help="save an SVG screenshot of the TUI at a step",
                       description="Render the TUI headless at a step of a scenario and "
                       "save the screen as SVG (for slides and the README).")
    p.add_argument("scenario", help="built-in name or path to a .toml file")
    p.add_argument("--step", type=int, default=0, help="the step to show (default 0)")
    p.add_argument("-o", "--output", required=True, help="the SVG file to write")
    p.add_argument("--size", default="160x48", help="terminal size COLSxROWS (default 160x48)")
    p.add_argument("--theme", choices=("dark", "light"), default="dark")
    p.add_argument("--page", choices=("map", "tree", "walk", "ram", "reclaim", "kernel"),
                   default=None, help="the page to show on a small terminal")
    p.add_argument("--focus", default=None, help="focus this pane (e.g. walk, phys)")
    p.add_argument("--zoom", action="store_true", help="zoom the focused pane")
    p.add_argument("--select", type=int, default=None, help="select this VMA index")
    add_lang(p)
    p.set_defaults(func=run)


def parse_size(text: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if not m:
        return None
    w, h = int(m.group(1)), int(m.group(2))
    if not (40 <= w <= 400 and 12 <= h <= 200):
        return None
    return w, h


async def render(app, size: tuple[int, int], output: str, page: str | None,  # type: ignore[no-untyped-def]
                 focus: str | None, zoom: bool, select: int | None) -> str:
    async with app.run_test(size=size) as pilot:
        app.animation_level = "none"
        await app.workers.wait_for_complete()
        await pilot.pause()
        if page:
            app.action_page(page)
        if select is not None:
            from vmtui.ui.messages import VmaChosen

            app.post_message(VmaChosen(select))
            await pilot.pause()
            await app.workers.wait_for_complete()
        if focus:
            app.query_one(f"#{focus}").focus()
        if zoom:
            app.action_zoom()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        return app.save_screenshot(output, path=".") if "/" not in output else \
            app.save_screenshot(output.rsplit("/", 1)[1], path=output.rsplit("/", 1)[0])


def run(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    if size is None:
        return fail(f"vmtui shot: --size {args.size!r}: expected COLSxROWS like 160x48 "
                    "(40..400 x 12..200)")
    if not args.output.endswith(".svg"):
        return fail("vmtui shot: -o must name an .svg file")
    from vmtui.commands.tui import open_scenario

    try:
        sc = open_scenario(args.scenario)
    except ScenarioError as e:
        return fail(f"vmtui shot: {e.render()}")
    if not 0 <= args.step <= len(sc.steps):
        return fail(f"vmtui shot: --step {args.step} is outside 0..{len(sc.steps)}")
    from vmtui.ui.app import VmtuiApp

    app = VmtuiApp(sc, lang=resolve_lang(args), theme=args.theme, start_step=args.step)
    try:
        path = asyncio.run(render(app, size, args.output, args.page, args.focus, args.zoom,
                                  args.select))
    except OSError as e:
        return fail(f"vmtui shot: cannot write {args.output}: {e.strerror}")
    print(path)
    return 0
