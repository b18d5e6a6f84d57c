"""uvicorn's HTTP/1.1 protocol with the two guarantees the dashboard needs beyond it.

1. A connection that has not sent a whole request within ``REQUEST_TIMEOUT`` seconds of
   connecting (or of its last response) is closed. uvicorn closes idle kept-alive connections,
   but not one that connects and sends nothing, or half a request: enough of those would use up
   the server's file descriptors.
2. uvicorn's own answer to a malformed request (400) carries the same security headers as every
   response of the application (the ASGI guard never sees it).
"""

from __future__ import annotations

REQUEST_TIMEOUT = 10.0  # seconds to send a whole request; a browser sends one in milliseconds


def guarded_protocol(request_timeout: float, headers: list[tuple[bytes, bytes]]):
    """The protocol class (uvicorn imported only here, when the server starts)."""
    import h11
    from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _deadline = None

        def connection_made(self, transport) -> None:  # noqa: ANN001 (asyncio's transport)
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(request_timeout, self._drop_unfinished)

        def _drop_unfinished(self) -> None:
            """No request being answered (none yet, or only part of the next one): close."""
            answering = self.cycle is not None and not self.cycle.response_complete
            if not answering and not self.transport.is_closing():
                self.transport.close()

        def send_400_response(self, msg: str) -> None:
            out = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"), *headers,
                   (b"cache-control", b"no-store")]
            for event in (h11.Response(status_code=400, headers=out, reason=STATUS_PHRASES[400]),
                          h11.Data(data=msg.encode("ascii")), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))
            self.transport.close()

    return GuardedH11Protocol
