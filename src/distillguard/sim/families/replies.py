"""Response bodies: usage numbers, finish reasons and answer text of realistic length.

Completion lengths come from the Azure 2023 GeneratedTokens samples (`sim.responses`),
scaled by what the caller wants from the answer (a harvester's long answers, a RAG app's
short ones) and by step-by-step phrasing, then cut at the request's max_tokens: where it
binds, finish_reason is "length". Text is about four characters a token, cut at
`MAX_CHARS` (the same cap for every account) so a 300k-event log stays a few hundred MB;
it starts from the data set's reference answer where there is one and goes on with real
sentences taken from the data sets' answers.
"""

from __future__ import annotations

import random
import re
from typing import Any

from distillguard.sim.families.sources import Pools
from distillguard.sim.responses import FAIL_RATE, FAILURES, Reply, Responder, prompt_tokens

MAX_CHARS = 2000
CHARS_PER_TOKEN = 4
REASONING_SHARE = 0.85
EFFORT = {"low": 1.0, "medium": 2.5, "high": 5.0}
ALT_TOKENS = (" the", " a", " of", " and", " is", " yes", " no", "A", "B", "C", "D", ".", ",")


def corpus_of(pools: Pools) -> str:
    """One long string of answer-like text: the answers and documents of the run's own
    sources (so a `tune` run's answers never quote a `test` data set either)."""
    parts: list[str] = []
    for pool in pools.by_name.values():
        if pool.name in ("roles", "orca"):
            continue  # system prompts, not answers
        docs = pool.name in ("bitext_docs", "t0_passages")
        parts += [it.text if docs else it.ref for it in pool.items if len(it.ref) > 20 or docs]
    text = " ".join(p.replace("\n", " ") for p in parts) or "The answer follows."
    while len(text) < 20000:  # the built-in bank is small: repeat it rather than run dry
        text = f"{text} {text}"
    return text


class Answerer:
    """Builds response bodies; shared by every account of a run, stateless."""

    def __init__(self, responder: Responder, corpus: str) -> None:
        self.responder = responder
        self.corpus = corpus
        # Sentence starts, found once: answers start on a sentence, as real ones do.
        self.starts = [0] + [m.end() for m in re.finditer(r"\. ", corpus)]

    def fill(self, rng: random.Random, chars: int) -> str:
        start = self.starts[rng.randrange(len(self.starts))]
        if start + chars > len(self.corpus):
            start = max(0, len(self.corpus) - chars)
        return self.corpus[start : start + chars].strip()

    def text(self, rng: random.Random, chars: int, ref: str = "", cot: bool = False) -> str:
        chars = max(2, min(chars, MAX_CHARS))
        body = ref[:chars]
        if len(body) < chars:
            body = f"{body} {self.fill(rng, chars - len(body))}".strip()
        return _steps(body) if cot else body

    def reply(
        self,
        rng: random.Random,
        request: dict[str, Any],
        *,
        scale: float = 1.0,
        ref: str = "",
        cot: bool = False,
        lengths: str = "conv",
        label: str | None = None,
        tool_call: dict[str, Any] | None = None,
    ) -> Reply:
        """A reply to `request`: text, a short `label`, or the given `tool_call`."""
        if rng.random() < FAIL_RATE:
            status = rng.choices([s for s, _ in FAILURES], [w for _, w in FAILURES])[0]
            return Reply(None, status, round(rng.uniform(20, 400), 1), "")
        limit = request.get("max_tokens") or request.get("max_completion_tokens") or 1 << 16
        choices, used, text = [], 0, ""
        for i in range(int(request.get("n") or 1)):
            choice, tokens, content = self._choice(
                rng, request, limit, scale, ref, cot, lengths, label, tool_call
            )
            choice["index"] = i
            choices.append(choice)
            used += tokens
            text = text or content
        reasoning = self._reasoning(rng, request, choices)
        p_tokens = prompt_tokens(request)
        usage: dict[str, Any] = {
            "prompt_tokens": p_tokens,
            "completion_tokens": used + reasoning,
            "total_tokens": p_tokens + used + reasoning,
        }
        if request.get("reasoning_effort"):
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        latency = rng.uniform(120, 450) + p_tokens * 0.02 + (used + reasoning) * rng.uniform(8, 25)
        body = {"model": request.get("model"), "choices": choices, "usage": usage}
        return Reply(body, 200, round(latency, 1), text)

    def _choice(
        self,
        rng: random.Random,
        request: dict[str, Any],
        limit: int,
        scale: float,
        ref: str,
        cot: bool,
        lengths: str,
        label: str | None,
        tool_call: dict[str, Any] | None,
    ) -> tuple[dict[str, Any], int, str]:
        if tool_call is not None:
            tokens = rng.randint(12, 70)
            msg = {"role": "assistant", "content": None, "tool_calls": [tool_call]}
            return {"message": msg, "finish_reason": "tool_calls"}, tokens, ""
        if label is not None:
            tokens = max(1, len(label) // CHARS_PER_TOKEN + rng.randint(0, 1))
            content = label
        else:
            tokens = self.responder.completion(
                rng, lengths, scale * (rng.uniform(1.3, 2.2) if cot else 1)
            )
            content = self.text(rng, min(tokens, limit) * CHARS_PER_TOKEN, ref, cot)
        finish = "length" if tokens >= limit else "stop"
        tokens = min(tokens, limit)
        choice: dict[str, Any] = {
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish,
        }
        if request.get("logprobs"):
            choice["logprobs"] = _logprobs(rng, content, request.get("top_logprobs") or 0)
        return choice, tokens, content

    def _reasoning(self, rng: random.Random, request: dict[str, Any], choices: list[Any]) -> int:
        effort = request.get("reasoning_effort")
        if not effort or rng.random() >= REASONING_SHARE:
            return 0
        tokens = self.responder.completion(rng, "conv", EFFORT.get(effort, 2.0))
        msg = choices[0]["message"]
        msg["reasoning_content"] = self.text(rng, min(tokens * CHARS_PER_TOKEN, 600))
        return tokens


def _steps(body: str) -> str:
    """Break an answer into numbered steps at sentence ends (a worked explanation)."""
    out, step, i = [], 1, 0
    while i < len(body):
        j = body.find(". ", i + 120)
        j = len(body) if j < 0 else j + 1
        out.append(f"Step {step}: {body[i:j].strip()}")
        step, i = step + 1, j + 1
    return "\n".join(out)


def _logprobs(rng: random.Random, content: str, top: int) -> dict[str, Any]:
    # A few tokens only: the presence and width of logprobs matter, not their length.
    words = content.split()[:3] or [content or "."]
    entries = []
    for w in words:
        lp = -round(rng.expovariate(4.0), 4)
        alts = [{"token": w, "logprob": lp}] if top else []
        value = lp
        for j in range(max(0, top - 1)):
            value -= rng.uniform(0.1, 1.5)
            alts.append({"token": ALT_TOKENS[j % len(ALT_TOKENS)], "logprob": round(value, 4)})
        entries.append({"token": w, "logprob": lp, "top_logprobs": alts})
    return {"content": entries}
