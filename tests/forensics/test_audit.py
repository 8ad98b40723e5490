"""The audit API: reading suspect outputs in every format, naming the accounts, the evidence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from test_watermark import SCHEME, SECRET, watermarked

from distillguard.errors import AuditError, InputNotFoundError, RecordFormatError
from distillguard.forensics.audit import audit, audit_tokens, read_texts
from distillguard.forensics.watermark_keys import KeyRing


def ids_tokenizer(text: str) -> list[int]:
    """Texts of these tests are token ids written out, so any tokenizer's ids can be used."""
    return [int(w) for w in text.split()]


def as_text(ids: list[int]) -> str:
    return " ".join(map(str, ids))


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.derive(SECRET, [f"acct_{i:03d}" for i in range(200)])


def test_names_the_account_whose_outputs_a_suspect_learned_from(ring: KeyRing) -> None:
    rng = np.random.default_rng(1)
    carried = watermarked([ring.key_of("acct_007")] * 12, 50, rng)
    unmarked = [rng.integers(0, 512, size=50).tolist() for _ in range(30)]
    texts = [as_text(t) for t in unmarked[:15] + carried + unmarked[15:]]
    report = audit(texts, ids_tokenizer, ring, SCHEME, alpha=0.01, evidence=3)
    assert [f.account for f in report.flagged] == ["acct_007"]
    named = report.flagged[0]
    assert named.score.p_holm < 1e-10 and named.score.green_fraction > 0.3  # 12 of 42 marked
    assert report.findings[1].score.p_holm > 0.01
    assert len(named.evidence) == 3
    assert all(15 <= e.index < 27 for e in named.evidence)  # the watermarked texts
    assert all(e.green > 0.5 * e.scored for e in named.evidence)
    assert named.evidence[0].snippet == texts[named.evidence[0].index]
    assert report.texts == 42 and report.scored == named.score.scored


def test_names_every_account_that_contributed_and_no_one_else(ring: KeyRing) -> None:
    rng = np.random.default_rng(2)
    texts = watermarked([ring.key_of("acct_001")] * 10 + [ring.key_of("acct_150")] * 10, 50, rng)
    report = audit_tokens(texts, ring, SCHEME, alpha=0.01)
    assert {f.account for f in report.flagged} == {"acct_001", "acct_150"}


def test_unwatermarked_outputs_name_nobody(ring: KeyRing) -> None:
    rng = np.random.default_rng(3)
    texts = [rng.integers(0, 512, size=80).tolist() for _ in range(40)]
    report = audit_tokens(texts, ring, SCHEME, alpha=0.01)
    assert report.flagged == ()
    assert len(report.findings) == 200


def test_report_as_json(ring: KeyRing) -> None:
    rng = np.random.default_rng(4)
    texts = [as_text(t) for t in watermarked([ring.key_of("acct_010")] * 8, 50, rng)]
    data = orjson.loads(orjson.dumps(audit(texts, ids_tokenizer, ring, SCHEME).to_json()))
    assert data["flagged"] == ["acct_010"] and data["candidates"] == 200
    top = data["findings"][0]
    assert top["account"] == "acct_010" and top["flagged"] is True
    assert set(top) >= {"scored", "green", "green_fraction", "p_raw", "p_holm", "p_bonferroni"}
    assert top["evidence"][0]["snippet"] in texts
    assert data["scheme"] == {"gamma": 0.25, "delta": 2.0, "context": 2}


def test_audit_refuses_what_it_cannot_test(ring: KeyRing) -> None:
    with pytest.raises(AuditError, match="no candidate accounts"):
        audit_tokens([[1, 2, 3, 4]], KeyRing.derive(SECRET, []), SCHEME)
    with pytest.raises(AuditError, match="alpha"):
        audit_tokens([[1, 2, 3, 4]], ring, SCHEME, alpha=1.5)
    with pytest.raises(AuditError, match="longer texts"):
        audit_tokens([[1], [2, 3]], ring, SCHEME)


def test_reads_texts_chat_sets_events_and_completions(
    write_lines: Callable[..., Path], make_event: Callable[..., dict[str, object]]
) -> None:
    refused = make_event(status=429)
    del refused["response"]
    completions = make_event(
        endpoint="completions", response={"choices": [{"text": "a completion"}, {"text": ""}]}
    )
    chat = {
        "messages": [
            {"role": "user", "content": "question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": "more"},
            {"role": "assistant", "content": [{"type": "text", "text": "second answer"}]},
        ]
    }
    path = write_lines(
        [{"text": "plain text"}, chat, make_event(), refused, completions, "", {"completion": "c"}],
        name="suspect.jsonl.gz",
    )
    assert read_texts(path) == [
        "plain text",
        "first answer",
        "second answer",
        "Rayleigh...",
        "a completion",
        "c",
    ]


def test_bad_lines_name_file_and_line(write_lines: Callable[..., Path]) -> None:
    path = write_lines([{"text": "ok"}, "{not json"])
    with pytest.raises(RecordFormatError, match=r"events\.jsonl:2: not valid JSON"):
        read_texts(path)
    path = write_lines([{"text": "ok"}, {"prompt": "only a prompt"}], name="odd.jsonl")
    with pytest.raises(RecordFormatError, match=r"odd\.jsonl:2: has none of 'text'"):
        read_texts(path)
    with pytest.raises(InputNotFoundError, match="suspect outputs file"):
        read_texts(path.parent / "missing.jsonl")
    with pytest.raises(AuditError, match="no model-written text"):
        read_texts(write_lines([{"text": " "}], name="empty.jsonl"))


# -- served-context filtering


def _learned(contexts: list[list[int]], key: int, rng: np.random.Generator, bias: float) -> list:
    """A student's texts through `contexts` it was trained on: after each, a token that is green
    under `key` with probability about `bias + (1 - bias) * gamma` (it learned the green lists
    there, not the served tokens themselves)."""
    from distillguard.forensics.watermark import green_mask

    mask = green_mask(np.full(len(contexts), key, dtype=np.uint64), np.array(contexts), 512, SCHEME)
    out = []
    for c, row in zip(contexts, mask, strict=True):
        pool = np.flatnonzero(row) if rng.random() < bias else np.arange(512)
        out.append([*c, int(rng.choice(pool))])
    return out


def _served_setup(ring: KeyRing, seed: int) -> tuple[dict[str, Any], list[list[int]]]:
    from distillguard.forensics.watermark import context_set

    rng = np.random.default_rng(seed)
    served = watermarked([ring.key_of("acct_007")] * 30, 60, rng)
    contexts = [t[i : i + 2] for t in served for i in range(0, len(t) - 2, 7)]
    return {"acct_007": context_set(served, SCHEME.context)}, contexts


def test_served_contexts_find_a_weak_student_that_all_pairs_miss(ring: KeyRing) -> None:
    served, contexts = _served_setup(ring, 4)
    rng = np.random.default_rng(5)
    student = _learned(contexts, ring.key_of("acct_007"), rng, bias=0.5)
    noise = [rng.integers(0, 512, size=80).tolist() for _ in range(100)]
    texts = student + noise
    everywhere = audit_tokens(texts, ring, SCHEME, alpha=0.01)
    assert everywhere.flagged == ()  # 8,000 unrelated pairs drown ~250 learned ones
    filtered = audit_tokens(texts, ring, SCHEME, alpha=0.01, served=served)
    assert [f.account for f in filtered.flagged] == ["acct_007"]
    mine = filtered.flagged[0].score
    assert mine.served_only and mine.p_holm < 1e-8
    assert mine.scored < 0.1 * filtered.scored  # only pairs in contexts acct_007 was served
    others = [f.score for f in filtered.findings if f.account != "acct_007"]
    assert all(not s.served_only and s.scored == filtered.scored for s in others)
    assert filtered.to_json()["served_only"] == ["acct_007"]


def test_served_context_filter_keeps_the_null_exact(ring: KeyRing) -> None:
    """A text through the served contexts whose next tokens ignore the key: the account's
    p-value is uniform, though those contexts were chosen by its watermarked answers."""
    from scipy.stats import kstest

    from distillguard.forensics.watermark import distinct_pairs
    from distillguard.forensics.watermark_detect import score_keys

    served, contexts = _served_setup(ring, 6)
    small = KeyRing.derive(SECRET, ["acct_007"])
    rng = np.random.default_rng(7)
    p = []
    for _ in range(300):
        texts = _learned(contexts, ring.key_of("acct_007"), rng, bias=0.0)
        pairs, ctx = distinct_pairs(texts, SCHEME.context)
        (score,) = score_keys(pairs, small, SCHEME, ctx, served)
        assert score.served_only and score.scored == pairs.size  # every context was served
        p.append(score.p_raw)
    # The binomial is discrete: test its continuity-free part, P(p <= a) <= a.
    assert np.mean(np.array(p) <= 0.05) <= 0.08 and np.mean(np.array(p) <= 0.2) <= 0.26
    assert kstest(p, "uniform").statistic < 0.12


def test_read_served_groups_answers_by_account(write_lines: Callable[..., Path]) -> None:
    from distillguard.forensics.audit import read_served, read_served_chats

    def event(account: str, answer: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"ts": "2026-11-27T00:00:00Z", "account": account, "request": {}}
        if answer is not None:
            out["response"] = {"choices": [{"message": {"content": answer}}]}
        return out

    path = write_lines(
        [event("a", "one"), event("b", "two"), event("a", "three"), event("c", None)]
    )
    assert read_served(path) == {"a": ["one", "three"], "b": ["two"]}
    asked = [{"role": "user", "content": "hi"}]
    chat = {**event("a", "hello"), "request": {"messages": asked}}
    completion = {**event("b", "done"), "request": {"prompt": "finish this"}}
    chats = read_served_chats(write_lines([chat, completion], name="chats.jsonl"))
    assert chats == {"a": [(asked, "hello")], "b": [("finish this", "done")]}
    bad = write_lines([event("a", "one"), {"response": {"choices": []}}], name="bad.jsonl")
    with pytest.raises(RecordFormatError, match=r":2.*account"):
        read_served(bad)
    with pytest.raises(InputNotFoundError):
        read_served(path.parent / "missing.jsonl")
