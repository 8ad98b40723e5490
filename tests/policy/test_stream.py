"""Streams: reasoning deltas dropped or cut short chunk by chunk, whatever the byte splits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from distillguard.policy import Enforcer, Policy, StreamRewriter
from distillguard.policy.apply import WITHHELD, summarize

REASONING = [f"step {i}: think about part {i} of the problem. " for i in range(12)]
ANSWER = ["The answer", " is 42", "."]


def sse(*objs: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(o) + b"\n\n" for o in objs) + b"data: [DONE]\n\n"


def delta(**fields: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": fields}],
    }


STREAM = sse(
    delta(role="assistant", content=""),
    *(delta(reasoning_content=r) for r in REASONING),
    *(delta(content=c) for c in ANSWER),
    {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {"id": "c1", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 90}},
)


def parsed(data: bytes) -> tuple[str, str, list[dict[str, Any]]]:
    """(reasoning, content, objects) that a client would assemble from the stream."""
    objs = [
        orjson.loads(line[5:])
        for line in data.split(b"\n")
        if line.startswith(b"data:") and line[5:].strip() != b"[DONE]"
    ]
    reasoning, content = "", ""
    for o in objs:
        for c in o["choices"]:
            reasoning += c["delta"].get("reasoning_content", "")
            content += c["delta"].get("content", "") or ""
    return reasoning, content, objs


def rewriter(policy_of: Callable[..., Policy], exposure: str, **kw: Any) -> StreamRewriter:
    policy = policy_of(tiers={"standard": {"reasoning": exposure}}, summary_chars=60, **kw)
    return StreamRewriter(Enforcer(policy).decision("a"), policy.summary_chars)


def run(rw: StreamRewriter, data: bytes, step: int) -> bytes:
    out = b"".join(rw.feed(data[i : i + step]) for i in range(0, len(data), step))
    return out + rw.flush()


@pytest.mark.parametrize("step", [1, 7, 64, 100_000])
def test_summary_matches_the_non_streamed_preview(
    policy_of: Callable[..., Policy], step: int
) -> None:
    rw = rewriter(policy_of, "summary")
    reasoning, content, _ = parsed(run(rw, STREAM, step))
    full = "".join(REASONING)
    assert reasoning == summarize(full, 60) == full[:60] + " ... " + WITHHELD
    assert content == "".join(ANSWER)
    assert rw.changes[0].before == len(full) - 60


@pytest.mark.parametrize("step", [1, 13, 100_000])
def test_none_drops_reasoning_and_its_empty_chunks(
    policy_of: Callable[..., Policy], step: int
) -> None:
    rw = rewriter(policy_of, "none")
    out = run(rw, STREAM, step)
    reasoning, content, objs = parsed(out)
    assert reasoning == "" and content == "".join(ANSWER)
    assert b"reasoning" not in out
    assert len(objs) == 1 + len(ANSWER) + 2  # the reasoning-only chunks are gone
    assert objs[-1]["usage"]["completion_tokens"] == 90
    assert out.endswith(b"data: [DONE]\n\n")


def test_nothing_to_do_passes_the_same_bytes(policy_of: Callable[..., Policy]) -> None:
    full = rewriter(policy_of, "full")
    assert not full.active
    chunk = STREAM[:200]
    assert full.feed(chunk) is chunk
    none = rewriter(policy_of, "none")
    plain = sse(delta(content="hello"))
    assert none.feed(plain) is plain  # no reasoning in it: not parsed


def test_shadow_changes_nothing_but_counts(policy_of: Callable[..., Policy]) -> None:
    rw = rewriter(policy_of, "none", mode="shadow")
    assert run(rw, STREAM, 50) == STREAM
    assert rw.changes[0].before == len("".join(REASONING))


def test_rewrite_one_object(policy_of: Callable[..., Policy]) -> None:
    rw = rewriter(policy_of, "none")
    chunk = delta(reasoning_content="hmm", content="Hi")
    out = rw.rewrite(chunk)
    assert out == delta(content="Hi") and chunk == delta(reasoning_content="hmm", content="Hi")
    untouched = delta(content="Hi")
    assert rw.rewrite(untouched) is untouched
    assert rw.rewrite(delta(reasoning_content="more")) is None
