"""`vmtui slides SCENARIO -o DIR`: every step's screenshot and one HTML file to present them.

One headless app walks the scenario from step 0 to the end (a step at a time, as `n` does
in the TUI) and saves the screen after each step as SVG (`vmtui shot`'s rendering), and
as PNG when rsvg-convert is installed. The HTML file embeds every SVG as a data URI and
the narration as text, so it needs neither a terminal nor the network: the arrow keys
(or space, PageUp/PageDown, Home/End, a click) step through it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmtui.commands.common import add_lang, fail, resolve_lang
from vmtui.scenario.loader import ScenarioError, pick

PNG_TIMEOUT = 60.0
"""Seconds rsvg-convert may take for one screenshot."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("slides", help="write every step's screenshot and an HTML slide show",
                       description="Render the TUI headless at every step of a scenario: "
                       "one SVG per step (and PNG when rsvg-convert is installed) and one "
                       "self-contained HTML file that steps through them with the arrow "
                       "keys, the narration under each.")
    p.add_argument("scenario", help="built-in name or path to a .toml file")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="the folder to write into (made if missing)")
    p.add_argument("--size", default="160x48", help="terminal size COLSxROWS (default 160x48)")
    p.add_argument("--theme", choices=("dark", "light"), default="dark")
    p.add_argument("--no-png", action="store_true", help="SVG only, even with rsvg-convert")
    add_lang(p)
    p.set_defaults(func=run)


@dataclass
class Slide:
    """One step: its screenshot's file name and SVG text, and what the narration says."""

    image: str
    svg: str
    head: str
    command: str
    result: str
    ok: bool
    say: str


def safe_stem(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem)


async def capture(app: Any, size: tuple[int, int], total: int) -> list[tuple[str, Any]]:
    """Every step's screen (SVG) and snapshot, stepping with the TUI's own `n`."""
    out: list[tuple[str, Any]] = []
    async with app.run_test(size=size) as pilot:
        app.animation_level = "none"
        for step in range(total + 1):
            if step:
                await pilot.press("n")
            for _ in range(200):
                await app.workers.wait_for_complete()
                await pilot.pause()
                snap = app.snapshot
                if snap is not None and snap.position == step and not app._busy and \
                        not app._queue and app._target is None:
                    break
            else:
                raise RuntimeError(f"step {step} did not finish")
            await pilot.pause()
            out.append((app.export_screenshot(), app.snapshot))
    return out


def narration(snap: Any, lang: str) -> tuple[str, str, str, bool, str]:
    """(head, command, result, ok, say) of a snapshot, as the narration pane words them."""
    from vmtui.view.i18n import t, tr, translate_result

    if snap.position == 0:
        summary = pick(snap.summary, lang) if snap.summary else ""
        return pick(snap.title, lang), "", "", True, summary
    head = f"{t('step', lang)} {snap.position}/{snap.total}"
    stitle = pick(snap.step_title, lang) if snap.step_title else ""
    if stitle:
        head += f" · {stitle}"
    result = translate_result(snap.result, lang)
    if snap.expect is not None:
        result += (" " + tr("✓ as expected", lang) if snap.expect_ok else
                   f" {tr('✗ expected', lang)} {snap.expect}")
    say = pick(snap.say, lang) if snap.say else ""
    return head, snap.do, result, snap.result_kind == "ok", say


def no_network(svg: str) -> str:
    """The SVG without Rich's web-font URL: the slides must not reach for the network."""
    return re.sub(r',?\s*url\("?https?://[^)]*\)\s*format\("[^"]*"\)', "", svg)


def page(title: str, slides: list[Slide], lang: str) -> str:
    """The HTML slide show: one <section> per step, one shown at a time."""
    from vmtui.view.i18n import t

    sections = []
    for i, s in enumerate(slides):
        data = base64.b64encode(no_network(s.svg).encode("utf-8")).decode("ascii")
        cmd = ""
        if s.command:
            cmd = (f'<p class="cmd"><code>$ {html.escape(s.command)}</code> → '
                   f'<span class="{"ok" if s.ok else "fail"}">{html.escape(s.result)}</span></p>')
        say = "".join(f"<p>{html.escape(p)}</p>" for p in s.say.split("\n") if p.strip())
        sections.append(
            f'<section class="slide" id="s{i}" data-step="{i}"{"" if i == 0 else " hidden"}>'
            f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(s.head)}">'
            f'<div class="narration"><h2>{html.escape(s.head)}</h2>{cmd}{say}</div>'
            "</section>")
    hint = html.escape(t("slides_keys", lang))
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{html.escape(title)}</title>
<style>
html, body {{ margin: 0; height: 100%; background: #111; color: #eee;
  font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", "DejaVu Sans", sans-serif; }}
.slide {{ display: flex; flex-direction: column; height: 100vh; box-sizing: border-box;
  padding: 1vh 2vw; }}
.slide[hidden] {{ display: none; }}
.slide img {{ flex: 1 1 auto; min-height: 0; object-fit: contain; width: 100%; }}
.narration {{ flex: 0 0 auto; max-height: 32vh; overflow-y: auto; font-size: 2.2vh;
  line-height: 1.4; }}
.narration h2 {{ font-size: 2.6vh; margin: 0.6vh 0; }}
.narration p {{ margin: 0.4vh 0; }}
.cmd code {{ color: #7fd4ff; }}
.ok {{ color: #8be28b; }} .fail {{ color: #ff8080; }}
#pos {{ position: fixed; right: 1vw; bottom: 0.5vh; font-size: 1.6vh; color: #999; }}
</style>
</head>
<body>
{"".join(sections)}
<div id="pos" title="{hint}"></div>
<script>
(function () {{
  var slides = document.querySelectorAll(".slide");
  var pos = document.getElementById("pos");
  var current = 0;
  function show(i) {{
    current = Math.max(0, Math.min(slides.length - 1, i));
    slides.forEach(function (s, k) {{ s.hidden = k !== current; }});
    pos.textContent = current + " / " + (slides.length - 1);
    if (location.hash !== "#" + current) history.replaceState(null, "", "#" + current);
  }}
  window.vmtuiSlide = function () {{ return current; }};
  document.addEventListener("keydown", function (e) {{
    var k = e.key;
    if (k === "ArrowRight" || k === "PageDown" || k === " " || k === "n") show(current + 1);
    else if (k === "ArrowLeft" || k === "PageUp" || k === "Backspace" || k === "b")
      show(current - 1);
    else if (k === "Home") show(0);
    else if (k === "End") show(slides.length - 1);
    else return;
    e.preventDefault();
  }});
  document.addEventListener("click", function () {{ show(current + 1); }});
  var start = parseInt(location.hash.slice(1), 10);
  show(isNaN(start) ? 0 : start);
}})();
</script>
</body>
</html>
"""


def to_png(svg_path: Path) -> Path | None:
    """SVG -> PNG with rsvg-convert; None when it is missing or fails."""
    exe = shutil.which("rsvg-convert")
    if exe is None:
        return None
    png = svg_path.with_suffix(".png")
    try:
        subprocess.run([exe, "-o", str(png), str(svg_path)], check=True, timeout=PNG_TIMEOUT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.SubprocessError):
        return None
    return png


def run(args: argparse.Namespace) -> int:
    from vmtui.commands.shot import parse_size

    size = parse_size(args.size)
    if size is None:
        return fail(f"vmtui slides: --size {args.size!r}: expected COLSxROWS like 160x48 "
                    "(40..400 x 12..200)")
    from vmtui.commands.tui import open_scenario

    try:
        sc = open_scenario(args.scenario)
    except ScenarioError as e:
        return fail(f"vmtui slides: {e.render()}")
    out = Path(args.output).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return fail(f"vmtui slides: cannot make the folder {args.output}: "
                    f"{e.strerror or e}")
    if not out.is_dir():
        return fail(f"vmtui slides: {args.output} is not a folder")
    lang = resolve_lang(args)
    from vmtui.ui.app import VmtuiApp

    app = VmtuiApp(sc, lang=lang, theme=args.theme)
    shots = asyncio.run(capture(app, size, len(sc.steps)))
    stem = safe_stem(sc.name)
    slides: list[Slide] = []
    pngs = 0
    for svg, snap in shots:
        name = f"{stem}-step{snap.position:03d}.svg"
        path = out / name
        try:
            path.write_text(svg, encoding="utf-8")
        except OSError as e:
            return fail(f"vmtui slides: cannot write {path}: {e.strerror or e}")
        if not args.no_png and to_png(path) is not None:
            pngs += 1
        head, command, result, ok, say = narration(snap, lang)
        slides.append(Slide(name, svg, head, command, result, ok, say))
    html_path = out / f"{stem}.html"
    try:
        html_path.write_text(page(pick(sc.title, lang) or sc.name, slides, lang),
                             encoding="utf-8")
    except OSError as e:
        return fail(f"vmtui slides: cannot write {html_path}: {e.strerror or e}")
    print(f"{len(slides)} SVG" + (f", {pngs} PNG" if pngs else "") +
          f" and the slide show: {html_path.resolve()}")
    return 0
