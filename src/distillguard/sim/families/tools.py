"""Tools: function definitions, the model's calls, the client's results, agent tasks.

Any account may send tool definitions (how often is a family's cue rate, the same for both
labels); agent platforms and agentic-trace harvesters always do. What differs is what
happens after a call: a real agent runs the tool and sends back a result that depends
on the call, a harvester often ignores the call or sends back a canned stub.
"""

from __future__ import annotations

import random
from typing import Any

import orjson

# (name, description, {param: type}) by domain.
TOOLBOX: dict[str, tuple[tuple[str, str, dict[str, str]], ...]] = {
    "general": (
        ("search_web", "Search the web and return the top results.", {"query": "string"}),
        ("fetch_url", "Fetch a web page and return its text.", {"url": "string"}),
        ("get_weather", "Current weather for a city.", {"city": "string"}),
        ("calculator", "Evaluate an arithmetic expression.", {"expression": "string"}),
        ("get_time", "Current time in a time zone.", {"timezone": "string"}),
    ),
    "coding": (
        ("read_file", "Read a file from the repository.", {"path": "string"}),
        ("write_file", "Write content to a file.", {"path": "string", "content": "string"}),
        ("run_tests", "Run the test suite, optionally one file.", {"path": "string"}),
        ("run_python", "Execute Python code in a sandbox.", {"code": "string"}),
        ("search_code", "Search the code base for a pattern.", {"pattern": "string"}),
        ("list_dir", "List a directory.", {"path": "string"}),
        ("git_diff", "Show the working-tree diff.", {}),
    ),
    "data": (
        ("query_sql", "Run a read-only SQL query.", {"sql": "string"}),
        ("describe_table", "Columns and types of a table.", {"table": "string"}),
        ("plot_chart", "Plot a chart from a query.", {"sql": "string", "kind": "string"}),
    ),
    "support": (
        ("get_order", "Look up an order by id.", {"order_id": "string"}),
        ("get_customer", "Look up a customer by email.", {"email": "string"}),
        ("create_ticket", "Open a support ticket.", {"subject": "string", "body": "string"}),
        ("refund_order", "Refund an order.", {"order_id": "string", "amount": "number"}),
        ("track_shipment", "Tracking status of a parcel.", {"tracking_id": "string"}),
        ("search_kb", "Search the help-centre articles.", {"query": "string"}),
    ),
    "office": (
        ("send_email", "Send an email.", {"to": "string", "subject": "string", "body": "string"}),
        ("create_event", "Create a calendar event.", {"title": "string", "start": "string"}),
        ("list_events", "List calendar events in a range.", {"start": "string", "end": "string"}),
        ("search_docs", "Search the company documents.", {"query": "string"}),
    ),
    "travel": (
        ("search_flights", "Find flights.", {"origin": "string", "destination": "string"}),
        ("book_hotel", "Book a hotel.", {"city": "string", "nights": "integer"}),
        ("convert_currency", "Convert an amount.", {"amount": "number", "to": "string"}),
    ),
}
CITIES = ("Lisbon", "Osaka", "Denver", "Nairobi", "Toronto", "Krakow", "Austin", "Lyon", "Perth")
TASKS: dict[str, tuple[str, ...]] = {
    "general": (
        "What's the weather in {city} tomorrow and should I pack an umbrella?",
        "Find the latest news about {topic} and summarise it.",
        "How much is {n} times {m} plus 17?",
        "Look up who founded {topic} and when.",
    ),
    "coding": (
        "The test in tests/test_{mod}.py fails, can you fix it?",
        "Add input validation to src/{mod}.py.",
        "Find where {mod}_handler is defined and explain it.",
        "Refactor the {mod} module to remove the duplicated code.",
        "Why does `make build` fail on the {mod} target?",
    ),
    "data": (
        "How many orders did we get per week in {month}?",
        "Which {n} customers spent the most last quarter?",
        "Plot revenue by region for {month}.",
    ),
    "support": (
        "Where is my order {oid}?",
        "I want a refund for order {oid}, it arrived broken.",
        "Can you change the address on order {oid}?",
        "My parcel {oid} says delivered but I don't have it.",
    ),
    "office": (
        "Schedule a meeting with {person} next {day} at {hour}.",
        "Email {person} the notes from today's call.",
        "What's on my calendar on {day}?",
        "Find the latest version of the {topic} policy document.",
    ),
    "travel": (
        "Find me a flight from {city} to {city2} next {day}.",
        "Book a hotel in {city} for {n} nights.",
        "How much is {n}00 euros in yen?",
    ),
}
TOPICS = ("solar panels", "the city council", "electric scooters", "the merger", "the Q3 report")
PEOPLE = ("Dana", "Luis", "Priya", "Tom", "Mei", "Sam", "Ana")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
MONTHS = ("March", "April", "May", "June", "September")


def definitions(rng: random.Random, domains: list[str], count: int) -> list[dict[str, Any]]:
    """`count` tool definitions from the given domains (one account keeps its list)."""
    pool = [t for d in domains for t in TOOLBOX.get(d, ())] or list(TOOLBOX["general"])
    chosen = rng.sample(pool, min(count, len(pool)))
    return [_definition(name, desc, params) for name, desc, params in chosen]


def _definition(name: str, desc: str, params: dict[str, str]) -> dict[str, Any]:
    props = {p: {"type": t} for p, t in params.items()}
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": desc,
            "parameters": {"type": "object", "properties": props, "required": list(params)},
        },
    }


def call(rng: random.Random, tools: list[dict[str, Any]], hint: str) -> dict[str, Any]:
    """One tool call the model makes, arguments filled from the task's words."""
    fn = rng.choice(tools)["function"]
    words = [w for w in hint.split() if len(w) > 3][:6] or ["data"]
    args: dict[str, Any] = {}
    for p, spec in fn["parameters"]["properties"].items():
        kind = spec["type"]
        if kind == "number":
            args[p] = round(rng.uniform(5, 500), 2)
        elif kind == "integer":
            args[p] = rng.randint(1, 14)
        else:
            args[p] = " ".join(rng.sample(words, min(len(words), rng.randint(1, 3))))
    return {
        "id": f"call_{rng.getrandbits(64):016x}",
        "type": "function",
        "function": {"name": fn["name"], "arguments": orjson.dumps(args).decode()},
    }


def result(rng: random.Random, tool_call: dict[str, Any], snippet: str) -> str:
    """What running the tool returned: varies with the call and carries real-looking data."""
    name = tool_call["function"]["name"]
    if name in ("search_web", "search_kb", "search_docs", "fetch_url", "search_code"):
        hits = [{"title": snippet[i : i + 40], "snippet": snippet[i : i + 220]} for i in (0, 90)]
        return orjson.dumps({"results": hits}).decode()
    if name in ("read_file", "run_python", "git_diff"):
        return f"```\n{snippet[:600]}\n```"
    if name == "run_tests":
        failed = rng.randint(0, 3)
        return f"{rng.randint(20, 300)} passed, {failed} failed in {rng.uniform(1, 40):.2f}s"
    if name in ("query_sql", "describe_table", "plot_chart"):
        rows = [[f"r{i}", rng.randint(1, 9999)] for i in range(rng.randint(1, 8))]
        return orjson.dumps({"columns": ["key", "value"], "rows": rows}).decode()
    status = rng.choice(("ok", "shipped", "pending", "delivered", "not_found", "created"))
    return orjson.dumps({"status": status, "id": f"{rng.getrandbits(32):08x}"}).decode()


def task(rng: random.Random, domain: str) -> str:
    """A synthetic agent task of a domain (a platform's end users type these)."""
    tmpl = rng.choice(TASKS.get(domain, TASKS["general"]))
    return tmpl.format(
        city=rng.choice(CITIES),
        city2=rng.choice(CITIES),
        topic=rng.choice(TOPICS),
        n=rng.randint(2, 12),
        m=rng.randint(3, 99),
        mod=rng.choice(("auth", "billing", "parser", "cache", "export", "search")),
        month=rng.choice(MONTHS),
        oid=f"#{rng.randint(100000, 999999)}",
        person=rng.choice(PEOPLE),
        day=rng.choice(DAYS),
        hour=f"{rng.randint(9, 17)}:00",
    )
