"""Helpers of the CLI's tests (tests/cli): headless Chromium driven over the DevTools
protocol (Debian's /usr/bin/chromium, installed by .ci/install-browser), for the browser
tests of `vmtui serve` and `vmtui slides`, and stopping a process group."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"

#: How long Chromium may take to offer its DevTools endpoint (seconds): a bound, not a
#: timed assertion.
BROWSER_START = 30.0


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
