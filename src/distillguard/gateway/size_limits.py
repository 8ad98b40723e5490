"""Refuse oversized requests before they cost memory: an ASGI middleware in front of every route.

A body whose Content-Length is over `server.max_body_bytes` gets a 413 before a byte of it is
read, and the connection is closed after the answer (`connection: close`), so a client can read
the 413 instead of streaming the rest into a server that will not keep it. A body sent without
a length (chunked) is counted as it arrives and cut at the same limit. Headers over
`server.max_header_bytes` in all get a 431: the event log must not store a 1 MiB User-Agent.

uvicorn stops reading a socket once 64 KiB of body wait unread, so a refused upload holds that
much per connection, not its whole size.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from distillguard.gateway.api_errors import ApiError

CLOSE = {"connection": "close"}
log = logging.getLogger("distillguard.gateway.access")


class SizeLimits:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.max_headers = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        size = sum(len(k) + len(v) + 4 for k, v in headers)
        if size > self.max_headers:
            await self._refuse(
                scope,
                send,
                431,
                f"The request's headers are {size:,} bytes; this gateway takes at most "
                f"{self.max_headers:,}.",
                "headers_too_large",
            )
            return
        length = _content_length(headers)
        if length is not None and length > self.max_body:
            await self._refuse(
                scope, send, 413, self._too_large(f"{length:,} bytes"), "body_too_large"
            )
            return
        await self.app(scope, self._counting(receive), send)

    def _too_large(self, what: str) -> str:
        return (
            f"The request body is {what}; this gateway takes at most {self.max_body:,} bytes "
            "(`server.max_body_bytes`)."
        )

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:  # a chunked body: the handler's ApiError path answers
                    raise ApiError(
                        413, self._too_large("over the limit"), code="body_too_large", headers=CLOSE
                    )
            return message

        return wrapped

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, message: str, code: str) -> None:
        # Refused before a key was read: no account to bill, so the access log only.
        peer = scope.get("client")
        log.info(
            "request",
            extra={
                "path": scope.get("path"),
                "status": status,
                "error": code,
                "peer": peer[0] if peer else None,
            },
        )
        await ApiError(status, message, code=code, headers=CLOSE).response()(
            {"type": "http"}, _nothing, send
        )


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for key, value in headers:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP parser refuses a bad length before the app runs
    return None
