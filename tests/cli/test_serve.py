"""`vmtui serve`: argument checks, who may connect, and the TUI in a real (headless) browser.

The security tests talk to a `vmtui serve` on a loopback port with aiohttp's
client, as a foreign page in the same browser would: a websocket from another
Origin, one without the token, a Host that DNS rebinding would give, and one
session more than --max-sessions; each must be refused before any app starts.

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
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import vmtui
from tests.cli.conftest import CHROMIUM, Cdp, chromium, stop
from tests.conftest import DATA, ROOT
from vmtui.cli import main
from vmtui.commands import serve as serve_cmd
from vmtui.commands.serve import (
    Guard,
    allowed_hosts,
    parse_host,
    parse_port,
    parse_public_url,
    parse_sessions,
    tui_command,
    url_for,
)

HERE = Path(__file__).parent
SCENARIO = DATA / "serve_demo.toml"
STANDIN = HERE / "serve_standin.py"
STEP_RE = re.compile(r"\bstep\s+(\d+)", re.IGNORECASE)

#: Every wait in this file is bounded by one of these (seconds).
SERVER_START = 30.0
FIRST_SCREEN = 60.0
STEP_CHANGE = 30.0


def real_tui_exists() -> bool:
    """Whether the real TUI is there yet (else the test serves tests/cli/serve_standin.py)."""
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

    @pytest.mark.parametrize("n", ["0", "-1", "1001", "two", "", "٨"])
    def test_bad_max_sessions(self, n: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["serve", "--max-sessions", n]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "--max-sessions must be a number from 1 to 1000" in err

    @pytest.mark.parametrize("url", ["ftp://host", "http://", "http://host/path", "host:80",
                                     "http://host:99999", "http://host/?x=1"])
    def test_bad_public_url(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["serve", "--public-url", url]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "--public-url must be http://HOST[:PORT]" in err

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
        assert parse_sessions("4") == 4
        assert parse_public_url("https://vm.example.org/") == "https://vm.example.org"
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


URL_RE = re.compile(r"open (http://\S+/\?token=(\S+)) in a web browser")


@contextlib.contextmanager
def serving(tmp_path: Path, *extra: str, real: bool | None = None, cwd: Path | None = None
            ) -> Iterator[str]:
    """`vmtui serve` on a free loopback port; yields the URL it printed (with its token)
    once it answers. `real=False` serves tests/cli/serve_standin.py (a light app) instead of
    the TUI; `extra` are more arguments."""
    port = free_port()
    argv = [sys.executable, "-m", "vmtui.cli", "serve", "--port", str(port), *extra]
    if real is None:
        real = real_tui_exists()
    if not real:
        argv += ["--command", f"{sys.executable} {STANDIN} {SCENARIO}"]
    argv.append(str(SCENARIO))
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                            cwd=cwd or ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vmtui serve exited with {proc.returncode}: "
                            f"{log_path.read_text()}")
            printed = URL_RE.search(log_path.read_text())
            if printed:
                with contextlib.suppress(OSError), \
                        socket.create_connection(("127.0.0.1", port), 1):
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"vmtui serve did not listen within {SERVER_START}s")
            time.sleep(0.1)
        assert printed.group(1).startswith(f"http://127.0.0.1:{port}/?token=")
        yield printed.group(1)
    finally:
        stop(proc)
        log.close()


def split_url(url: str) -> tuple[str, str]:
    """http://HOST:PORT/?token=T -> ("http://HOST:PORT", "T")."""
    base, _, token = url.partition("/?token=")
    return base, token


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


# ------------------------------------------------------------------ who may connect


class TestGuard:
    """The rules, on their own: which Host, Origin and token a request may carry."""

    def test_loopback_names(self) -> None:
        g = Guard("t0ken", allowed_hosts("127.0.0.1", 8000, None), None)
        assert g.host_ok("127.0.0.1:8000") == "127.0.0.1:8000"
        assert g.host_ok("LOCALHOST:8000") == "localhost:8000"
        for bad in ("evil.example:8000", "127.0.0.1:8001", "127.0.0.1", "[::1]:8000",
                    "", None, "127.0.0.1:8000\"><script>", "user@127.0.0.1:8000"):
            assert g.host_ok(bad) is None, bad

    def test_every_interface_takes_ip_literals_only(self) -> None:
        g = Guard("t", allowed_hosts("0.0.0.0", 8000, None), None)
        assert g.host_ok("192.168.1.5:8000") == "192.168.1.5:8000"
        assert g.host_ok("[fe80::1]:8000") == "[fe80::1]:8000"
        assert g.host_ok("localhost:8000") == "localhost:8000"
        assert g.host_ok("rebind.evil.example:8000") is None  # DNS rebinding
        assert g.host_ok("192.168.1.5:9000") is None

    def test_public_url(self) -> None:
        public = "https://vm.example.org"
        g = Guard("t", allowed_hosts("127.0.0.1", 8000, public), public)
        assert g.host_ok("vm.example.org") == "vm.example.org:443"
        assert g.origin_ok("https://vm.example.org", "127.0.0.1:8000")
        assert not g.origin_ok("https://evil.example", "vm.example.org")

    def test_origin_is_the_site_asked(self) -> None:
        g = Guard("t", allowed_hosts("127.0.0.1", 8000, None), None)
        assert g.origin_ok("http://127.0.0.1:8000", "127.0.0.1:8000")
        assert g.origin_ok("http://localhost:8000", "localhost:8000")
        for origin in ("http://evil.example", "http://localhost:8000", "https://127.0.0.1:8000",
                       "http://127.0.0.1:8001", "null", "", None):
            assert not g.origin_ok(origin, "127.0.0.1:8000"), origin

    def test_token(self) -> None:
        g = Guard("s3cret", frozenset(), None)
        assert g.token_ok("s3cret")
        assert not g.token_ok("s3cre") and not g.token_ok("") and not g.token_ok(None)


class TestNetworkWarning:
    """--host other than loopback says, before serving, that the network can connect."""

    @pytest.fixture
    def no_listen(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        """Nothing really listens: the server's serve() returns at once."""
        served: list[str] = []

        class Stub:
            def serve(self) -> None:
                served.append("served")

        monkeypatch.setattr(serve_cmd, "check_listen", lambda host, port: None)
        monkeypatch.setattr(serve_cmd, "_server", lambda *a, **k: Stub())
        return served

    @pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5"])
    def test_warns(self, host: str, no_listen: list[str], capsys: pytest.CaptureFixture[str]
                   ) -> None:
        assert main(["serve", "--host", host, "--port", "8000"]) == 0
        out, err = capsys.readouterr()
        assert no_listen == ["served"]
        assert "WARNING" in err and "anyone who can reach this machine" in err
        assert host in err and "token=" in out

    @pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
    def test_loopback_is_quiet(self, host: str, no_listen: list[str],
                               capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["serve", "--host", host, "--port", "8000"]) == 0
        out, err = capsys.readouterr()
        assert err == "" and "token=" in out

    def test_token_is_fresh_each_start(self, no_listen: list[str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
        tokens = set()
        for _ in range(3):
            assert main(["serve", "--port", "8000"]) == 0
            printed = URL_RE.search(capsys.readouterr().out)
            assert printed is not None and len(printed.group(2)) >= 32
            tokens.add(printed.group(2))
        assert len(tokens) == 3


async def ws_status(url: str, **kwargs: Any) -> int:
    """Open a websocket; 101 if it was accepted (then closed), else the HTTP status."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url, **kwargs):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


class TestServedOnLoopback:
    """A real `vmtui serve` (serving the light stand-in app) refuses what it must."""

    async def test_page_needs_the_token(self, tmp_path: Path) -> None:
        import aiohttp

        with serving(tmp_path, real=False) as url:
            base, token = split_url(url)
            async with aiohttp.ClientSession() as http:
                for bad in (f"{base}/", f"{base}/?token=", f"{base}/?token={token[:-1]}"):
                    async with http.get(bad) as resp:
                        assert resp.status == 403, bad
                        assert "printed when it started" in await resp.text()
                async with http.get(url) as resp:
                    assert resp.status == 200
                    assert resp.headers["Referrer-Policy"] == "no-referrer"
                    page = await resp.text()
                ws_url = f"ws://{base.split('//')[1]}/ws/{token}"
                assert f'data-session-websocket-url="{ws_url}"' in page
                # DNS rebinding: the same socket, asked under a foreign name
                async with http.get(url, headers={"Host": "rebind.example:80"}) as resp:
                    assert resp.status == 403

    async def test_websocket_refusals(self, tmp_path: Path) -> None:
        with serving(tmp_path, real=False) as url:
            base, token = split_url(url)
            ws = base.replace("http://", "ws://")
            netloc = base.split("//")[1]
            assert await ws_status(f"{ws}/ws/{token}", origin="http://evil.example") == 403
            assert await ws_status(f"{ws}/ws/{token}", origin=f"https://{netloc}") == 403
            assert await ws_status(f"{ws}/ws/{token}") == 403  # no Origin at all
            assert await ws_status(f"{ws}/ws", origin=base) == 403
            assert await ws_status(f"{ws}/ws/{token[:-1]}x", origin=base) == 403
            assert await ws_status(f"{ws}/ws/{token}", origin="http://rebind.example",
                                   headers={"Host": "rebind.example"}) == 403
            # and the right one is let in
            assert await ws_status(f"{ws}/ws/{token}", origin=base) == 101

    async def test_session_cap(self, tmp_path: Path) -> None:
        import aiohttp

        with serving(tmp_path, "--max-sessions", "2", real=False) as url:
            base, token = split_url(url)
            ws_url = base.replace("http://", "ws://") + f"/ws/{token}"
            async with aiohttp.ClientSession() as http:
                first = await http.ws_connect(ws_url, origin=base)
                second = await http.ws_connect(ws_url, origin=base)
                assert await ws_status(ws_url, origin=base) == 503  # session 3 of 2
                await first.close()
                # the seat comes free once the server has seen the close
                deadline = time.monotonic() + SERVER_START
                while (status := await ws_status(ws_url, origin=base)) == 503:
                    assert time.monotonic() < deadline, "the closed session kept its seat"
                    await asyncio.sleep(0.2)
                assert status == 101
                await second.close()


async def test_screenshot_goes_to_the_browser(tmp_path: Path) -> None:
    """GIVEN the TUI served from a directory, WHEN the browser user presses `s`, THEN the
    SVG comes to the browser as a download and nothing is written on the server."""
    import aiohttp

    workdir = tmp_path / "server-cwd"
    workdir.mkdir()
    with serving(tmp_path, real=True, cwd=workdir) as url:
        base, token = split_url(url)
        ws_url = base.replace("http://", "ws://") + f"/ws/{token}?width=120&height=40"
        async with aiohttp.ClientSession() as http, \
                http.ws_connect(ws_url, origin=base) as ws:
            drawn = 0
            deadline = time.monotonic() + FIRST_SCREEN
            while drawn < 2000:  # the first frame of the app
                msg = await asyncio.wait_for(ws.receive(), deadline - time.monotonic())
                assert msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), msg
                if msg.type == aiohttp.WSMsgType.BINARY:
                    drawn += len(msg.data)
            await ws.send_str(json.dumps(["stdin", "s"]))
            key = None
            deadline = time.monotonic() + STEP_CHANGE
            while key is None:
                msg = await asyncio.wait_for(ws.receive(), deadline - time.monotonic())
                if msg.type == aiohttp.WSMsgType.TEXT:
                    kind, *rest = json.loads(msg.data)
                    if kind == "deliver_file_start":
                        key = rest[0]
            async with http.get(f"{base}/download/{key}") as resp:
                assert resp.status == 200
                assert "attachment" in resp.headers["Content-Disposition"]
                assert resp.headers["Content-Disposition"].endswith("-step000.svg")
                body = await resp.text()
            assert body.startswith("<svg") and "</svg>" in body
    assert list(workdir.iterdir()) == []


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
