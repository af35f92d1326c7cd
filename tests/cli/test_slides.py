"""`vmtui slides SCENARIO -o DIR`: one screenshot per step and an HTML slide show.

The expected counts come from the scenario file (fork-cow has 11 [[step]]s: 12 slides with
step 0) and its narration; the browser test opens the HTML file in headless Chromium (the
same browser and DevTools client as tests/cli/test_serve.py) and presses the right arrow.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tomllib
from html import escape
from pathlib import Path

import pytest

from tests.cli.conftest import CHROMIUM, chromium
from tests.conftest import ROOT
from vmtui.cli import main
from vmtui.scenario.loader import builtin_names


def fork_cow() -> dict:
    return tomllib.loads((ROOT / "scenarios" / "fork-cow.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def slides_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("slides")
    assert main(["slides", "fork-cow", "-o", str(out), "--lang", "en"]) == 0
    return out


def test_one_image_per_step_and_an_html_file(slides_dir: Path, capsys) -> None:
    steps = len(fork_cow()["step"])
    svgs = sorted(slides_dir.glob("*.svg"))
    assert [p.name for p in svgs] == [f"fork-cow-step{i:03d}.svg" for i in range(steps + 1)]
    if shutil.which("rsvg-convert"):
        pngs = sorted(slides_dir.glob("*.png"))
        assert len(pngs) == steps + 1
        assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    html = (slides_dir / "fork-cow.html").read_text(encoding="utf-8")
    assert html.count('<section class="slide"') == steps + 1


def test_each_screenshot_shows_its_step(slides_dir: Path) -> None:
    """The status bar of slide N says step N/11 (the TUI stepped for real)."""
    steps = len(fork_cow()["step"])
    for i in range(steps + 1):
        svg = (slides_dir / f"fork-cow-step{i:03d}.svg").read_text(encoding="utf-8")
        text = re.sub(r"&#160;", " ", svg)
        assert f"step&#160;{i}/{steps}" in svg or f"step {i}/{steps}" in text, i


def test_html_is_self_contained_with_the_narration(slides_dir: Path) -> None:
    html = (slides_dir / "fork-cow.html").read_text(encoding="utf-8")
    # no network: every image is a data URI, no URL to fetch anything
    assert not re.search(r"""(?:src|href)=(?!["']?(?:data:|#))""", html)
    assert "http://" not in html and "https://" not in html
    imgs = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(imgs) == len(fork_cow()["step"]) + 1
    assert base64.b64decode(imgs[0]).startswith(b"<svg")
    # the narration of every step, as the scenario words it (HTML-escaped)
    for step in fork_cow()["step"]:
        first = step["say"]["en"].split(". ")[0]
        assert escape(first) in html, first
        do = step["do"] if isinstance(step["do"], str) else "; ".join(step["do"])
        assert escape(do) in html, do


def test_chinese_narration(tmp_path: Path) -> None:
    assert main(["slides", "fork-cow", "-o", str(tmp_path), "--lang", "zh", "--no-png"]) == 0
    html = (tmp_path / "fork-cow.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html
    for step in fork_cow()["step"]:
        assert step["say"]["zh"][:20] in html
    assert not list(tmp_path.glob("*.png"))


def test_bad_input_is_a_clear_message(tmp_path: Path, capsys) -> None:
    assert main(["slides", "no-such-scenario", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no-such-scenario" in err and "Traceback" not in err
    afile = tmp_path / "file"
    afile.write_text("x")
    assert main(["slides", "fork-cow", "-o", str(afile / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot make the folder" in err and "Traceback" not in err
    assert main(["slides", "fork-cow", "-o", str(tmp_path), "--size", "10x10"]) == 2
    assert "--size" in capsys.readouterr().err
    assert "fork-cow" in builtin_names()


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                    reason="needs Debian's chromium at /usr/bin/chromium "
                    "(`bash .ci/install-browser` installs it)")
async def test_right_arrow_advances_a_slide_in_chromium(slides_dir: Path,
                                                        tmp_path: Path) -> None:
    """GIVEN the slide show open in headless Chromium at its first slide, WHEN the right
    arrow key is pressed, THEN the second slide (step 1) shows and the first is hidden;
    the left arrow goes back."""
    url = (slides_dir / "fork-cow.html").as_uri()
    shown = ("Array.from(document.querySelectorAll('.slide'))"
             ".filter(s => !s.hidden).map(s => s.dataset.step).join(',')")
    heading = "document.querySelector('.slide:not([hidden]) h2').textContent"
    async with chromium(tmp_path) as cdp:
        await cdp.call("Page.enable")
        await cdp.call("Page.navigate", url=url)
        for _ in range(100):
            if await cdp.evaluate("document.readyState") == "complete" and \
                    await cdp.evaluate(shown) == "0":
                break
            await cdp.evaluate("new Promise(r => setTimeout(r, 50))")
        assert await cdp.evaluate(shown) == "0"
        assert await cdp.evaluate(heading) == "fork() and copy-on-write"

        async def key(name: str, code: int) -> None:
            for kind in ("rawKeyDown", "keyUp"):
                await cdp.call("Input.dispatchKeyEvent", type=kind, key=name, code=name,
                               windowsVirtualKeyCode=code, nativeVirtualKeyCode=code)

        await key("ArrowRight", 39)
        assert await cdp.evaluate(shown) == "1"
        assert (await cdp.evaluate(heading)).startswith("step 1/11")
        # the image shown is a loaded picture, not a broken link
        assert await cdp.evaluate(
            "(() => { const i = document.querySelector('.slide:not([hidden]) img');"
            " return i.complete && i.naturalWidth > 0; })()")
        await key("ArrowLeft", 37)
        assert await cdp.evaluate(shown) == "0"
