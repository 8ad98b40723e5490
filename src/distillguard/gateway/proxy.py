"""The request flow of the OpenAI endpoints: authenticate, check, limit, forward, record.

    auth (401/403) -> body (400) -> route model (404) -> rate limit (429) -> upstream (502/504)

A JSON answer is passed on as the upstream's bytes; a stream is relayed chunk by chunk as it
arrives. What the client does not wait for (reading the usage, charging tokens, building the
event) happens after the last byte was sent, and detection runs on a background queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from distillguard.errors import UpstreamError, UpstreamTimeoutError
from distillguard.gateway import deadlines
from distillguard.gateway.api_errors import ApiError, rate_limited
from distillguard.gateway.auth import Authenticator
from distillguard.gateway.bodies import RequestLimits, parse_body
from distillguard.gateway.calls import (
    Call,
    arrival_time,
    capped,
    event_of,
    refused_request,
    reservation,
)
from distillguard.gateway.client_ip import ClientAddress
from distillguard.gateway.deadlines import total_timeout
from distillguard.gateway.enforcement import Enforcement
from distillguard.gateway.limits import RateLimiter
from distillguard.gateway.metrics import GatewayMetrics
from distillguard.gateway.recorder import EventRecorder
from distillguard.gateway.sse import DoneHolder, FrameChecker, assemble, error_frame
from distillguard.gateway.tokens import used_tokens
from distillguard.gateway.upstreams import Endpoint, ReplyStream, Router, Upstream
from distillguard.gateway.upstreams.local_model import ACCOUNT_FIELD, watermark_body
from distillguard.pipeline.journal import JournalError
from distillguard.policy import StreamRewriter
from distillguard.settings import Settings

log = logging.getLogger("distillguard.gateway.access")

EVENT_TIME_HEADER = "x-distillguard-event-time"


class Proxy:
    def __init__(
        self,
        settings: Settings,
        auth: Authenticator,
        limiter: RateLimiter,
        router: Router,
        recorder: EventRecorder,
        metrics: GatewayMetrics,
        enforcement: Enforcement,
    ) -> None:
        self.settings = settings
        self.auth = auth
        self.limiter = limiter
        self.router = router
        self.recorder = recorder
        self.metrics = metrics
        self.enforcement = enforcement
        self.addresses = ClientAddress(settings.server.trusted_proxies)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- endpoints
    async def chat(self, request: Request) -> Response:
        return await self._handle(request, Endpoint.CHAT)

    async def completions(self, request: Request) -> Response:
        return await self._handle(request, Endpoint.COMPLETIONS)

    async def models(self, request: Request) -> Response:
        await self.auth.principal(request.headers.get("authorization"), self._ip(request))
        names = await self.router.model_names()
        data = [
            {"id": n, "object": "model", "created": 0, "owned_by": "distillguard"} for n in names
        ]
        body = orjson.dumps({"object": "list", "data": data})
        return Response(body, media_type="application/json")

    def _ip(self, request: Request) -> str | None:
        peer = request.client.host if request.client else None
        return self.addresses.of(peer, request.headers.get("x-forwarded-for"))

    def _arrived(self, request: Request) -> float:
        """Now; or, for replays (`events.trust_event_time`), the time the client says."""
        if self.settings.events.trust_event_time:
            given = request.headers.get(EVENT_TIME_HEADER)
            if given is not None:
                return arrival_time(given, EVENT_TIME_HEADER)
        return time.time()

    async def _handle(self, request: Request, endpoint: Endpoint) -> Response:
        started = time.perf_counter()
        try:
            return await self._complete(request, endpoint, started)
        except ApiError as err:
            if not err.counted:  # refused before an account was known: the access log only
                self._count(endpoint, err.status, started)
                self._log_refusal(request, endpoint, err, started)
            elif err.durable is not None:
                try:
                    await err.durable  # the refusal is an event: durable before it is sent
                except JournalError as failed:
                    return self._unjournaled(failed).response()
            return err.response()

    async def _complete(self, request: Request, endpoint: Endpoint, started: float) -> Response:
        call, upstream = await self._admitted(request, endpoint, started)
        total = total_timeout(self.settings, upstream)
        deadline = asyncio.get_running_loop().time() + total
        sent = self._marked(call, upstream)
        try:
            if sent.get("stream") is True:
                opening = upstream.open_stream(endpoint, sent)
                stream = await deadlines.within(opening, upstream, deadline, total)
                return self._stream(call, upstream, stream, deadline, total)
            answer = upstream.complete(endpoint, sent)
            reply = await deadlines.within(answer, upstream, deadline, total)
        except UpstreamError as err:
            self._spawn(self._charge(call, None))
            raise self._fail(call, self._upstream_error(upstream, err)) from None
        assert call.applied is not None
        if call.applied.decision.effect.reasoning != "full":
            reply = self._withhold(call, reply)
        response = _json_object(reply)
        try:
            # Not acknowledged before its event is durable; the limiter settles after.
            await self._record(call, 200, response)
        except JournalError as err:
            self._spawn(self._charge(call, response))
            return self._unjournaled(err).response()
        return Response(
            reply,
            media_type="application/json",
            background=BackgroundTask(self._charge, call, response),
        )

    def _unjournaled(self, err: JournalError) -> ApiError:
        """The answer could not be made durable, so it is not given: 503, try again."""
        self.metrics.upstream_errors.labels("journal", "write").inc()
        log.error("event not journaled, answer withheld: %s", err)
        return ApiError(
            503,
            "The gateway cannot record requests right now; try again shortly.",
            type="server_error",
            code="event_log_unavailable",
            headers={"retry-after": "5"},
        )

    async def _admitted(
        self, request: Request, endpoint: Endpoint, started: float
    ) -> tuple[Call, Upstream]:
        """The call, checked, under its policy and with its tokens reserved; or the error."""
        arrived = self._arrived(request)
        ip = self._ip(request)
        who = await self.auth.principal(request.headers.get("authorization"), ip)
        call = Call(endpoint, who, {}, arrived, started, ip, request.headers.get("user-agent"))
        try:
            raw = await request.body()
        except (ApiError, ClientDisconnect) as err:  # past the size limit, or the client left
            call.body = refused_request(b"", endpoint)
            gone = ApiError(499, "The client closed the connection.", code="client_closed")
            raise self._fail(call, err if isinstance(err, ApiError) else gone) from None
        limits = RequestLimits.of(self.settings, who.tier.name)
        try:
            call.body = parse_body(raw, endpoint, who.tier, limits)
            upstream = self._route(call.body["model"])
        except ApiError as err:
            if not call.body:
                call.body, call.body_bytes = refused_request(raw, endpoint), raw
            raise self._fail(call, err) from None
        call.applied = self.enforcement.on_request(
            who.account, who.tier.name, call.body, endpoint.value, arrived
        )
        if call.applied.refusal is not None:
            raise self._fail(call, call.applied.refusal)
        # Sized on what goes upstream (the policy may cap it) and the tier as throttled.
        tier = self.enforcement.limits(who.tier, call.applied.decision)
        try:
            call.cap, reserve = reservation(call.applied.body, tier, self._cap(upstream, limits))
        except ApiError as err:
            raise self._fail(call, err) from None
        verdict = await self.limiter.admit(who.account.id, tier, reserve)
        if not verdict.allowed:
            self.metrics.rate_limited.labels(verdict.limit).inc()
            raise self._fail(
                call, rate_limited(verdict.limit, verdict.retry_after_s, verdict.retry_after_header)
            )
        call.reserved = reserve
        return call, upstream

    def _cap(self, upstream: Upstream, limits: RequestLimits) -> int:
        """The answer cap of a request that names none: the tier's, or, for a local model
        (whose CPU time it bounds), its own `max_tokens` when that is lower."""
        conf = self.settings.upstreams.get(upstream.name)
        if conf is not None and conf.kind == "local":
            return min(limits.max_tokens, conf.max_tokens)
        return limits.max_tokens

    def _route(self, model: str) -> Upstream:
        upstream = self.router.route(model)
        if upstream is None:
            raise ApiError(
                404,
                f"The model '{model}' does not exist; GET /v1/models lists the models served.",
                code="model_not_found",
                param="model",
            )
        return upstream

    def _withhold(self, call: Call, raw: bytes) -> bytes:
        """The answer with reasoning withheld or cut short, as the decision says."""
        assert call.applied is not None
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw
        if not isinstance(answer, dict):
            return raw
        new, changes = self.enforcement.on_response(call.applied.decision, answer)
        call.response_changes = changes
        return orjson.dumps(new) if changes and not call.applied.decision.shadow else raw

    # -- streaming
    def _marked(self, call: Call, upstream: Upstream) -> dict[str, Any]:
        """The body as sent upstream: held to the call's cap, and for an upstream that
        watermarks, told whose key (see `[watermark]`)."""
        assert call.applied is not None
        body = capped(call.applied.body, call.cap)
        if ACCOUNT_FIELD in body:  # a client must never choose whose key marks its answers
            body = {k: v for k, v in body.items() if k != ACCOUNT_FIELD}
        if self.settings.watermark.accounts == "all" or call.applied.watermark:
            return watermark_body(upstream, body, call.who.account.id)
        return body

    def _stream(
        self, call: Call, upstream: Upstream, stream: ReplyStream, deadline: float, total: float
    ) -> Response:
        return StreamingResponse(
            self._relay(call, upstream, stream, deadline, total),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    async def _relay(
        self, call: Call, upstream: Upstream, stream: ReplyStream, deadline: float, total: float
    ) -> AsyncIterator[bytes]:
        kept: list[bytes] = []
        assert call.applied is not None
        rewriter = StreamRewriter(call.applied.decision, self.enforcement.policy.summary_chars)
        checker = FrameChecker()
        holder = DoneHolder()  # [DONE] waits for the event to be durable
        ending = b""
        try:
            async for chunk in deadlines.chunks(upstream, stream, deadline, total):
                problem = checker.feed(chunk)
                if problem is not None:
                    raise UpstreamError(upstream.name, f"a malformed stream chunk: {problem}")
                if rewriter.active:
                    chunk = rewriter.feed(chunk)
                kept.append(chunk)
                if out := holder.feed(chunk):
                    yield out
            if rewriter.active:
                tail = rewriter.flush()
                kept.append(tail)
                if out := holder.feed(tail):
                    yield out
            ending = await self._finish_stream(call, kept, rewriter, 200)
            ending = ending or holder.release()
        except UpstreamError as err:
            failure = self._upstream_error(upstream, err)
            call.error = failure
            ending = await self._finish_stream(call, kept, rewriter, failure.status)
            ending = ending or error_frame(failure.body())
        finally:
            await stream.aclose()
            if not call.counted:  # the client left mid-stream: its event all the same
                with contextlib.suppress(JournalError):  # said in the log by the journal
                    self._finish_stream_now(call, kept, rewriter, 499)
        yield ending

    async def _finish_stream(
        self, call: Call, kept: list[bytes], rewriter: StreamRewriter, status: int
    ) -> bytes:
        """Record the stream's event and wait until it is durable; b"" then, or the error
        frame to end the stream with when the journal refused it."""
        try:
            await self._finish_stream_now(call, kept, rewriter, status)
        except JournalError as err:
            return error_frame(self._unjournaled(err).body())
        return b""

    def _finish_stream_now(
        self, call: Call, kept: list[bytes], rewriter: StreamRewriter, status: int
    ) -> asyncio.Future[None]:
        call.response_changes = rewriter.changes
        response = assemble(kept, chat=call.endpoint is Endpoint.CHAT)
        self._spawn(self._charge(call, response))
        return self._record(call, status, response)

    # -- after the answer
    async def _charge(self, call: Call, response: dict[str, Any] | None) -> None:
        """Settle the call's reservation with the tokens it used (none, if it failed)."""
        used = used_tokens(call.body, response)
        if call.reserved or used:
            tier = call.who.tier
            if call.applied is not None:
                tier = self.enforcement.limits(tier, call.applied.decision)
            await self.limiter.settle(call.who.account.id, tier, call.reserved, used)

    def _record(
        self, call: Call, status: int, response: dict[str, Any] | None
    ) -> asyncio.Future[None]:
        """Journal the call's event; the future is done once it is durable. Raises
        JournalError when the journal refuses it."""
        latency_ms = (time.perf_counter() - call.started) * 1000
        self._count(call.endpoint, status, call.started)
        call.counted = True
        event = event_of(call, status, response, latency_ms, self.settings.server.max_event_text)
        for kind in event.get("enforcement", {}).get("changes", ()):
            self.metrics.enforced.labels(kind).inc()
        durable = self.recorder.submit(event)
        if log.isEnabledFor(logging.INFO):
            fields: dict[str, Any] = {
                "account": call.who.account.id,
                "key_id": call.who.key_id,
                "endpoint": call.endpoint.value,
                "model": call.body.get("model"),
                "stream": bool(call.body.get("stream")),
                "status": status,
                "latency_ms": round(latency_ms, 3),
                "tokens": used_tokens(call.body, response),
                "ip": call.ip,
            }
            if call.error is not None:
                fields["error"] = call.error.code
            if self.settings.logging.prompts:
                fields["request"] = event["request"]
            log.info("request", extra=fields)
        return durable

    def _log_refusal(
        self, request: Request, endpoint: Endpoint, err: ApiError, started: float
    ) -> None:
        """A request refused before it was known whose it is (401, a bad header)."""
        if log.isEnabledFor(logging.INFO):
            fields = {
                "endpoint": endpoint.value,
                "status": err.status,
                "error": err.code,
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                "ip": self._ip(request),
            }
            log.info("request", extra=fields)

    def _fail(self, call: Call, err: ApiError) -> ApiError:
        """Record a refused or failed call as an event (no response), then hand the error on."""
        call.error = err
        try:
            err.durable = self._record(call, err.status, None)
        except JournalError as failed:
            return self._unjournaled(failed)
        err.counted = True
        return err

    def _count(self, endpoint: Endpoint, status: int, started: float) -> None:
        self.metrics.requests.labels(endpoint.value, str(status)).inc()
        self.metrics.latency.labels(endpoint.value).observe(time.perf_counter() - started)

    def _upstream_error(self, upstream: Upstream, err: UpstreamError) -> ApiError:
        if isinstance(err, UpstreamTimeoutError):
            self.metrics.upstream_errors.labels(upstream.name, "timeout").inc()
            log.warning("upstream timeout", extra={"upstream": upstream.name, "error": str(err)})
            return ApiError(
                504,
                f"The model server did not answer in time ({err.problem}).",
                type="timeout",
                code="upstream_timeout",
            )
        kind = "connection" if err.status is None else "status"
        self.metrics.upstream_errors.labels(upstream.name, kind).inc()
        log.warning("upstream error", extra={"upstream": upstream.name, "error": str(err)})
        if err.status is not None and 400 <= err.status < 500 and err.status not in (401, 403):
            return _passed_on(err)
        return ApiError(
            502,
            f"The model server failed ({err.problem}); try again later.",
            type="upstream_error",
            code="bad_gateway",
        )

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the after-response work still running (at shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        answer = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return answer if isinstance(answer, dict) else None


def _passed_on(err: UpstreamError) -> ApiError:
    """An upstream's own 4xx (a request it refused), with its message when it gave one."""
    message = f"The model server refused the request (HTTP {err.status})."
    param = code = None
    kind = "invalid_request_error"
    try:
        inner = orjson.loads(err.body).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        inner = None
    if isinstance(inner, dict):
        message = str(inner.get("message") or message)
        param, code = inner.get("param"), inner.get("code")
        kind = str(inner.get("type") or kind)
    assert err.status is not None
    return ApiError(err.status, message, type=kind, code=code, param=param)
