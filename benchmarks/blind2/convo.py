"""Conversation and agent-loop helpers, tool definitions, system-prompt templates."""

from __future__ import annotations

import json

import numpy as np
from common import emit, ntok, params, pick, respond, sys_msg, user

BRAND_A = ["Nova", "Bright", "Lumen", "Cedar", "Orbit", "Pixel", "Harbor", "Maple", "Quill", "Zen"]
BRAND_B = ["ly", "desk", "wise", "mint", "hub", "flow", "path", "stack", "loop", "nest"]

FOLLOWUPS = [  # written for this generator: short human follow-up turns
    "thanks! can you make it shorter?",
    "Can you explain that more simply?",
    "why?",
    "ok, and what about the second part?",
    "That didn't work, any other ideas?",
    "Can you give me an example?",
    "great, now translate that into Spanish",
    "hmm I don't think that's right",
    "I don't get step 2",
    "can you explain why you multiplied there?",
    "what if the number was different?",
    "make it more formal please",
    "Can you put that in a table?",
    "and how long would that take?",
    "perfect, thank you",
    "Could you add comments to the code?",
    "It throws an error on line 3",
    "can you do it without a loop?",
    "Is there a faster way?",
    "ok but I still haven't received it",
    "I need to talk to a human",
    "what's the fee for that?",
]


def brand(rng):
    return pick(rng, BRAND_A) + pick(rng, BRAND_B)


def product_system(rng, role):
    b = brand(rng)
    if role == "support":
        return (
            f"You are the customer support assistant for {b}. Be concise, friendly and accurate. "
            f"Only help with {b} accounts, orders, payments, refunds, shipping and cards. "
            "Never invent order details; if you cannot resolve an issue offer to open a ticket. "
            "Do not discuss competitors. Reply in the customer's language."
        )
    if role == "chat":
        return (
            f"You are {pick(rng, BRAND_A)}, the friendly assistant inside the {b} app. Today is "
            "2026-03-10. Keep answers helpful and reasonably short, use markdown when useful, "
            "and ask a clarifying question when the request is ambiguous."
        )
    if role == "tutor":
        lvl = pick(rng, ["middle school", "high school", "first-year university", "GED"])
        return (
            f"You are a patient tutor for {lvl} students on {b}. Always give a worked, "
            "step-by-step explanation, show every calculation, and finish by checking the "
            "student's understanding. "
            "Encourage the student; never just state the final answer."
        )
    if role == "agent":
        return (
            f"You are {b} Agent, an autonomous assistant. Use the provided tools to complete the "
            "user's task. Call one tool at a time, read its result, and stop when the task is "
            "done. "
            "Summarise what you did at the end."
        )
    if role == "rag":
        return (
            f"You are {b}'s knowledge assistant. Answer using ONLY the context passages provided. "
            "Cite passages like [1]. If the answer is not in the context, say you don't know."
        )
    if role == "code":
        return (
            f"You are an expert programming assistant integrated into the {b} IDE. Prefer concise, "
            "idiomatic code, explain changes briefly, and keep the user's style."
        )
    return f"You are a helpful assistant for {b}."


def _tool(name, desc, props, req=None):
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": desc,
            "parameters": {
                "type": "object",
                "properties": props,
                "required": req or list(props)[:1],
            },
        },
    }


S, I_ = {"type": "string"}, {"type": "integer"}
TOOLS = [
    _tool("search_web", "Search the web and return top results.", {"query": S, "num_results": I_}),
    _tool("fetch_url", "Fetch a web page and return its text.", {"url": S}),
    _tool("run_python", "Execute Python code in a sandbox and return stdout.", {"code": S}),
    _tool("read_file", "Read a file from the workspace.", {"path": S}),
    _tool("write_file", "Write content to a file in the workspace.", {"path": S, "content": S}),
    _tool("list_dir", "List files in a directory.", {"path": S}),
    _tool("shell", "Run a shell command.", {"command": S}),
    _tool("sql_query", "Run a read-only SQL query against the analytics warehouse.", {"sql": S}),
    _tool("get_weather", "Get the weather for a city.", {"city": S, "unit": S}),
    _tool("send_email", "Send an email.", {"to": S, "subject": S, "body": S}),
    _tool("create_ticket", "Create a support ticket.", {"summary": S, "priority": S}),
    _tool("lookup_order", "Look up an order by id.", {"order_id": S}),
    _tool("get_account", "Get the current customer's account status.", {"customer_id": S}),
    _tool("refund_payment", "Issue a refund.", {"payment_id": S, "amount": {"type": "number"}}),
    _tool("calendar_create", "Create a calendar event.", {"title": S, "start": S, "end": S}),
    _tool("calendar_list", "List calendar events in a range.", {"start": S, "end": S}),
    _tool("kb_search", "Search the internal knowledge base.", {"query": S}),
    _tool("calculator", "Evaluate an arithmetic expression.", {"expression": S}),
    _tool("translate", "Translate text.", {"text": S, "target_language": S}),
    _tool("git_diff", "Show the diff of the working tree.", {"path": S}),
    _tool("apply_patch", "Apply a unified diff to the workspace.", {"patch": S}),
    _tool("browser_click", "Click an element on the current page.", {"selector": S}),
    _tool("crm_update", "Update a CRM record.", {"record_id": S, "fields": {"type": "object"}}),
    _tool("slack_post", "Post a message to a Slack channel.", {"channel": S, "text": S}),
]
TOOL_GROUPS = {
    "support": [10, 11, 12, 13, 16],
    "code": [2, 3, 4, 5, 6, 19, 20],
    "research": [0, 1, 2, 17, 18],
    "office": [9, 14, 15, 16, 22, 23, 7],
    "browser": [0, 1, 21, 17],
}


def toolset(rng, group=None, k=None):
    if group:
        idx = TOOL_GROUPS[group]
    else:
        idx = list(rng.choice(len(TOOLS), size=k or int(rng.integers(3, 12)), replace=False))
    return [TOOLS[int(i)] for i in idx]


def _args(rng, tool, text):
    words = text.split()
    out = {}
    for name, spec in tool["function"]["parameters"]["properties"].items():
        if spec.get("type") == "integer":
            out[name] = int(rng.integers(1, 10))
        elif spec.get("type") == "number":
            out[name] = round(float(rng.uniform(5, 200)), 2)
        elif spec.get("type") == "object":
            out[name] = {"status": pick(rng, ["open", "closed", "pending"])}
        else:
            i = int(rng.integers(0, max(1, len(words) - 6)))
            out[name] = " ".join(words[i : i + int(rng.integers(2, 9))]) or "main"
    return json.dumps(out)


def agent_run(rng, P, acct, t, system, task, tools, steps, want_final, **kw):
    """One tool loop: `steps` tool-call rounds then a final answer.  Returns end time."""
    msgs = ([sys_msg(system)] if system else []) + [user(task)]
    for s in range(steps + 1):
        req = params(rng, acct, list(msgs), tools=tools, **kw)
        if s < steps:
            tool = tools[int(rng.integers(0, len(tools)))]
            calls = [
                {
                    "id": "call_"
                    + "".join(pick(rng, "abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(12)),
                    "type": "function",
                    "function": {
                        "name": tool["function"]["name"],
                        "arguments": _args(rng, tool, task),
                    },
                }
            ]
            resp, lat = respond(rng, P, req, 40, tool_calls=calls)
            t = emit(rng, acct, t, req, resp, lat)
            msgs.append({"role": "assistant", "content": None, "tool_calls": calls})
            out = P.prose(rng, min(600, int(rng.lognormal(np.log(120), 0.9))))
            msgs.append({"role": "tool", "tool_call_id": calls[0]["id"], "content": out})
            t += float(rng.lognormal(np.log(0.8), 0.8))  # tool execution time
        else:
            resp, lat = respond(rng, P, req, want_final)
            t = emit(rng, acct, t, req, resp, lat)
    return t


def chat_session(
    rng, P, acct, t, system, turns, want, style="prose", think=40.0, answers=None, **kw
):
    """Multi-turn conversation; each turn resends the history.  Returns end time."""
    msgs = [sys_msg(system)] if system else []
    for i, u in enumerate(turns):
        msgs.append(user(u))
        req = params(rng, acct, list(msgs), **kw)
        text = answers[i] if answers and i < len(answers) else None
        resp, lat = respond(
            rng, P, req, want(rng) if callable(want) else want, text=text, style=style
        )
        t = emit(rng, acct, t, req, resp, lat)
        c = resp["choices"][0]["message"].get("content") or ""
        msgs.append({"role": "assistant", "content": c})
        t += float(rng.lognormal(np.log(think), 0.8)) + ntok(c) * 0.05  # reading + typing
    return t


def turn_count(rng, mean):
    return int(min(12, 1 + rng.geometric(1.0 / max(1.0, mean)) - 1))


def followups(rng, P, k, pool=None):
    out = []
    for _ in range(k):
        if pool is not None and rng.random() < 0.5:
            out.append(pick(rng, pool))
        elif rng.random() < 0.35:
            out.append(pick(rng, P.mt)[1])
        else:
            out.append(pick(rng, FOLLOWUPS))
    return out


def lognorm_want(median, sigma=0.8, lo=5, hi=6000):
    return lambda rng: int(np.clip(rng.lognormal(np.log(median), sigma), lo, hi))


def azure_want(P, code=False):
    gen = (P.azure_code if code else P.azure_conv)[1]
    return lambda rng: int(max(3, gen[int(rng.integers(0, len(gen)))]))


def zipf_index(rng, n, a=1.15):
    """Popular items repeat: index into a list of n with a Zipf-like law."""
    while True:
        k = int(rng.zipf(a))
        if k <= n:
            return k - 1
