"""Token budgets reserved before the call, refusals recorded as events, oversized text cut."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
from gateway_harness import Gateway

from distillguard.events import EventReader
from distillguard.events.clip import MARKER

ASK = [{"role": "user", "content": "Describe the water cycle in detail."}]
BUDGET = {"budget": {"tokens_per_min": 2000}}


def _events(gw: Gateway) -> list[dict[str, object]]:
    folder = Path(gw.app.state.proxy.settings.events.dir)
    gw.stop()  # drains the queue and the reorder buffer
    out = []
    for path in sorted(folder.glob("events-*.jsonl")):
        out += [dict(e.raw) for e in EventReader(path)]  # strict: every line valid and ordered
    return out


def test_concurrent_requests_never_overrun_the_tier_budget(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(
        tier="budget",
        tiers=BUDGET,
        upstreams={"simulated": {"latency_ms": 200, "median_tokens": 5000}},
    )
    client = gw.client()

    def ask(_: int) -> int:
        try:
            r = client.chat.completions.create(model="sim-large", messages=ASK, max_tokens=500)
        except openai.RateLimitError:
            return 0
        assert r.usage is not None
        return r.usage.total_tokens

    with ThreadPoolExecutor(16) as pool:
        used = list(pool.map(ask, range(16)))
    served = [u for u in used if u]
    # Reserved up front: prompt (~9) + 500 each, so three fit 2,000; without reservation all
    # 16 would pass the check before any of them was charged.
    assert len(served) == 3
    assert sum(served) <= 2000 + 500


def test_a_request_without_max_tokens_is_held_to_the_tier_cap(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(
        tier="capped",
        tiers={"capped": {"max_tokens": 40}},
        upstreams={"simulated": {"median_tokens": 4000}},
    )
    r = gw.client().chat.completions.create(model="sim-large", messages=ASK)
    assert r.usage is not None and r.usage.completion_tokens <= 40
    assert r.choices[0].finish_reason == "length"
    events = _events(gw)
    assert "max_tokens" not in events[0]["request"]  # type: ignore[operator]  # as the client sent it


def test_a_request_that_can_never_fit_its_tier_is_a_400_and_an_event(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(tier="budget", tiers=BUDGET)
    with pytest.raises(openai.BadRequestError) as err:
        gw.client().chat.completions.create(model="sim-large", messages=ASK, max_tokens=1999)
    assert err.value.code == "request_too_large_for_tier"
    assert "2,000 tokens" in str(err.value) and "'max_tokens'" in str(err.value)
    # Asking for no cap is not an error: the gateway's own cap shrinks to fit.
    ok = gw.client().chat.completions.create(model="sim-large", messages=ASK)
    assert ok.choices[0].message.content
    refused, served = _events(gw)
    assert refused["status"] == 400 and served["status"] == 200
    assert refused["error"] == {  # type: ignore[comparison-overlap]
        "type": "invalid_request_error",
        "code": "request_too_large_for_tier",
        "param": "max_tokens",
    }


def test_an_unreadable_body_of_a_known_account_is_recorded_as_a_digest(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway()
    raw = b'{"model": "sim-large", "messages": [{"role": [], "content": "x"}]}'
    reply = httpx.post(
        gw.url + "/v1/chat/completions",
        content=raw,
        headers={"authorization": f"Bearer {gw.secret}", "content-type": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["param"] == "messages[0].role"
    (event,) = _events(gw)
    assert event["status"] == 400
    assert event["request"] == {"messages": [], "model": "sim-large"}
    error = event["error"]
    assert isinstance(error, dict)
    assert error["param"] == "messages[0].role"
    assert error["body_bytes"] == len(raw)
    assert error["body_sha256"] == hashlib.sha256(raw).hexdigest()


def test_unknown_models_are_404_and_recorded(start_gateway: Callable[..., Gateway]) -> None:
    gw = start_gateway()
    with pytest.raises(openai.NotFoundError) as err:
        gw.client().chat.completions.create(model="no-such-model-xyz", messages=ASK)
    assert err.value.code == "model_not_found"
    (event,) = _events(gw)
    assert event["status"] == 404
    assert event["request"] == {"model": "no-such-model-xyz", "messages": ASK}


def test_oversized_text_in_an_event_is_cut_with_its_length_and_hash(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway(server={"max_event_text": 1000})
    long = "The quick brown fox. " * 1000
    gw.client().chat.completions.create(
        model="sim-large", messages=[{"role": "user", "content": long}]
    )
    (event,) = _events(gw)
    stored = event["request"]["messages"][0]["content"]  # type: ignore[index]
    assert stored.startswith(long[:1000]) and MARKER in stored
    assert f"{len(long)} chars" in stored
    assert hashlib.sha256(long.encode()).hexdigest() in stored
    assert len(stored) < 1200


def test_a_body_nested_too_deep_is_a_400_and_does_not_poison_the_log(
    start_gateway: Callable[..., Gateway],
) -> None:
    gw = start_gateway()
    deep: object = {"type": "string"}
    for _ in range(300):
        deep = {"type": "object", "properties": {"p": deep}}
    tools = [{"type": "function", "function": {"name": "f", "parameters": deep}}]
    raw = httpx.post(
        gw.url + "/v1/chat/completions",
        json={"model": "sim-large", "messages": ASK, "tools": tools},
        headers={"authorization": f"Bearer {gw.secret}"},
    )
    assert raw.status_code == 400 and "nested too deeply" in raw.json()["error"]["message"]
    answered = gw.client().chat.completions.create(model="sim-large", messages=ASK)
    assert answered.choices[0].message.content
    assert [e["status"] for e in _events(gw)] == [400, 200]
