"""Text helpers: token estimates, synthetic responses of plausible length, follow-ups, tools."""

from __future__ import annotations

import re

import numpy as np

from .data import Pools

_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{3,}")


def tokens(text: str) -> int:
    """Rough BPE count: about four characters a token."""
    return max(1, (len(text) + 3) // 4)


def filler(rng: np.random.Generator, pools: Pools, n_chars: int) -> str:
    if n_chars <= 0:
        return ""
    bank = pools.filler
    off = int(rng.integers(0, max(1, len(bank) - n_chars - 1)))
    sp = bank.find(" ", off)
    off = off if sp < 0 else sp + 1
    return bank[off : off + n_chars]


def length_for(rng: np.random.Generator, pools: Pools, out: str) -> int:
    """Completion tokens a response of kind ``out`` would use (trace-based where it can)."""
    if out == "label":
        return int(rng.integers(2, 12))
    if out == "json":
        return int(rng.integers(15, 120))
    if out == "judge":
        return int(rng.integers(120, 520))
    if out == "complete":
        return int(pools.code_gen[int(rng.integers(pools.code_gen.size))]) + 4
    if out == "cot":
        return int(rng.lognormal(np.log(360.0), 0.5))
    if out == "code":
        return int(rng.lognormal(np.log(300.0), 0.6))
    if out == "long":
        return int(rng.lognormal(np.log(700.0), 0.45))
    if out == "tasks":
        return int(rng.lognormal(np.log(450.0), 0.3))
    if out == "short":
        return int(rng.lognormal(np.log(60.0), 0.6)) + 3
    g = int(pools.conv_gen[int(rng.integers(pools.conv_gen.size))])
    return max(8, int(g * rng.lognormal(0.25, 0.35)))


def respond(rng: np.random.Generator, pools: Pools, out: str, ref: str | None, n_tok: int) -> str:
    """A response of about ``n_tok`` tokens that starts from the reference answer if any."""
    budget = n_tok * 4
    ref = ref or ""
    if out == "label":
        return ref or "other"
    if out == "json":
        body = f'{{"label": "{ref or "other"}", "confidence": {rng.uniform(0.5, 1.0):.2f}'
        return (
            body
            + f', "rationale": "{filler(rng, pools, max(0, budget - len(body) - 4))}"}}'.replace(
                "\n", " "
            )
        )
    if out == "cot":
        ref = ref.replace("<<", "").replace(">>", " ")
        head = "Let's work through this carefully.\n\n" + ref
        ans = ref.rsplit("####", 1)[-1].strip() if "####" in ref else ref[:40]
        pad = filler(rng, pools, budget - len(head) - 40)
        return f"{head}\n\n{pad}\n\nSo the final answer is {ans}."
    if out in ("code", "complete"):
        code = ref or "def solve(data):\n    return sorted(set(data))\n"
        if out == "complete":
            return code[:budget]
        expl = filler(rng, pools, max(0, budget - len(code) - 30))
        return f"Here is an implementation:\n\n```python\n{code}\n```\n\n{expl}"
    if out == "judge":
        score = int(rng.integers(2, 11))
        text = filler(rng, pools, budget - 40)
        return f"Evaluation: {text}\n\nRating: [[{score}]]"
    if out == "tasks":
        lines = []
        k = 1
        while sum(len(x) for x in lines) < budget and k < 21:
            it = pools.alpaca[int(rng.integers(len(pools.alpaca)))]
            lines.append(f"{k}. {it.prompt.splitlines()[0]}")
            k += 1
        return "\n".join(lines)
    if len(ref) >= budget:
        return ref[:budget]
    return (ref + "\n\n" if ref else "") + filler(rng, pools, budget - len(ref))


def contextual_followup(rng: np.random.Generator, prev_answer: str, question: str) -> str:
    """A follow-up that refers to something specific in the previous answer (a person reading it)."""
    words = _WORD.findall(prev_answer[:1500]) or _WORD.findall(question) or ["that"]
    w = words[int(rng.integers(len(words)))].lower()
    forms = (
        f"wait, what do you mean by {w}?",
        f"ok but how does the {w} part work in my case",
        f"Can you say more about {w}? I didn't follow that bit.",
        f"thanks. is {w} really necessary or can I skip it?",
        f"that didn't work for me, the {w} step gives an error",
        f"Could you shorten that? I only need the part about {w}.",
        f"why {w} and not something else?",
        f"hm, my teacher said something different about {w}",
        f"Great. Now how would I explain {w} to my manager in two sentences?",
        f"sorry, I meant {w} for a small team, not a big company",
    )
    return forms[int(rng.integers(len(forms)))]


GENERIC_FOLLOWUPS = (
    "Please elaborate on your previous answer in more detail.",
    "Give another example.",
    "Can you explain that again more thoroughly?",
    "Now answer the same question for an expert audience.",
    "Rewrite your answer as a numbered list.",
    "What are the limitations of this answer?",
    "Continue.",
    "Summarize your answer in three sentences.",
)
CRITIQUE_FOLLOWUPS = (
    "Review your previous answer for mistakes, list them, then give a corrected, improved answer.",
    "Critique your response: what is weakest about it? Then rewrite it to be better.",
    "Rate your previous answer from 1 to 10 and explain why, then produce a version that would score 10.",
    "Is there anything wrong or missing above? Provide a revised final answer.",
)

TOOLS = {
    "get_weather": {"city": "string", "unit": "string"},
    "search_web": {"query": "string", "top_k": "integer"},
    "create_calendar_event": {"title": "string", "start": "string", "duration_min": "integer"},
    "send_email": {"to": "string", "subject": "string", "body": "string"},
    "query_database": {"sql": "string"},
    "run_python": {"code": "string"},
    "read_file": {"path": "string"},
    "lookup_order": {"order_id": "string"},
    "get_account_balance": {"account_id": "string"},
    "set_reminder": {"text": "string", "when": "string"},
    "translate": {"text": "string", "target_lang": "string"},
    "get_stock_quote": {"symbol": "string"},
    "book_restaurant": {"name": "string", "party_size": "integer", "time": "string"},
    "convert_currency": {"amount": "number", "from": "string", "to": "string"},
    "list_directory": {"path": "string"},
    "http_get": {"url": "string"},
}
TOOL_NAMES = tuple(TOOLS)


def tool_defs(names: list[str] | tuple[str, ...]) -> list[dict]:
    out = []
    for name in names:
        props = {k: {"type": v} for k, v in TOOLS[name].items()}
        out.append(
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": name.replace("_", " ").capitalize() + ".",
                    "parameters": {
                        "type": "object",
                        "properties": props,
                        "required": list(props)[:1],
                    },
                },
            }
        )
    return out


def tool_args(rng: np.random.Generator, name: str, context: str) -> dict:
    words = _WORD.findall(context) or ["item"]
    out: dict = {}
    for k, v in TOOLS[name].items():
        if v == "integer":
            out[k] = int(rng.integers(1, 12))
        elif v == "number":
            out[k] = round(float(rng.uniform(5, 900)), 2)
        else:
            out[k] = " ".join(
                words[int(rng.integers(len(words)))] for _ in range(int(rng.integers(1, 4)))
            )
    return out


def tool_result(rng: np.random.Generator, pools: Pools, name: str) -> str:
    body = filler(rng, pools, int(rng.integers(60, 900))).replace('"', "'").replace("\n", " ")
    return f'{{"ok": true, "tool": "{name}", "result": "{body}"}}'
