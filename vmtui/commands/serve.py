"""`vmtui serve [--host ADDR] [--port N] [SCENARIO]`: the TUI in a web browser.

textual-serve runs one `vmtui [SCENARIO]` per browser tab (with the same
Python interpreter, so the installed vmtui is the one served) and streams it
to an xterm.js terminal in the page. It listens on loopback unless told
otherwise: a lecture machine should not offer a shell-like app to the room's
network by accident.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import socket
import sys
from pathlib import Path

from vmtui.commands.common import fail

PROG = "vmtui serve"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `serve` subcommand."""
    p = sub.add_parser(
        "serve",
        help="serve the TUI to a web browser",
        description="Serve the vmtui TUI to web browsers: each browser tab gets its own "
        "`vmtui [SCENARIO]`, drawn in a terminal inside the page. Listens on "
        f"{DEFAULT_HOST} (this machine only) unless --host says otherwise.",
    )
    p.add_argument("scenario", nargs="?", metavar="SCENARIO",
                   help="built-in name or path to a .toml file (default: the TUI's default)")
    p.add_argument("--host", default=DEFAULT_HOST, metavar="ADDR",
                   help=f"IP address to listen on (default {DEFAULT_HOST}; 0.0.0.0 or :: for "
                   "every interface)")
    p.add_argument("--port", default=str(DEFAULT_PORT), metavar="N",
                   help=f"TCP port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--public-url", metavar="URL",
                   help="the URL browsers reach the server at, when it is not http://HOST:PORT "
                   "(behind a proxy, or with --host 0.0.0.0)")
    # A different command to serve instead of `vmtui [SCENARIO]` (tests use a stand-in app).
    p.add_argument("--command", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def parse_port(text: str) -> int:
    """A TCP port 1..65535; ValueError says what is wrong."""
    try:
        port = int(text, 10)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be a number from 1 to 65535, not {text!r}")
    return port


def parse_host(text: str) -> str:
    """An IPv4 or IPv6 address (or `localhost`); ValueError says what is wrong."""
    if text == "localhost":
        return text
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise ValueError(f"--host must be an IP address such as 127.0.0.1 or ::1, "
                         f"not {text!r}") from None


def url_for(host: str, port: int) -> str:
    """http://HOST:PORT, with IPv6 in brackets; the unspecified address becomes loopback."""
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def tui_command(scenario: str | None) -> str:
    """The shell command textual-serve runs per browser tab: `vmtui [SCENARIO]`."""
    argv = [sys.executable, "-m", "vmtui.cli"]
    if scenario:
        path = Path(scenario)
        argv.append(str(path.resolve()) if path.exists() else scenario)
    return shlex.join(argv)


def check_listen(host: str, port: int) -> None:
    """Bind once now, so a busy port or a foreign address is one clear line, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # aiohttp sets SO_REUSEADDR too: a port in TIME_WAIT is fine, one in use is not
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))


def run(args: argparse.Namespace) -> int:
    """Check the arguments, print the URL, and serve until Ctrl+C."""
    try:
        port = parse_port(args.port)
        host = parse_host(args.host)
    except ValueError as exc:
        return fail(f"{PROG}: {exc}")
    if args.command:
        command = args.command
    else:
        if args.scenario:
            from vmtui.scenario.loader import ScenarioError, load_scenario

            try:
                load_scenario(args.scenario)
            except ScenarioError as exc:
                return fail(exc.render())
        command = tui_command(args.scenario)
    try:
        check_listen(host, port)
    except OSError as exc:
        return fail(f"{PROG}: cannot listen on {url_for(host, port)}: "
                    f"{exc.strerror or exc}")
    url = args.public_url or url_for(host, port)
    print(f"{PROG}: open {url} in a web browser (Ctrl+C stops)", flush=True)
    server = _server(command, host, port, url)
    try:
        server.serve()
    except OSError as exc:  # lost the race for the port since check_listen
        return fail(f"{PROG}: cannot listen on {url}: {exc.strerror or exc}")
    return 0


def _server(command: str, host: str, port: int, url: str):  # type: ignore[no-untyped-def]
    """A textual-serve Server that prints no banner of its own (run() printed the URL)."""
    from textual_serve.server import Server

    class QuietServer(Server):
        async def on_startup(self, app: object) -> None:  # noqa: D102 - the banner
            return None

    return QuietServer(command, host=host, port=port, title="vmtui", public_url=url)
