"""Conversations and agent loops on top of wire.Wire, and a library of tool definitions.

A conversation keeps its history, so a follow-up carries the earlier answers (prompt tokens grow
the way they do for real multi-turn traffic); an agent loop sends a tool call, the tool's result,
and the next request, with machine-speed gaps between steps.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from wire import Account, Wire

# (name, description, {param: type}); the first parameter is required. Grouped by the kind of
# product that would define them, so a benign platform gets a coherent set.
TOOL_GROUPS: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "support": [
        (
            "lookup_order",
            "Look up an order by its id.",
            {"order_id": "string", "include_items": "boolean"},
        ),
        ("track_shipment", "Tracking status of a shipment.", {"tracking_number": "string"}),
        (
            "refund_order",
            "Start a refund for an order.",
            {"order_id": "string", "reason": "string"},
        ),
        ("get_account", "Fetch the signed-in customer's account.", {"customer_id": "string"}),
        (
            "update_address",
            "Change the delivery address.",
            {"customer_id": "string", "address": "string"},
        ),
        (
            "create_ticket",
            "Open a ticket for a human agent.",
            {"summary": "string", "priority": "string"},
        ),
        (
            "search_help_center",
            "Search help-center articles.",
            {"query": "string", "limit": "integer"},
        ),
        ("get_card_status", "Status of a payment card.", {"card_id": "string"}),
    ],
    "dev": [
        (
            "run_python",
            "Execute Python code in a sandbox.",
            {"code": "string", "timeout_s": "integer"},
        ),
        ("read_file", "Read a file from the workspace.", {"path": "string"}),
        ("write_file", "Write a file in the workspace.", {"path": "string", "content": "string"}),
        ("list_directory", "List a directory.", {"path": "string"}),
        ("run_tests", "Run the test suite.", {"pattern": "string"}),
        ("git_diff", "Show the working-tree diff.", {"path": "string"}),
        ("search_code", "Search the repository.", {"query": "string", "max_results": "integer"}),
        ("http_request", "Send an HTTP request.", {"url": "string", "method": "string"}),
    ],
    "office": [
        ("send_email", "Send an email.", {"to": "string", "subject": "string", "body": "string"}),
        ("create_event", "Create a calendar event.", {"title": "string", "start": "string"}),
        ("search_drive", "Search shared documents.", {"query": "string"}),
        ("create_issue", "Create a tracker issue.", {"title": "string", "description": "string"}),
        ("post_message", "Post to a team channel.", {"channel": "string", "text": "string"}),
        ("lookup_employee", "Find a colleague in the directory.", {"name": "string"}),
    ],
    "web": [
        ("search_web", "Search the web.", {"query": "string", "num_results": "integer"}),
        ("fetch_url", "Fetch a web page as text.", {"url": "string"}),
        ("get_weather", "Current weather for a city.", {"city": "string", "unit": "string"}),
        ("get_stock_price", "Latest price of a ticker.", {"ticker": "string"}),
        ("convert_currency", "Convert between currencies.", {"amount": "number", "to": "string"}),
        ("calculator", "Evaluate an arithmetic expression.", {"expression": "string"}),
        ("translate_text", "Translate text.", {"text": "string", "target_language": "string"}),
    ],
    "data": [
        ("sql_query", "Run a read-only SQL query.", {"query": "string"}),
        (
            "vector_search",
            "Semantic search over the knowledge base.",
            {"query": "string", "top_k": "integer"},
        ),
        ("get_customer_profile", "CRM profile of a customer.", {"email": "string"}),
        ("create_chart", "Render a chart from data.", {"spec": "string"}),
    ],
}
ALL_TOOLS = [t for group in TOOL_GROUPS.values() for t in group]


def tool_def(spec: tuple[str, str, dict[str, str]]) -> dict:
    name, desc, params = spec
    props = {k: {"type": t, "description": k.replace("_", " ")} for k, t in params.items()}
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": desc,
            "parameters": {"type": "object", "properties": props, "required": [next(iter(params))]},
        },
    }


def toolset(rng: np.random.Generator, k: int, groups: list[str] | None = None) -> list[dict]:
    """k tools from one or two groups (a product's own tools) or from all of them."""
    pool = ALL_TOOLS if not groups else [t for g in groups for t in TOOL_GROUPS[g]]
    idx = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
    return [tool_def(pool[i]) for i in sorted(idx)]


def _args(rng: np.random.Generator, fn: dict, text: str) -> str:
    words = text.split() or ["query"]
    out: dict[str, Any] = {}
    for name, spec in fn["parameters"]["properties"].items():
        if name != fn["parameters"]["required"][0] and rng.random() < 0.5:
            continue
        if spec["type"] == "integer":
            out[name] = int(rng.integers(1, 50))
        elif spec["type"] == "number":
            out[name] = round(float(rng.lognormal(4, 1)), 2)
        elif spec["type"] == "boolean":
            out[name] = bool(rng.random() < 0.5)
        else:
            i = int(rng.integers(len(words)))
            out[name] = " ".join(words[i : i + int(rng.integers(1, 8))])
    return json.dumps(out, ensure_ascii=False)


class Convo:
    """One conversation of one account; .t is when the next request will be sent."""

    def __init__(
        self,
        wire: Wire,
        a: Account,
        ts: float,
        system: str | None = None,
        tools: list[dict] | None = None,
        model: str | None = None,
    ) -> None:
        self.wire, self.a, self.t = wire, a, ts
        self.msgs: list[dict] = [{"role": "system", "content": system}] if system else []
        if model is None and len(a.cues.models) > 1 and a.rng.random() < 0.3:
            model = a.cues.models[1]  # some conversations go to the account's other model
        self.tools, self.model = tools, model
        self._n = 0

    def say(self, text: str, length: int, style: str = "prose", **kw: Any) -> str:
        self.msgs.append({"role": "user", "content": text})
        return self._reply(length, style, **kw)

    def _reply(self, length: int, style: str, **kw: Any) -> str:
        msg, done = self.wire.emit(
            self.a,
            self.t,
            self.msgs,
            length=length,
            style=style,
            tools=self.tools,
            model=self.model,
            **kw,
        )
        self.msgs.append(
            {"role": "assistant", "content": msg.get("content")}
            if not msg.get("tool_calls")
            else msg
        )
        self.t = done
        return msg.get("content") or ""

    def think(self, median_s: float = 25.0, sigma: float = 1.0) -> None:
        """A person reading the answer and typing the next message."""
        self.t += float(self.a.rng.lognormal(np.log(median_s), sigma))

    def act(
        self,
        text: str,
        steps: int,
        length: int,
        style: str = "prose",
        result_tokens: float = 250.0,
        tools: list[dict] | None = None,
        finish: bool = True,
    ) -> None:
        """An agent task: `steps` tool calls, each followed by its result, then a final answer."""
        rng = self.a.rng
        tools = tools or self.tools or []
        self.msgs.append({"role": "user", "content": text})
        for _ in range(steps):
            fn = tools[int(rng.integers(len(tools)))]["function"]
            self._n += 1
            call = {
                "id": f"call_{self.a.id[-6:]}{int(self.t) % 100000:05d}{self._n:03d}",
                "type": "function",
                "function": {"name": fn["name"], "arguments": _args(rng, fn, text)},
            }
            msg, done = self.wire.emit(
                self.a, self.t, self.msgs, length=0, tools=tools, call=call, model=self.model
            )
            self.msgs.append(msg)
            size = max(8, int(rng.lognormal(np.log(result_tokens), 0.9)))
            coded = fn["name"] in {"read_file", "run_python", "git_diff", "search_code"}
            result = self.wire.texts.make(
                "code" if coded else "prose", size, call["id"] + text[:40]
            )
            self.msgs.append(
                {
                    "role": "tool",
                    "tool_call_id": call["id"],
                    "content": json.dumps({"ok": True, "data": result}, ensure_ascii=False),
                }
            )
            self.t = done + float(rng.lognormal(np.log(0.8), 1.0))  # the tool runs
        if finish:
            saved, self.tools = self.tools, tools
            self._reply(length, style)
            self.tools = saved
