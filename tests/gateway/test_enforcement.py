"""The policy enforced in a real gateway: requests, answers, streams, shadow mode and cases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from gateway_harness import gateway_settings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from distillguard.gateway import BackgroundServer, build_app
from distillguard.store import open_store

POLICY = """
mode = "enforce"
default_tier = "open"
[tiers.open]
[[levels]]
name = "restrict"
case = true
when = {{ min_risk = 0.35 }}
actions = {{ strip_logprobs = true, strip_logit_bias = true, cap_n = 1, reasoning = "none" }}
[[levels]]
name = "suspend"
case = true
when = {{ min_risk = 0.99, min_requests = 100000 }}
actions = {{ suspend = true }}
[overrides.{pinned}]
pin = "restrict"
[overrides.{shadowed}]
pin = "restrict"
mode = "shadow"
[overrides.{suspended}]
pin = "suspend"
"""
ADMIN = "admin-token-for-the-review-queue"
RECEIVED: list[dict[str, Any]] = []  # bodies the upstream got
THOUGHT = "First, recall that Rayleigh scattering goes as the inverse fourth power."


def _chunks(n: int) -> Iterator[bytes]:
    base = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    for i in range(n):
        delta = (
            {"reasoning_content": f"{THOUGHT} step {i}. "} if i < n - 1 else {"content": "Blue."}
        )
        choice = {"index": 0, "delta": delta, "finish_reason": None if i < n - 1 else "stop"}
        yield b"data: " + orjson.dumps({**base, "choices": [choice]}) + b"\n\n"
    yield b"data: [DONE]\n\n"


async def _reasoner(request: Request) -> Response:
    """An upstream that thinks out loud: reasoning_content in answers and in streams."""
    body = await request.json()
    RECEIVED.append(body)
    if body.get("stream"):

        async def gen() -> AsyncIterator[bytes]:
            for chunk in _chunks(4):
                yield chunk
                await asyncio.sleep(0)

        return StreamingResponse(gen(), media_type="text/event-stream")
    n = body.get("n", 1)
    message = {"role": "assistant", "content": "Blue.", "reasoning_content": THOUGHT}
    choices = [{"index": i, "message": message, "finish_reason": "stop"} for i in range(n)]
    usage = {"prompt_tokens": 9, "completion_tokens": 5 * n, "total_tokens": 9 + 5 * n}
    return JSONResponse(
        {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": choices,
            "usage": usage,
        }
    )


@pytest.fixture
def enforcing(tmp_path: Path) -> Iterator[dict[str, Any]]:
    upstream = BackgroundServer(
        Starlette(routes=[Route("/v1/chat/completions", _reasoner, methods=["POST"])])
    ).start()
    base = {
        "upstreams": {"thinker": {"kind": "http", "url": upstream.url + "/v1"}},
        "models": {"*": "thinker"},
        "events": {"trust_event_time": True},
        "admin": {"token": ADMIN},
    }
    store = open_store(gateway_settings(tmp_path, **base))
    secrets = {}
    for name in ("pinned", "shadowed", "suspended", "plain", "prober"):
        account = store.create_account(name, tier="open")
        secrets[name] = (account.id, store.create_key(account.id).secret)
    store.close()
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY.format(**{k: v[0] for k, v in secrets.items()}))
    settings = gateway_settings(tmp_path, **base, policy={"file": str(policy)})
    server = BackgroundServer(build_app(settings)).start()
    clients: list[openai.OpenAI] = []

    def client(name: str) -> openai.OpenAI:
        c = openai.OpenAI(base_url=server.url + "/v1", api_key=secrets[name][1], max_retries=0)
        clients.append(c)
        return c

    yield {
        "server": server,
        "client": client,
        "ids": {k: v[0] for k, v in secrets.items()},
        "events": tmp_path / "events",
    }
    for c in clients:
        c.close()
    server.stop()
    upstream.stop()


def _events(folder: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(x)
        for f in sorted(folder.glob("events-*.jsonl"))
        for x in f.read_bytes().splitlines()
    ]


ASK = [{"role": "user", "content": "Why is the sky blue?"}]
LEVERS: dict[str, Any] = {"logprobs": True, "top_logprobs": 3, "logit_bias": {"15": 5}, "n": 3}


def test_a_restricted_account_loses_the_levers_and_the_reasoning(enforcing) -> None:
    r = enforcing["client"]("pinned").chat.completions.create(model="m", messages=ASK, **LEVERS)
    assert len(r.choices) == 1  # n capped
    assert r.choices[0].message.content == "Blue."
    assert getattr(r.choices[0].message, "reasoning_content", None) is None
    free = enforcing["client"]("plain").chat.completions.create(model="m", messages=ASK, **LEVERS)
    assert len(free.choices) == 3 and free.choices[0].message.reasoning_content == THOUGHT  # type: ignore[attr-defined]
    enforcing["server"].stop()
    by = {e["account"]: e for e in _events(enforcing["events"])}
    pinned = by[enforcing["ids"]["pinned"]]
    assert pinned["enforcement"]["level"] == "restrict" and not pinned["enforcement"]["shadow"]
    assert {"strip_logprobs", "strip_logit_bias", "cap_n", "withhold_reasoning"} <= set(
        pinned["enforcement"]["changes"]
    )
    assert pinned["request"]["n"] == 3  # the event keeps what the client sent
    assert "reasoning_content" not in pinned["response"]["choices"][0]["message"]  # and got
    assert "enforcement" not in by[enforcing["ids"]["plain"]]


def test_shadow_mode_changes_nothing_and_records_what_it_would_have(enforcing) -> None:
    r = enforcing["client"]("shadowed").chat.completions.create(model="m", messages=ASK, **LEVERS)
    assert len(r.choices) == 3 and r.choices[0].message.reasoning_content == THOUGHT  # type: ignore[attr-defined]
    enforcing["server"].stop()
    (event,) = [
        e for e in _events(enforcing["events"]) if e["account"] == enforcing["ids"]["shadowed"]
    ]
    assert event["enforcement"]["shadow"] is True
    assert {"cap_n", "withhold_reasoning"} <= set(event["enforcement"]["changes"])


def test_a_suspended_account_is_refused_and_the_refusal_recorded(enforcing) -> None:
    with pytest.raises(openai.PermissionDeniedError) as refused:
        enforcing["client"]("suspended").chat.completions.create(model="m", messages=ASK)
    assert refused.value.code
    enforcing["server"].stop()
    (event,) = [
        e for e in _events(enforcing["events"]) if e["account"] == enforcing["ids"]["suspended"]
    ]
    assert event["status"] == 403 and "deny" in event["enforcement"]["changes"]


def test_reasoning_is_withheld_from_a_stream_chunk_by_chunk(enforcing) -> None:
    stream = enforcing["client"]("pinned").chat.completions.create(
        model="m", messages=ASK, stream=True
    )
    deltas = [c.choices[0].delta for c in stream if c.choices]
    assert "".join(d.content or "" for d in deltas) == "Blue."
    assert not any(getattr(d, "reasoning_content", None) for d in deltas)
    open_stream = enforcing["client"]("plain").chat.completions.create(
        model="m", messages=ASK, stream=True
    )
    thought = "".join(
        getattr(c.choices[0].delta, "reasoning_content", None) or ""
        for c in open_stream
        if c.choices
    )
    assert thought.count(THOUGHT) == 3


def test_detection_escalates_an_account_opens_a_case_and_audits_it(enforcing) -> None:
    prober = enforcing["client"]("prober")
    account = enforcing["ids"]["prober"]
    stripped_after = None
    for i in range(100):  # a logit_bias sweep, one token at a time
        prober.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": f"Say one word. ({i})"}],
            logit_bias={str(1000 + i): 100},
            logprobs=True,
            top_logprobs=5,
            max_tokens=1,
            extra_headers={"x-distillguard-event-time": str(1.8e9 + 5 * i)},
        )
        if i % 10 == 9:
            time.sleep(0.2)  # let the recorder (reorder window) score what came so far
            decision = enforcing["server"].app.state.enforcement.enforcer.decision(account)
            if decision.level == "restrict" and stripped_after is None:
                stripped_after = i
    assert stripped_after is not None and stripped_after < 70
    server = enforcing["server"]
    admin = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {ADMIN}"})
    with admin:
        (listed,) = [
            c
            for c in admin.get("/admin/cases?status=open").json()["data"]
            if c["subject"] == account
        ]
        path = f"/admin/cases/{listed['id']}"
        assert admin.post(path + "/assign", json={"author": "lead", "assignee": "ana"}).is_success
        no_reason = admin.post(path + "/confirm", json={"author": "ana"})
        assert no_reason.status_code == 400 and no_reason.json()["error"]["param"] == "reason"
        done = admin.post(path + "/confirm", json={"author": "ana", "reason": "logit sweep"})
        assert done.json()["status"] == "confirmed"
        with pytest.raises(openai.PermissionDeniedError):
            prober.chat.completions.create(model="m", messages=ASK)
        trail = admin.get(f"/admin/audit?subject={account}").json()["data"]
        assert [(e["actor"], e["action"]) for e in trail][-2:] == [
            ("ana", "case_confirmed"),
            ("ana", "suspend"),
        ]
    enforcing["server"].stop()
    store = enforcing["server"].app.state.store
    cases = [c for c in store.list_cases() if c.subject == account]
    assert len(cases) == 1 and cases[0].level == "restrict"
    case = store.get_case(cases[0].id)
    assert case.evidence["reasons"] and case.evidence["points"]
    assert any("Say one word" in s for s in case.evidence["samples"])
    audit = store.audit_log(subject=account)
    assert [e.action for e in audit][:2] == ["level_change", "case_opened"]
    assert audit[0].detail["to"] == "restrict" and audit[0].actor == "system:policy"
    late = [e for e in _events(enforcing["events"]) if e["account"] == account][-6:-1]
    assert all("strip_logit_bias" in e["enforcement"]["changes"] for e in late)


def test_a_client_cannot_name_whose_watermark_key_marks_its_answers(enforcing) -> None:
    RECEIVED.clear()
    enforcing["client"]("plain").chat.completions.create(
        model="m", messages=ASK, extra_body={"x_distillguard_account": enforcing["ids"]["pinned"]}
    )
    assert RECEIVED and all("x_distillguard_account" not in body for body in RECEIVED)
