"""`vmtui serve`: argument checks, and the TUI driven in a real (headless) browser.

The browser test starts `vmtui serve` on a free loopback port, opens the page
in Debian's Chromium (/usr/bin/chromium, installed by .ci/install-browser)
over the DevTools protocol (aiohttp's websocket client: aiohttp comes with
textual-serve), waits for the terminal to show "step N", presses `n` and waits
for the step to change. It reads the screen from xterm.js's own buffer: the
page draws on a canvas, so there is no text in the DOM to read; a hook added
before the page loads keeps the xterm.js Terminal that textual-serve's
textual.js creates (its only `this.terminal = new Terminal(...)`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import vmtui
from vmtui.cli import main
from vmtui.commands.serve import parse_host, parse_port, tui_command, url_for

CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).parent
SCENARIO = HERE / "data" / "serve_demo.toml"
STANDIN = HERE / "serve_standin.py"
STEP_RE = re.compile(r"\bstep\s+(\d+)", re.IGNORECASE)

#: Every wait in this file is bounded by one of these (seconds).
SERVER_START = 30.0
BROWSER_START = 30.0
FIRST_SCREEN = 60.0
STEP_CHANGE = 30.0


def real_tui_exists() -> bool:
    """Whether the real TUI is there yet (else the test serves tests/serve_standin.py)."""
    pkg = Path(vmtui.__file__).parent
    return (pkg / "commands" / "tui.py").exists() and (pkg / "ui" / "app.py").exists()


# ------------------------------------------------------------------ arguments


class TestArguments:
    """Bad arguments are one line on stderr and exit status 2, before anything listens."""

    @pytest.mark.parametrize("port", ["0", "-1", "65536", "http", "80.5", ""])
    def test_bad_port(self, port: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["serve", "--port", port]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "--port must be a number from 1 to 65535" in err

    @pytest.mark.parametrize("host", ["example.org", "127.0.0.256", "my host", ""])
    def test_host_not_an_address(self, host: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["serve", "--host", host]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "--host must be an IP address" in err

    def test_port_in_use(self, capsys: pytest.CaptureFixture[str]) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            assert main(["serve", "--port", str(port)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"cannot listen on http://127.0.0.1:{port}" in err

    def test_unknown_scenario(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["serve", "--port", str(free_port()), "no-such-scenario-here"]) == 2
        assert "no built-in scenario" in capsys.readouterr().err

    def test_parsers(self) -> None:
        assert parse_port("8000") == 8000
        assert parse_host("127.0.0.1") == "127.0.0.1"
        assert parse_host("[::1]") == "::1"
        assert parse_host("localhost") == "localhost"
        assert url_for("::1", 8000) == "http://[::1]:8000"
        assert url_for("0.0.0.0", 80) == "http://127.0.0.1:80"

    def test_command_runs_vmtui_with_this_python(self) -> None:
        cmd = tui_command(str(SCENARIO))
        assert cmd.startswith(f"{sys.executable} -m vmtui.cli ")
        assert cmd.endswith(str(SCENARIO.resolve()))
        assert tui_command(None) == f"{sys.executable} -m vmtui.cli"

    def test_python_m_vmtui_cli_works(self) -> None:
        out = subprocess.run([sys.executable, "-m", "vmtui.cli", "--help"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
        assert "serve" in out


# ------------------------------------------------------------------ helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextlib.contextmanager
def serving(tmp_path: Path) -> Iterator[str]:
    """`vmtui serve` on a free loopback port; yields its URL once it answers."""
    port = free_port()
    argv = [sys.executable, "-m", "vmtui.cli", "serve", "--port", str(port)]
    if not real_tui_exists():
        argv += ["--command", f"{sys.executable} {STANDIN} {SCENARIO}"]
    argv.append(str(SCENARIO))
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=HERE.parent,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vmtui serve exited with {proc.returncode}: "
                            f"{(tmp_path / 'serve.log').read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"vmtui serve did not listen within {SERVER_START}s")
            time.sleep(0.1)
        yield url
    finally:
        stop(proc)
        log.close()


class Cdp:
    """A minimal Chrome DevTools Protocol client over one websocket (one page target)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, timeout: float = 20.0, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        msg_id = self.next_id
        await self.ws.send_str(json.dumps({"id": msg_id, "method": method, "params": params}))

        async def answer() -> dict[str, Any]:
            while True:
                msg = json.loads((await self.ws.receive()).data)
                if msg.get("id") == msg_id:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    return dict(msg.get("result", {}))

        return await asyncio.wait_for(answer(), timeout)

    async def evaluate(self, expression: str) -> Any:
        res = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return res.get("result", {}).get("value")

    async def press(self, key: str) -> None:
        """A real key press: keyDown (with its text) then keyUp, as a keyboard makes them."""
        code = f"Key{key.upper()}"
        vk = ord(key.upper())
        await self.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=code, text=key,
                        unmodifiedText=key, windowsVirtualKeyCode=vk)
        await self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code,
                        windowsVirtualKeyCode=vk)


#: Runs before textual.js: catches the first `x.terminal = ...` (textual.js's xterm.js
#: Terminal), keeps it in window.__vmtuiTerminal, then removes itself.
KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    delete Object.prototype.terminal;
    Object.defineProperty(this, "terminal",
      {value, writable: true, configurable: true, enumerable: true});
    window.__vmtuiTerminal = value;
  },
});
"""

#: The text on screen, one line per terminal row: from xterm.js's buffer, or from the DOM
#: renderer's rows when xterm.js draws with it (no WebGL and no canvas).
READ_SCREEN = """
(() => {
  const t = window.__vmtuiTerminal;
  if (t && t.buffer && t.buffer.active) {
    const b = t.buffer.active, rows = [];
    for (let y = 0; y < t.rows; y++) {
      const line = b.getLine(b.viewportY + y);
      rows.push(line ? line.translateToString(true) : "");
    }
    return rows.join("\\n");
  }
  const dom = document.querySelector(".xterm-rows");
  return dom ? Array.from(dom.children, r => r.textContent).join("\\n") : "";
})()
"""


@contextlib.asynccontextmanager
async def chromium(tmp_path: Path) -> AsyncIterator[Cdp]:
    """Headless Chromium with a fresh profile; yields a DevTools client on its page."""
    import aiohttp

    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            "--window-size=1200,800", "about:blank"]
    log = (tmp_path / "chromium.log").open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + BROWSER_START
        while not (active.exists() and active.read_text().count("\n") >= 1):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("chromium did not start its DevTools endpoint: "
                            f"{(tmp_path / 'chromium.log').read_text()[-2000:]}")
            await asyncio.sleep(0.1)
        port = int(active.read_text().splitlines()[0])
        async with aiohttp.ClientSession() as http:
            page_ws = None
            while page_ws is None:
                async with http.get(f"http://127.0.0.1:{port}/json/list") as resp:
                    targets = await resp.json(content_type=None)
                page_ws = next((t["webSocketDebuggerUrl"] for t in targets
                                if t.get("type") == "page"), None)
                if page_ws is None:
                    if time.monotonic() > deadline:
                        pytest.fail("chromium has no page to drive")
                    await asyncio.sleep(0.1)
            async with http.ws_connect(page_ws, max_msg_size=0) as ws:
                yield Cdp(ws)
    finally:
        stop(proc)
        log.close()


async def wait_for_step(cdp: Cdp, timeout: float, unlike: int | None = None
                        ) -> tuple[int, str]:
    """Poll the screen until it shows "step N" (with N != `unlike`); returns N and the screen."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = await cdp.evaluate(READ_SCREEN) or ""
        m = STEP_RE.search(screen)
        if m and int(m.group(1)) != unlike:
            return int(m.group(1)), screen
        await asyncio.sleep(0.2)
    want = "a step" if unlike is None else f"a step other than {unlike}"
    pytest.fail(f"the page did not show {want} within {timeout}s; the screen was:\n{screen}")


# ------------------------------------------------------------------ the browser test


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                    reason="needs Debian's chromium at /usr/bin/chromium "
                    "(`bash .ci/install-browser` installs it)")
async def test_browser_steps_the_tui(tmp_path: Path) -> None:
    """GIVEN `vmtui serve` and a browser on its page, WHEN the terminal shows "step N" and
    the user presses `n`, THEN the screen shows a later step."""
    with serving(tmp_path) as url:
        async with chromium(tmp_path) as cdp:
            await cdp.call("Page.enable")
            await cdp.call("Page.addScriptToEvaluateOnNewDocument", source=KEEP_TERMINAL)
            await cdp.call("Page.navigate", url=url)
            first, screen = await wait_for_step(cdp, FIRST_SCREEN)
            # the keys go to xterm.js's hidden textarea, as they do after a click on the page
            await cdp.evaluate("window.__vmtuiTerminal && window.__vmtuiTerminal.focus()")
            await cdp.press("n")
            later, screen = await wait_for_step(cdp, STEP_CHANGE, unlike=first)
            assert later > first, screen
