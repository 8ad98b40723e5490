"""What every upstream (a model server) offers the gateway.

`complete` returns the upstream's JSON body as bytes, untouched, so the gateway passes it on
without re-encoding. `open_stream` returns once the upstream has accepted the request (so a
refusal still becomes a proper HTTP error) and then yields the SSE bytes as they come.
Failures raise `UpstreamError`, or `UpstreamTimeoutError` when the upstream was too slow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any, Protocol


class Endpoint(StrEnum):
    """An OpenAI endpoint; the value is the spec's `endpoint` field."""

    CHAT = "chat.completions"
    COMPLETIONS = "completions"

    @property
    def path(self) -> str:
        return "/chat/completions" if self is Endpoint.CHAT else "/completions"


class ReplyStream(Protocol):
    def chunks(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class Upstream(Protocol):
    name: str

    async def complete(self, endpoint: Endpoint, body: dict[str, Any]) -> bytes: ...

    async def open_stream(self, endpoint: Endpoint, body: dict[str, Any]) -> ReplyStream: ...

    async def list_models(self) -> list[str]: ...

    async def aclose(self) -> None: ...
