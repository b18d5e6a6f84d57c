"""Helpers for the benchmarks: a slow local usage server, auth files, timing."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BODY = json.dumps({
    "plan_type": "plus",
    "rate_limit": {"allowed": True, "limit_reached": False,
                   "primary_window": {"used_percent": 42, "limit_window_seconds": 18000,
                                      "reset_after_seconds": 7312, "reset_at": 4102444800},
                   "secondary_window": {"used_percent": 17, "limit_window_seconds": 604800,
                                        "reset_after_seconds": 400000, "reset_at": 4102444800}},
    "credits": {"has_credits": False, "unlimited": False, "balance": "0"},
}).encode()


@contextmanager
def slow_server(latency: float):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(latency)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256  # as a real server's backlog: 50 connections at once must not wait for a SYN retry

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/backend-api/wham/usage"
    finally:
        server.shutdown()


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def write_accounts(directory: Path, count: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        token = f"{_b64({'alg': 'none'})}.{_b64({'exp': 4_000_000_000})}.sig"
        path = directory / f"acct{i:02d}.auth.json"
        path.write_text(json.dumps({"tokens": {"access_token": token, "account_id": f"acc-{i}"}}))
        os.chmod(path, 0o600)
        paths.append(path)
    return paths


def options(doc: str, **defaults):  # an argparse.Namespace
    """Each benchmark's command line: ``--name VALUE`` for every default given."""
    import argparse

    parser = argparse.ArgumentParser(description=doc)
    for name, value in defaults.items():
        parser.add_argument(f"--{name}", type=type(value), default=value)
    return parser.parse_args()


def timed(fn, repeat: int = 1) -> float:
    """Best of ``repeat`` wall-clock runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
