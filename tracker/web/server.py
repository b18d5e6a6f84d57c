"""Bind and run the dashboard with uvicorn: in the foreground for ``tracker serve``, or in a
thread on a free port for the tests and the benchmark (the same code path both ways)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tracker.errors import TrackerError
from tracker.web import payloads, security
from tracker.web.protocol import REQUEST_TIMEOUT, guarded_protocol

INSTALL_HINT = "tracker serve needs the web extra: pip install 'codex-quota-history[web]'"


def ensure_installed() -> None:
    """A one-line error naming the extra when Starlette or uvicorn is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise TrackerError(INSTALL_HINT, exit_code=1) from None


@dataclass
class ServeOptions:
    db_url: str
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    allow_remote: bool = False
    refresh_seconds: float = 30.0
    figures: payloads.Figures = field(default_factory=payloads.Figures)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    request_timeout: float = REQUEST_TIMEOUT  # seconds to send a whole request before the connection is closed


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one), so the URL is known before the server starts."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only then; without it
    # a kept-alive response (headers and body written apart) waits 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise TrackerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", exit_code=2) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _uvicorn_server(app, request_timeout: float = REQUEST_TIMEOUT):
    import uvicorn

    from tracker.web.app import SECURITY_HEADERS

    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                            proxy_headers=False, lifespan="off", timeout_graceful_shutdown=2,
                            http=guarded_protocol(request_timeout, SECURITY_HEADERS), timeout_keep_alive=5)
    return uvicorn.Server(config)


def build(options: ServeOptions):  # (store, ASGI app)
    """Check the rules, open the store read-only and build the application (nothing bound yet)."""
    from tracker.web.app import AppSettings, create_app
    from tracker.web.readonly import FollowedStore

    security.check_bind(options.host, options.allow_remote, options.token)
    ensure_installed()
    store = FollowedStore(options.db_url)
    hosts = security.LOOPBACK_HOSTS if security.is_loopback(options.host) else None
    settings = AppSettings(clock=options.clock, token=options.token, refresh_seconds=options.refresh_seconds,
                           figures=options.figures, allowed_hosts=hosts)
    return store, create_app(store, settings)


def serve_forever(options: ServeOptions, announce: Callable[[str], None], open_browser: bool = False) -> None:
    """``tracker serve``: run until interrupted (uvicorn turns SIGINT/SIGTERM into a clean stop)."""
    store, app = build(options)
    try:
        sock = bind(options.host, options.port)
        url = url_of(sock)
        announce(f"dashboard at {url} (read-only; Ctrl-C to stop)"
                 + (" — the browser will ask for the token as the password" if options.token else ""))
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        with _stop_quietly():
            _uvicorn_server(app, options.request_timeout).run(sockets=[sock])
    finally:
        store.close()


@contextmanager
def _stop_quietly():
    """Exit 0 on SIGINT/SIGTERM: uvicorn stops gracefully, then re-raises the signal it caught
    to the handler that was there before it; make that handler a no-op for the duration."""
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class RunningServer:
    """The dashboard in a background thread on a free loopback port: ``with RunningServer(...) as s``."""

    def __init__(self, options: ServeOptions) -> None:
        self.store, app = build(options)
        self.sock = bind(options.host, 0)
        self.url = url_of(self.sock)
        self.server = _uvicorn_server(app, options.request_timeout)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:  # a startup condition, not a wait for wall time
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the dashboard server did not start")
            time.sleep(0.005)
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        self.store.close()
