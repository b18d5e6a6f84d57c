"""The dashboard as an ASGI application (Starlette): one page, its assets, five JSON endpoints.

Every request first passes the ``Guard``: the Host must be one this server answers to (a
loopback server answers only to loopback names, which defeats DNS rebinding), the token must
match when one is set, and only GET and HEAD exist. Every response then carries a strict
Content-Security-Policy (scripts and styles only from this origin, nothing inline) and is not
cached. Handlers are plain functions over the read-only store, run in Starlette's thread pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tracker.errors import NoDataError, StorageError, TrackerError
from tracker.web import payloads, security

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("tracker.web")

SECURITY_HEADERS = [
    (b"content-security-policy", security.CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
STATUS = {payloads.BadRequest: 400, payloads.NotFound: 404, NoDataError: 404, StorageError: 503}


@dataclass
class AppSettings:
    clock: Callable[[], datetime]  # the time the report and the series are computed at
    token: str | None = None
    refresh_seconds: float = 30.0
    figures: payloads.Figures = field(default_factory=payloads.Figures)
    allowed_hosts: tuple[str, ...] | None = security.LOOPBACK_HOSTS  # None: any (remote, with a token)


class Guard:
    """Pure ASGI middleware: host, token and method checks, then the security headers."""

    def __init__(self, app, settings: AppSettings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # no websockets

        async def send_secured(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)

    def _refusal(self, scope):
        from starlette.datastructures import Headers
        from starlette.responses import JSONResponse

        headers = Headers(scope=scope)
        if not security.host_allowed(headers.get("host"), self.settings.allowed_hosts):
            return JSONResponse({"error": "unknown Host: open the dashboard at the address serve printed"}, 400)
        if scope["path"].startswith("/api/") and security.cross_site(headers):
            return JSONResponse({"error": "cross-site request refused: the API answers only its own page"}, 403)
        token = self.settings.token
        if token is not None and not security.token_matches(headers.get("authorization"), token):
            return JSONResponse({"error": "a token is needed (Basic auth password or Bearer)"}, 401,
                                headers={"WWW-Authenticate": 'Basic realm="tracker", charset="UTF-8"'})
        if scope["method"] not in ("GET", "HEAD"):
            return JSONResponse({"error": "read-only: GET only"}, 405, headers={"Allow": "GET, HEAD"})
        return None


def _json_endpoint(compute: Callable):
    """A sync handler: the payload as JSON, or the error as {"error": message} with its status."""
    from starlette.responses import JSONResponse

    def endpoint(request):
        try:
            return JSONResponse(compute(request))
        except TrackerError as exc:
            status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 500)
            return JSONResponse({"error": exc.message}, status)
        except Exception as exc:  # one line in the log, no traceback to the client
            from sqlalchemy.exc import SQLAlchemyError

            if isinstance(exc, SQLAlchemyError):  # locked, gone, unreadable: worth retrying later
                detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                return JSONResponse({"error": f"database error: {detail}"}, 503)
            log.error("internal error in %s: %s: %s", request.url.path, type(exc).__name__, str(exc)[:200])
            return JSONResponse({"error": "internal error (see the server's log)"}, 500)

    return endpoint


def _int_param(request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise payloads.BadRequest(f"{name} must be a whole number") from None


def _account_param(request, required: bool = True) -> str | None:
    """The ``account`` parameter. A name no account can have (control characters such as NUL,
    over 200 characters) is answered 404 here, before any backend sees it: PostgreSQL refuses a
    NUL in a query with an error that would otherwise read as the database failing (503)."""
    name = request.query_params.get("account") or None
    if name is None:
        if required:
            raise payloads.BadRequest("account is required")
        return None
    if len(name) > 200 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise payloads.NotFound("no such account (a name with control characters or over 200 characters)")
    return name


def create_app(store, settings: AppSettings):  # an ASGI application
    """The application over an open (read-only) store."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    page = (STATIC / "index.html").read_text(encoding="utf-8").replace(
        "{{refresh_ms}}", str(int(settings.refresh_seconds * 1000)))

    def index(_request):
        return HTMLResponse(page)

    def report(_request):
        return payloads.report_payload(store, settings.clock(), settings.figures)

    def series(request):
        q = request.query_params
        now = settings.clock()
        since, until = payloads.period(q.get("since"), q.get("until"), now)
        points = _int_param(request, "points", payloads.MAX_POINTS)
        if not 2 <= points <= payloads.MAX_POINTS:
            raise payloads.BadRequest(f"points must be between 2 and {payloads.MAX_POINTS}")
        return payloads.series_payload(store, _account_param(request), q.get("kind", "five_hour"), since, until, now,
                                       settings.figures, max_points=points)

    def daily(request):
        q = request.query_params
        return payloads.daily_payload(store, _account_param(request), q.get("tz"), _int_param(request, "days", 7),
                                      settings.clock())

    def resets(request):
        q = request.query_params
        since, until = payloads.period(q.get("since"), q.get("until"), settings.clock(),
                                       payloads.DEFAULT_RESET_PERIOD)
        return payloads.resets_payload(store, _account_param(request, required=False), q.get("kind", "all"),
                                       since, until)

    def healthz(_request):
        from tracker.storage.db import current_revision

        return {"status": "ok", "schema": current_revision(store.engine)}

    def fresh(compute: Callable) -> Callable:
        """Every answer from the database file as it is now (``FollowedStore.check``)."""
        check = getattr(store, "check", None)

        def answer(request):
            if check is not None:
                check()
            return compute(request)

        return _json_endpoint(answer)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/api/report", fresh(report), methods=["GET"]),
        Route("/api/series", fresh(series), methods=["GET"]),
        Route("/api/daily", fresh(daily), methods=["GET"]),
        Route("/api/resets", fresh(resets), methods=["GET"]),
        Route("/api/healthz", fresh(healthz), methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Guard(Starlette(routes=routes), settings)
