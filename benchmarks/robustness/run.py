"""Detection on logs that leave optional fields out: does it hold when a log is thinner?

    .venv/bin/python benchmarks/robustness/run.py --data /work/shared/data \\
        [--generator independent blind2] [--seed 202 404] [--compare REV] [--ablations ...]

`spec/events.md` makes most of an event optional: `usage`, `finish_reason`, the client's
address, user agent and key, the organisation, even the whole `response`. A provider's log
may well lack some of them (an OpenAI-style stream carries no `usage` unless the client asks
for it), and a held-back trace written by another tool may too. Each ablation writes a copy of
a detector-blind twin trace (the generators of benchmarks/independent and benchmarks/blind2)
with one thing taken out, runs `distillguard analyze` on it, and scores it against the labels
as `benchmarks/independent/run.py` does (AUROC, AUROC of the solo attackers, best TPR at a
benign FPR <= 1%, and TPR and FPR of the `flagged` column). `--compare REV` adds the detector
as it was at git revision REV beside the working tree's.

Writes RESULTS.md and results.json beside this file (not with --smoke).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks.*

from benchmarks.independent.run import (  # noqa: E402
    GENERATORS,
    analyze,
    cli,
    generate,
    meta_lines,
    run,
    run_meta,
    save,
    score_run,
)

Event = dict[str, Any]


def _choices(e: Event) -> list[dict[str, Any]]:
    r = e.get("response")
    return (r.get("choices") or []) if isinstance(r, dict) else []


def _no_usage(e: Event) -> None:
    if isinstance(e.get("response"), dict):
        e["response"].pop("usage", None)


def _stream_no_usage(e: Event) -> None:
    if e["request"].get("stream"):
        _no_usage(e)


def _no_finish_reason(e: Event) -> None:
    for c in _choices(e):
        c.pop("finish_reason", None)


def _no_network(e: Event) -> None:
    for field in ("ip", "user_agent", "key"):
        e.pop(field, None)


def _no_org(e: Event) -> None:
    e.pop("org", None)


def _no_response(e: Event) -> None:
    e.pop("response", None)


def _numeric_ts(e: Event) -> None:
    e["ts"] = dt.datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp()


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _responses_request(req: dict[str, Any]) -> None:
    messages = req.pop("messages", None) or []
    system = [_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer")]
    items: list[dict[str, Any]] = []
    for m in messages:
        role = m.get("role")
        if role in ("system", "developer"):
            continue
        if role == "tool":
            out = {"type": "function_call_output", "call_id": m.get("tool_call_id", "call")}
            items.append({**out, "output": _text(m.get("content"))})
            continue
        part = "output_text" if role == "assistant" else "input_text"
        items.append({"role": role, "content": [{"type": part, "text": _text(m.get("content"))}]})
    if system:
        req["instructions"] = "\n".join(system)
    req["input"] = items
    for chat in ("max_completion_tokens", "max_tokens"):
        if chat in req:
            req.setdefault("max_output_tokens", req.pop(chat))
    if "reasoning_effort" in req:
        req["reasoning"] = {"effort": req.pop("reasoning_effort")}
    if "response_format" in req:
        req["text"] = {"format": req.pop("response_format")}
    if isinstance(req.get("tools"), list):
        req["tools"] = [
            {"type": "function", **(t.get("function") or {})} if isinstance(t, dict) else t
            for t in req["tools"]
        ]


def _responses_response(resp: dict[str, Any]) -> dict[str, Any]:
    first = (resp.get("choices") or [{}])[0]
    msg = first.get("message") or {}
    output: list[dict[str, Any]] = []
    if msg.get("reasoning_content"):
        summary = [{"type": "summary_text", "text": msg["reasoning_content"]}]
        output.append({"type": "reasoning", "summary": summary})
    for call in msg.get("tool_calls") or []:
        fn = call.get("function") or {} if isinstance(call, dict) else {}
        output.append({"type": "function_call", "name": fn.get("name"), "arguments": "{}"})
    text = [{"type": "output_text", "text": _text(msg.get("content"))}]
    output.append({"type": "message", "role": "assistant", "content": text})
    usage = resp.get("usage") or {}
    details = usage.get("completion_tokens_details") or {}
    out = {
        "object": "response",
        "status": "incomplete" if first.get("finish_reason") == "length" else "completed",
        "output": output,
    }
    if usage:
        out["usage"] = {
            "input_tokens": usage.get("prompt_tokens"),
            "output_tokens": usage.get("completion_tokens"),
            "output_tokens_details": {"reasoning_tokens": details.get("reasoning_tokens")},
        }
    return out


def _responses_shape(e: Event) -> None:
    """A chat completion logged as the Responses API's own bodies (endpoint `responses`)."""
    if e.get("endpoint", "chat.completions") != "chat.completions":
        return
    e["endpoint"] = "responses"
    _responses_request(e["request"])
    if isinstance(e.get("response"), dict):
        e["response"] = _responses_response(e["response"])


# name -> (what is taken out, the change to one event); "none" is the trace as written.
ABLATIONS: dict[str, tuple[str, Callable[[Event], None] | None]] = {
    "none": ("nothing: the trace as generated", None),
    "no_usage": ("`response.usage` of every event", _no_usage),
    "stream_no_usage": ("`response.usage` of streamed requests (`stream: true`)", _stream_no_usage),
    "no_finish_reason": ("`finish_reason` of every choice", _no_finish_reason),
    "no_network": ("`ip`, `user_agent` and `key`", _no_network),
    "no_org": ("`org`", _no_org),
    "no_response": ("the whole `response` (a log of requests only)", _no_response),
    "numeric_ts": ("nothing: `ts` written as Unix seconds, as the spec allows", _numeric_ts),
    "responses_shape": (
        "nothing: each chat completion logged as the Responses API's own bodies (`responses` "
        "endpoint: `instructions`, `input` items, `max_output_tokens`; `output` items, "
        "`status`, `input_tokens`/`output_tokens`); only a first choice is kept",
        _responses_shape,
    ),
}


def ablate(src: Path, dst: Path, change: Callable[[Event], None]) -> int:
    """Copy the event log with `change` applied to each event; how many events."""
    n = 0
    with src.open("rb") as fh, dst.open("wb") as out:
        for line in fh:
            if not line.strip():
                continue
            event = orjson.loads(line)
            change(event)
            out.write(orjson.dumps(event) + b"\n")
            n += 1
    return n


def twin_trace(generator: str, seed: int, args: argparse.Namespace, d: Path) -> dict[str, Any]:
    rc, text, secs = generate(generator, d, seed, "twins", args)
    if rc != 0:
        sys.exit(f"generator {generator} failed ({rc}):\n{text}")
    return {"generator": generator, "seed": seed, "variant": "twins", "seconds": round(secs, 1)}


def one_trace(generator: str, seed: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    d = work / f"{generator}-{seed}"
    info = twin_trace(generator, seed, args, d)
    labels = [
        row
        for row in map(json.loads, (d / "labels.jsonl").read_text().splitlines())
        if row.get("account")
    ]
    info["accounts"] = len(labels)
    info["ablations"] = {}
    detectors = ["full", *(f"full@{rev}" for rev in args.compare)]
    for name in args.ablations:
        what, change = ABLATIONS[name]
        events = d / "events.jsonl"
        if change is not None:
            events = d / f"events_{name}.jsonl"
            ablate(d / "events.jsonl", events, change)
        rc, text, _ = run([*cli(), "validate", str(events)])
        row: dict[str, Any] = {"takes_out": what, "valid": rc == 0, "detectors": {}}
        if rc != 0:
            row["validate"] = text[-500:]
        for det in detectors:
            out = d / f"out_{name}_{det.replace('@', '_at_')}"
            rc, text, secs = analyze(det, events, out, work)
            if rc != 0:
                row["detectors"][det] = {"error": text[-2000:], "rc": rc}
                continue
            scored = score_run(labels, out)
            keep = ("auroc", "auroc_solo_attackers", "tpr_at_fpr_1pct", "tpr_flagged")
            row["detectors"][det] = {k: scored[k] for k in (*keep, "fpr_flagged")}
            row["detectors"][det]["analyze_seconds"] = round(secs, 1)
        print(f"{generator}-{seed} {name}: {json.dumps(row['detectors'])}", file=sys.stderr)
        info["ablations"][name] = row
        if change is not None:
            events.unlink()
    if not args.keep:
        (d / "events.jsonl").unlink()
    return info


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def report(meta: dict[str, Any], traces: list[dict[str, Any]]) -> str:
    lines = [
        "# Detection on thinner logs: optional fields taken out",
        "",
        __doc__.split("\n\n")[2].replace("\n", " ").strip(),
        "",
        *meta_lines(meta),
        "",
    ]
    for t in traces:
        lines += [
            f"## {t['generator']}, seed {t['seed']} (twins, {t['accounts']} accounts)",
            "",
            "| taken out | detector | AUROC | AUROC, solo attackers | best TPR at FPR <= 1% "
            "| TPR (flagged) | benign FPR (flagged) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in t["ablations"].items():
            for det, r in row["detectors"].items():
                if "error" in r:
                    lines.append(f"| {name} | {det} | error (rc {r['rc']}) | | | | |")
                    continue
                lines.append(
                    f"| {name} | {det} | {r['auroc']:.3f} | {r['auroc_solo_attackers']:.3f} | "
                    f"{_pct(r['tpr_at_fpr_1pct'])} | {_pct(r['tpr_flagged'])} | "
                    f"{_pct(r['fpr_flagged'])} |"
                )
        lines.append("")
    lines += ["What each ablation takes out:", ""]
    lines += [f"- `{k}`: {what}" for k, (what, _) in ABLATIONS.items()]
    lines += ["", "## How to read this", ""]
    lines += [f"- {note}" for note in NOTES]
    lines.append("")
    return "\n".join(lines)


NOTES = [
    "Where a log has an answer but no `usage`, detection counts the answer's tokens from its "
    "text (about one per four characters, `events.Response.answer_tokens`); before 79f62eb it "
    "counted none, so every such account sat at the bottom of answer length and output per "
    "prompt. Compare the `full@REV` rows of a revision before it.",
    "Text-counted lengths are not always the numbers `usage` gives (on independent B the "
    "median ratio is 1.0, but a tenth of answers have a quarter of the text their count "
    "says), so a trace without usage can score a little better or worse than with it: "
    "neither is the truth, both are one generator's world.",
    "`no_response` leaves only the requests: answer length, output per prompt and answers at "
    "the cap are gone, and what is left is what the traffic asks for.",
    "The address, user agent, key and organisation feed campaign linking only; the walk "
    "networks and behavioural links that catch the networks on these traces do not read them.",
    "`responses_shape` should change nothing: the same requests and answers in the Responses "
    "API's bodies. Up to bd7b68b `analyze` refused such a log at its first line (`request."
    "messages` is required); `RESULTS-responses-shape.md` is that comparison.",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--generator", nargs="+", default=["independent", "blind2"])
    ap.add_argument("--seed", type=int, nargs="+", default=[202, 404], help="one per generator")
    ap.add_argument("--ablations", nargs="+", default=list(ABLATIONS), choices=list(ABLATIONS))
    ap.add_argument("--compare", nargs="*", default=[], metavar="REV")
    ap.add_argument("--accounts", type=int, default=250)
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the traces' events.jsonl")
    ap.add_argument("--smoke", action="store_true", help="~30 accounts, half a day")
    ap.add_argument("--out", type=Path, default=None, help="write the results here, not beside")
    ap.add_argument(
        "--report", action="store_true", help="only write RESULTS.md again from results.json"
    )
    args = ap.parse_args(argv)
    if args.report:
        saved = json.loads((HERE / "results.json").read_text())
        (HERE / "RESULTS.md").write_text(report(saved["meta"], saved["traces"]))
        return 0
    if len(args.seed) != len(args.generator):
        ap.error("give one --seed per --generator")
    unknown = [g for g in args.generator if g not in GENERATORS]
    if unknown:
        ap.error(f"unknown generator {unknown}; known: {sorted(GENERATORS)}")
    if args.smoke:
        args.accounts, args.days = 30, 0.5
    work = HERE / "work" / ("smoke" if args.smoke else "full")
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    traces = [one_trace(g, s, args, work) for g, s in zip(args.generator, args.seed, strict=True)]
    meta = run_meta("benchmarks/robustness/run.py", argv, started)
    dest = args.out or (work if args.smoke else HERE)
    dest.mkdir(parents=True, exist_ok=True)
    save(dest, meta, traces, report(meta, traces))
    return 0


if __name__ == "__main__":
    sys.exit(main())
