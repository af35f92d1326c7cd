"""`vmtui serve [--host ADDR] [--port N] [--max-sessions N] [SCENARIO]`: the TUI in a browser.

textual-serve runs one `vmtui [SCENARIO]` per browser tab (with the same
Python interpreter, so the installed vmtui is the one served) and streams it
to an xterm.js terminal in the page. It listens on loopback unless told
otherwise: a lecture machine should not offer a shell-like app to the room's
network by accident.

Any web page open in the same browser can reach a loopback server, so the
server lets in only the URL it printed: the page and the websocket need the
random token in that URL, the websocket's Origin must be the served site and
every request's Host one of its names (a page that renamed itself to 127.0.0.1
by DNS rebinding is refused), and at most `--max-sessions` apps run at once.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import secrets
import shlex
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vmtui.commands.common import fail

PROG = "vmtui serve"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_SESSIONS = 4  # each session is a Python process running the TUI
MAX_SESSIONS = 1000


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
    p.add_argument("--max-sessions", default=str(DEFAULT_SESSIONS), metavar="N",
                   help=f"browser tabs served at once; one more is refused (default "
                   f"{DEFAULT_SESSIONS})")
    p.add_argument("--public-url", metavar="URL",
                   help="the URL browsers reach the server at, when it is not http://HOST:PORT "
                   "(behind a proxy, or with --host 0.0.0.0)")
    # A different command to serve instead of `vmtui [SCENARIO]` (tests use a stand-in app).
    p.add_argument("--command", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def parse_port(text: str) -> int:
    """A TCP port 1..65535; ValueError says what is wrong."""
    port = int(text) if text.isascii() and text.isdigit() else -1
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be a number from 1 to 65535, not {text!r}")
    return port


def parse_sessions(text: str) -> int:
    """A session cap 1..MAX_SESSIONS; ValueError says what is wrong."""
    n = int(text) if text.isascii() and text.isdigit() else -1
    if not 1 <= n <= MAX_SESSIONS:
        raise ValueError(f"--max-sessions must be a number from 1 to {MAX_SESSIONS}, "
                         f"not {text!r}")
    return n


def parse_public_url(text: str) -> str:
    """http(s)://HOST[:PORT] with no path; ValueError says what is wrong."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"--public-url must be http://HOST[:PORT] or https://HOST[:PORT], "
                         f"not {text!r}")
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(host: str) -> bool:
    """Whether `host` (an address parse_host accepted) is reachable from this machine only."""
    return host == "localhost" or ipaddress.ip_address(host).is_loopback


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
        sessions = parse_sessions(args.max_sessions)
        public = parse_public_url(args.public_url) if args.public_url else None
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
    url = public or url_for(host, port)
    token = secrets.token_urlsafe(24)
    if not is_loopback(host):
        print(f"{PROG}: WARNING: listening on {host}: anyone who can reach this machine on "
              f"that network can connect to it; only the token in the URL below keeps them "
              f"out, so share it with care", file=sys.stderr, flush=True)
    print(f"{PROG}: open {url}/?token={token} in a web browser (Ctrl+C stops)", flush=True)
    guard = Guard(token, allowed_hosts(host, port, public), public)
    server = _server(command, host, port, url, guard, sessions)
    try:
        server.serve()
    except OSError as exc:  # lost the race for the port since check_listen
        return fail(f"{PROG}: cannot listen on {url}: {exc.strerror or exc}")
    return 0


# ------------------------------------------------------------------ who may connect


def _host_port(netloc: str, default_port: int) -> tuple[str, int] | None:
    """("host", port) of a Host header or an Origin's netloc; None if it does not parse."""
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    return parts.hostname.lower(), port if port is not None else default_port


def allowed_hosts(host: str, port: int, public: str | None) -> frozenset[tuple[str, int]]:
    """The (name, port) pairs a request's Host may give: the public URL's, and the names
    of the listening address. Listening on every interface (0.0.0.0, ::), any IP address
    of this machine may be the one a browser used, so any IP literal on `port` is let in
    (is_allowed_host); a DNS name other than localhost or the public URL's never is."""
    out = {("localhost", port)} if is_loopback(host) or host in ("0.0.0.0", "::") else set()
    if host == "localhost":
        out |= {("127.0.0.1", port), ("::1", port)}
    elif host not in ("0.0.0.0", "::"):
        out.add((host, port))
    if public is not None:
        parts = urlsplit(public)
        hp = _host_port(parts.netloc, 443 if parts.scheme == "https" else 80)
        if hp is not None:
            out.add(hp)
    if host in ("0.0.0.0", "::"):
        out.add(("*", port))
    return frozenset(out)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Guard:
    """The checks every request passes: Host, the token, the websocket's Origin."""

    def __init__(self, token: str, hosts: frozenset[tuple[str, int]], public: str | None
                 ) -> None:
        self.token = token
        self.hosts = hosts
        self.public = public

    def host_ok(self, host_header: str | None) -> str | None:
        """The Host header, rebuilt from its parts, if it names this server (DNS rebinding
        gives a foreign name); else None. Without a port it is the scheme's default: 80,
        or 443 behind an https proxy."""
        for default in (80, 443):
            hp = _host_port(host_header or "", default)
            if hp is None:
                return None
            name, port = hp
            if hp in self.hosts or ("*", port) in self.hosts and _is_ip(name):
                return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
        return None

    def token_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.token.encode())

    def origin_ok(self, origin: str | None, host_header: str | None) -> bool:
        """The websocket comes from the served page: the public URL's origin, or (without
        one) the very site the request was sent to. Browsers always send Origin on a
        websocket; a request without one is refused too."""
        if not origin:
            return False
        if self.public is not None and origin.rstrip("/") == self.public:
            return True
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        if parts.scheme != "http" or parts.path not in ("", "/"):
            return False
        mine = self.host_ok(host_header)
        return mine is not None and _host_port(parts.netloc, 80) == _host_port(mine, 80)


def _server(command: str, host: str, port: int, url: str, guard: Guard, sessions: int
            ) -> Any:
    """A textual-serve Server behind `guard`, with at most `sessions` apps at once.

    textual-serve's routes are kept (its page template, static files, downloads and the
    websocket protocol); the page and the websocket move behind the token, the websocket
    to /ws/TOKEN (textual.js appends `?width=...` to the websocket URL, so the token
    cannot ride in its query string).
    """
    import aiohttp_jinja2
    import jinja2
    from aiohttp import web
    from textual_serve.server import Server, to_int

    @web.middleware
    async def check_host(request: web.Request, handler: Any) -> web.StreamResponse:
        if guard.host_ok(request.headers.get("Host")) is None:
            raise web.HTTPForbidden(text=f"{PROG}: this server does not answer to Host "
                                    f"{request.headers.get('Host', '')!r}\n")
        response: web.StreamResponse = await handler(request)
        if not response.prepared:
            # the page URL holds the token: never send it on, never cache it, never frame it
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    class GuardedServer(Server):
        live = 0

        async def on_startup(self, app: object) -> None:  # no banner: run() printed the URL
            return None

        async def _make_app(self) -> web.Application:
            app = web.Application(middlewares=[check_host])
            aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path))
            app.add_routes([
                web.get("/", self.guarded_index, name="index"),
                web.get("/ws/{token}", self.guarded_websocket, name="websocket"),
                web.get("/ws", self.guarded_websocket),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", self.statics_path, name="static"),
            ])
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        async def guarded_index(self, request: web.Request) -> web.StreamResponse:
            if not guard.token_ok(request.query.get("token")):
                raise web.HTTPForbidden(text=f"{PROG}: open the URL that `vmtui serve` "
                                        "printed when it started (it holds the token)\n")
            # links in the page: to the public URL, else to the site the browser used
            base = guard.public or f"http://{guard.host_ok(request.headers.get('Host'))}"
            ws = base.replace("http", "ws", 1) + f"/ws/{guard.token}"
            context = {
                "font_size": to_int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": ws,
                "config": {"static": {"url": f"{base}/static/"}},
                "application": {"name": self.title},
            }
            return aiohttp_jinja2.render_template("app_index.html", request, context)

        async def guarded_websocket(self, request: web.Request) -> web.StreamResponse:
            if not guard.origin_ok(request.headers.get("Origin"), request.headers.get("Host")):
                raise web.HTTPForbidden(text=f"{PROG}: websocket from a foreign page "
                                        f"(Origin {request.headers.get('Origin')!r})\n")
            if not guard.token_ok(request.match_info.get("token")):
                raise web.HTTPForbidden(text=f"{PROG}: websocket without the token\n")
            if self.live >= sessions:
                raise web.HTTPServiceUnavailable(
                    text=f"{PROG}: {sessions} session(s) already open (--max-sessions)\n")
            self.live += 1  # counted before the first await: no two get the last seat
            try:
                return await self.handle_websocket(request)
            finally:
                self.live -= 1

    return GuardedServer(command, host=host, port=port, title="vmtui", public_url=url)
