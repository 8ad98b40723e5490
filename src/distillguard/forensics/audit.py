"""Whose watermark a suspect model's outputs carry: the API behind `distillguard audit`.

    texts = read_texts(Path("suspect.jsonl"))                # {"text"}, chat sets, event logs
    report = audit(texts, tokenize, KeyRing.derive(secret, accounts), scheme, alpha=0.01)
    report.flagged                                            # the accounts named, strongest first

Every candidate account's key is tested on the same distinct (context, token) pairs of all the
texts (`watermark_detect.score_keys`); an account is named when its Holm-adjusted p-value is
below `alpha`, so the chance of naming any innocent account at all stays below `alpha`. The
evidence of a named account is the few texts whose own green share under its key is least
likely by chance (highest z-score).
`audit_tokens` takes token ids directly (a student model's outputs, say) and needs no tokenizer.

With `served` (`read_served` of the gateway's event log, hashed by `served_contexts`), an
account is tested only in the contexts of the answers it was served, where a student of those
answers can carry its watermark (`watermark_detect`, "served-context filtering").
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from distillguard.errors import AuditError, InputNotFoundError, RecordFormatError
from distillguard.forensics.watermark import (
    U64,
    WatermarkScheme,
    context_set,
    distinct_pairs,
    green_flags,
    text_pairs_and_contexts,
)
from distillguard.forensics.watermark_detect import KeyScore, score_keys
from distillguard.forensics.watermark_keys import KeyRing

Tokenize = Callable[[str], Sequence[int]]
SNIPPET_CHARS = 240


@dataclass(frozen=True, slots=True)
class Evidence:
    """One suspect text that carries an account's watermark: its start and its green count."""

    index: int  # position among the texts read
    snippet: str
    green: int
    scored: int  # distinct pairs of this text


@dataclass(frozen=True, slots=True)
class Finding:
    score: KeyScore
    flagged: bool
    evidence: tuple[Evidence, ...] = ()

    @property
    def account(self) -> str:
        return self.score.account


@dataclass(frozen=True, slots=True)
class AuditReport:
    texts: int
    scored: int  # distinct (context, token) pairs tested against every key
    alpha: float
    scheme: WatermarkScheme
    findings: tuple[Finding, ...]  # every candidate, strongest evidence first

    @property
    def flagged(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.flagged)

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON types (what `--json OUT` writes)."""

        def finding(f: Finding) -> dict[str, Any]:
            return {
                **asdict(f.score),
                "green_fraction": f.score.green_fraction,
                "flagged": f.flagged,
                "evidence": [asdict(e) for e in f.evidence],
            }

        return {
            "texts": self.texts,
            "scored": self.scored,
            "candidates": len(self.findings),
            "alpha": self.alpha,
            "correction": "holm",
            "served_only": [f.account for f in self.findings if f.score.served_only],
            "scheme": asdict(self.scheme),
            "flagged": [f.account for f in self.flagged],
            "findings": [finding(f) for f in self.findings],
        }


def audit(
    texts: Sequence[str],
    tokenize: Tokenize,
    ring: KeyRing,
    scheme: WatermarkScheme,
    alpha: float = 0.01,
    evidence: int = 3,
    served: Mapping[str, U64] | None = None,
) -> AuditReport:
    """Test `texts` against every key of `ring`; see the module docstring."""
    tokens = [list(tokenize(t)) for t in texts]
    return audit_tokens(tokens, ring, scheme, alpha, evidence, texts, served)


def audit_tokens(
    tokens: Sequence[Sequence[int]],
    ring: KeyRing,
    scheme: WatermarkScheme,
    alpha: float = 0.01,
    evidence: int = 3,
    texts: Sequence[str] | None = None,
    served: Mapping[str, U64] | None = None,
) -> AuditReport:
    """`audit` on tokenized texts; `texts` (same order) only feed the evidence snippets."""
    if not len(ring):
        raise AuditError("no candidate accounts", "create accounts in the store or pass --accounts")
    if not 0 < alpha < 1:
        raise AuditError(f"alpha {alpha} is not between 0 and 1", "pass e.g. --alpha 0.01")
    pairs, contexts = distinct_pairs(tokens, scheme.context)
    if pairs.size == 0:
        raise AuditError(
            f"the {len(tokens)} texts hold no token with {scheme.context} tokens before it",
            "give longer texts (at least a sentence each)",
        )
    served = served or {}
    per_text = [text_pairs_and_contexts(t, scheme.context) for t in tokens]
    findings = []
    for score in score_keys(pairs, ring, scheme, contexts, served):
        flagged = score.p_holm < alpha
        shown: tuple[Evidence, ...] = ()
        if flagged and evidence > 0:
            own = served.get(score.account)
            mine = [np.unique(p if own is None else p[np.isin(c, own)]) for p, c in per_text]
            shown = _evidence(mine, ring.key_of(score.account), scheme, evidence, texts)
        findings.append(Finding(score, flagged, shown))
    return AuditReport(len(tokens), int(pairs.size), alpha, scheme, tuple(findings))


def _evidence(
    per_text: list[Any],
    key: int,
    scheme: WatermarkScheme,
    count: int,
    texts: Sequence[str] | None,
) -> tuple[Evidence, ...]:
    greens = [int(green_flags(p, key, scheme).sum()) for p in per_text]
    g = scheme.gamma

    def strength(i: int) -> float:  # the text's own z-score: the mark's clearest examples
        n = int(per_text[i].size)
        return (greens[i] - g * n) / math.sqrt(n * g * (1 - g)) if n else float("-inf")

    best = sorted(range(len(per_text)), key=lambda i: -strength(i))[:count]
    out = []
    for i in best:
        text = texts[i] if texts is not None else ""
        snippet = text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
        out.append(Evidence(i, snippet, greens[i], int(per_text[i].size)))
    return tuple(out)


# -- what each account was served


Chat = tuple[list[dict[str, Any]] | str, str]  # (the request's messages or prompt, the answer)


def read_served_chats(path: Path) -> dict[str, list[Chat]]:
    """What each account asked and was answered, from an event log (docs/events.md, `.gz` too).

    Events of requests that got no answer are skipped; a line that is not an event with an
    `account` raises `RecordFormatError` naming file and line.
    """
    if not path.is_file():
        raise InputNotFoundError(str(path), "served event log")
    by_account: dict[str, list[Chat]] = {}
    for number, line in _lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as err:
            raise RecordFormatError(str(path), number, f"not valid JSON ({err})") from None
        account = record.get("account") if isinstance(record, dict) else None
        if not isinstance(account, str) or not account:
            raise RecordFormatError(str(path), number, "an event needs a string 'account'")
        texts = _texts_of(record)
        if texts is None or not ("response" in record or "request" in record):
            raise RecordFormatError(str(path), number, "is not an event (no 'response')")
        request = record.get("request") if isinstance(record.get("request"), dict) else {}
        messages, prompt = request.get("messages"), request.get("prompt")
        asked: list[dict[str, Any]] | str = (
            messages if isinstance(messages, list) else prompt if isinstance(prompt, str) else ""
        )
        by_account.setdefault(account, []).extend((asked, t) for t in texts if t.strip())
    return {a: chats for a, chats in by_account.items() if chats}


def read_served(path: Path) -> dict[str, list[str]]:
    """The answers each account was served (`read_served_chats` without the requests)."""
    return {a: [answer for _, answer in chats] for a, chats in read_served_chats(path).items()}


def served_contexts(
    by_account: Mapping[str, Sequence[str]], tokenize: Tokenize, scheme: WatermarkScheme
) -> dict[str, U64]:
    """Each account's served answers as the set of watermark contexts they hold."""
    return {
        account: context_set([tokenize(t) for t in texts], scheme.context)
        for account, texts in by_account.items()
    }


# -- reading suspect outputs


def read_texts(path: Path) -> list[str]:
    """The model-written texts of a JSONL file (`.gz` too), in order, empty ones left out.

    Each line is one of: `{"text": ...}`; a chat-format training example (`{"messages": [...]}`,
    its assistant messages); an event of docs/events.md (its `response`'s choices); or
    `{"completion": ...}`. Anything else raises `RecordFormatError` naming file and line.
    """
    if not path.is_file():
        raise InputNotFoundError(str(path), "suspect outputs file")
    texts: list[str] = []
    for number, line in _lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as err:
            raise RecordFormatError(str(path), number, f"not valid JSON ({err})") from None
        if not isinstance(record, dict):
            raise RecordFormatError(str(path), number, "must be a JSON object")
        found = _texts_of(record)
        if found is None:
            raise RecordFormatError(
                str(path),
                number,
                "has none of 'text', 'messages' (chat format), 'response' (an event) or "
                "'completion'",
            )
        texts += [t for t in found if t.strip()]
    if not texts:
        raise AuditError(f"{path} holds no model-written text", "check the file's format")
    return texts


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                yield number, line


def _texts_of(record: dict[str, Any]) -> list[str] | None:
    if isinstance(record.get("text"), str):
        return [record["text"]]
    if isinstance(record.get("messages"), list):
        return [
            message_text(m.get("content"))
            for m in record["messages"]
            if isinstance(m, dict) and m.get("role") == "assistant"
        ]
    if isinstance(record.get("response"), dict):
        out = []
        for choice in record["response"].get("choices") or ():
            if isinstance(choice, dict):
                message = choice.get("message")
                text = message.get("content") if isinstance(message, dict) else choice.get("text")
                out.append(message_text(text))
        return out
    if isinstance(record.get("completion"), str):
        return [record["completion"]]
    if isinstance(record.get("request"), dict):  # an event of a request that got no answer
        return []
    return None


def message_text(content: Any) -> str:
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""
