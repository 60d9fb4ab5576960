# Kept on the standard library, not Flask or aiohttp: two endpoints for one local page need no framework or event loop.
"""The watch's web server: the report page at ``/``, what is new at ``/feed``; the standard library's only.

The page is ``runner report``'s (plotly.js embedded: no request leaves
this server), extended by runner/watch/templates/page.html with a status
bar and runner/watch/assets/live.js, which polls
``/feed?seq=N&snap=S`` every interval and applies what comes (see
runner.watch.live). The server binds 127.0.0.1 unless told otherwise.

Two guards keep it a local tool. A request is answered only when its ``Host``
names this server (runner.watch.hosts): a web page elsewhere cannot read the
runs by pointing one of its own names at 127.0.0.1 (DNS rebinding). And the
connections are bounded: each waits at most ``idle_seconds`` for its request,
and at most ``MAX_CONNECTIONS`` are served at once (others get 503), so idle
sockets cannot pile up threads.
"""

from __future__ import annotations

import os
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from runner.report.html import page_context
from runner.report.templating import render
from runner.watch.hosts import Hosts
from runner.watch.live import Watch

__all__ = ["IDLE_VARIABLE", "MAX_CONNECTIONS", "WatchServer", "idle_seconds", "page"]

MAX_CONNECTIONS = 64  # served at once; an open page holds one for a moment each interval
IDLE_VARIABLE = "RUNNER_WATCH_IDLE_SECONDS"  # how long a connection may wait for its request (30)
BUSY = b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

def page(watch: Watch) -> str:
    """The report as it stands, with the bar and the script that keeps it up to date (watch/page.html)."""
    snapshot = watch.snapshot or watch.rebuild()
    s = watch.settings
    context = page_context(snapshot.data, snapshot.figs, plotlyjs="embed", options=s.options, title=watch.title)
    setup = {"seq": snapshot.seq, "snap": snapshot.seq, "interval": s.interval, "refresh": s.refresh,
             "watching": snapshot.data.selection.describe(), "database": watch.stores.url}
    return str(render("watch/page.html", watch=setup, **context))


def idle_seconds() -> float:
    """How long a connection may take to send its request: RUNNER_WATCH_IDLE_SECONDS, else 30."""
    try:
        value = float(os.environ.get(IDLE_VARIABLE, "30"))
    except ValueError:
        return 30.0
    return value if 0 < value < 86400 else 30.0


class Handler(BaseHTTPRequestHandler):
    server: WatchServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_seconds)  # a silent client is dropped, not waited on

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        host = self.headers.get("Host")
        if not self.server.hosts.allows(host):
            self.send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", self.server.hosts.refusal(host))
            return
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self.send(HTTPStatus.OK, "text/html; charset=utf-8", page(self.server.watch))
        elif url.path == "/feed":
            query = parse_qs(url.query)
            try:
                seq, snap = int(query.get("seq", ["-1"])[0]), int(query.get("snap", ["-1"])[0])
            except ValueError:
                self.send(HTTPStatus.BAD_REQUEST, "text/plain; charset=utf-8", "seq and snap are whole numbers\n")
                return
            self.send(HTTPStatus.OK, "application/json", self.server.watch.answer(seq, snap))
        elif url.path == "/favicon.ico":
            self.send(HTTPStatus.NO_CONTENT, "image/x-icon", "")  # none, and no error in the browser's console
        else:
            self.send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found: try /\n")

    def send(self, status: HTTPStatus, kind: str, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed meanwhile

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the standard library's name)
        pass  # a request a second per open page is not news


class WatchServer(ThreadingHTTPServer):
    """Serves one Watch; ``start()`` runs its poller in a thread, ``serve_forever()`` answers pages."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], watch: Watch, allowed: tuple[str, ...] = ()):
        self.watch = watch  # before binding, which closes the server if it fails
        self.hosts = Hosts.for_address(address[0], allowed)
        self.idle_seconds = idle_seconds()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._poller = threading.Thread(target=watch.run, name="runner-watch-poller", daemon=True)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # before the socket is made
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread for the connection while fewer than MAX_CONNECTIONS are served; else 503 at once."""
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def start(self) -> None:
        self._poller.start()

    def server_close(self) -> None:
        self.watch.stop()
        if self._poller.is_alive():
            self._poller.join(timeout=10)
        self.watch.stores.close()
        super().server_close()
