"""RESULTS.md of the gateway benchmark, from the results dict that run.py also writes as JSON."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent,
        check=False,
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "commit": commit or None,
    }


def _q(stats: dict[str, Any] | None, q: str) -> str:
    return "-" if not stats else f"{stats[q]:.2f}"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _row(label: str, r: dict[str, Any], key: str = "latency_ms") -> str:
    s = r.get(key)
    return (
        f"| {label} | {r.get('offered_rps') or 'closed loop'} | {r['rps']:.1f} | {_q(s, 'p50')} | "
        f"{_q(s, 'p90')} | {_q(s, 'p99')} | {_q(s, 'max')} | {r['ok']} | "
        f"{sum(r['errors'].values())} | {r.get('target_cpu_share', '-')} | "
        f"{r.get('rps_per_cpu_s', '-')} | {r['cpu_share']} |"
    )


_HEAD = (
    "| run | offered req/s | req/s | p50 ms | p90 ms | p99 ms | max ms | 200s | errors "
    "| target CPU (cores) | req per target CPU-s | load generator CPU |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _informational(r: dict[str, Any]) -> list[str]:
    """Figures the issue asks to report without a target: saturation and one client."""
    lines = []
    if "saturated_latency" in r:
        sl = r["saturated_latency"]
        gw = sl["gateway"]
        lines.append(
            f"| saturated case: 100 closed-loop clients, {r['upstream_latency_ms']:g} ms upstream "
            f"| {gw['rps']:.0f} req/s (direct {sl['direct']['rps']:.0f}); added p50 "
            f"{sl['added_ms']['p50']:.2f} ms, p99 {sl['added_ms']['p99']:.2f} ms (queueing) "
            "| reported | |"
        )
    if "concurrency1" in r:
        c1 = r["concurrency1"]
        lite = r.get("litellm", {}).get("concurrency1")
        also = ""
        if lite:
            extra = lite["latency_ms"]["p50"] - c1["direct"]["latency_ms"]["p50"]
            also = f"; LiteLLM {extra:.2f} ms"
        lines.append(
            f"| added latency p50 at concurrency 1, instant upstream | "
            f"{c1['added_ms']['p50']:.2f} ms (p99 {c1['added_ms']['p99']:.2f} ms){also} "
            "| reported | |"
        )
    return lines


def headline(r: dict[str, Any]) -> list[str]:
    t = r["targets"]
    lines = ["| figure | measured | target | |", "|---|---|---|---|"]
    lat = r["latency"]["added_ms"]
    lines.append(
        f"| added latency p50, {r['offered_rps']:g} req/s offered, {r['clients']} clients | "
        f"{lat['p50']:.2f} ms | <= {t['added_p50_ms']:g} ms | "
        f"{_met(lat['p50'] <= t['added_p50_ms'])} |"
    )
    lines.append(
        f"| added latency p99, same run | {lat['p99']:.2f} ms | <= {t['added_p99_ms']:g} ms | "
        f"{_met(lat['p99'] <= t['added_p99_ms'])} |"
    )
    s = r["streaming"]["added_ttfc_ms"]
    lines.append(
        f"| added time to first chunk p50 (p99), {r['streaming']['offered_rps']:g} streams/s | "
        f"{s['p50']:.2f} ms ({s['p99']:.2f} ms) | <= {t['added_ttfc_ms']:g} ms | "
        f"{_met(s['p50'] <= t['added_ttfc_ms'])} |"
    )
    lines += _informational(r)
    gw = r["throughput"]["gateway"]
    if "litellm" in r and "error" in r["litellm"]:
        lines.append(
            f"| throughput per core (detection on) | {gw['rps']:.0f} req/s "
            f"({gw['rps_per_cpu_s']:.0f} per CPU-second) | LiteLLM failed: "
            f"{r['litellm']['error'].splitlines()[0][:200]} | |"
        )
    elif "litellm" in r:
        lt = r["litellm"]
        ls = lt["saturated"]
        lines.append(
            f"| throughput per core vs LiteLLM {lt['version']} (detection on) | "
            f"{gw['rps']:.0f} vs {ls['rps']:.0f} req/s = **{lt['ratio']:.2f}x**; per CPU-second "
            f"{gw['rps_per_cpu_s']:.0f} vs {ls['rps_per_cpu_s']:.0f} = "
            f"{lt['ratio_per_cpu_s']:.2f}x | >= {t['litellm_ratio']:g}x | "
            f"{_met(lt['ratio'] >= t['litellm_ratio'])} |"
        )
    else:
        lines.append(
            f"| throughput per core (detection on) | {gw['rps']:.0f} req/s "
            f"({gw['rps_per_cpu_s']:.0f} per CPU-second) | LiteLLM not run | |"
        )
    soak = r["soak"]
    lines.append(
        f"| events after {soak['duration_s']:.0f} s at {soak['rps']:.0f} req/s: log lines vs "
        f"answered requests | {soak['events']} vs {soak['answered_total']} (dropped metric "
        f"{soak['events_dropped_metric']:g}) | equal, 0 dropped | {_met(soak['nothing_lost'])} |"
    )
    return lines


def profile_section(prof: dict[str, Any]) -> list[str]:
    out = [
        "",
        f"## Where the gateway's CPU goes (py-spy, running threads, {prof['samples']} samples, "
        "saturated)",
        "",
        "| part | share |",
        "|---|---|",
    ]
    out += [f"| {k} | {v:.1%} |" for k, v in prof["parts"].items()]
    out += ["", "| function (own samples) | share |", "|---|---|"]
    out += [f"| `{k}` | {v:.1%} |" for k, v in prof["own"].items()]
    return out


def client_section(uc: dict[str, Any]) -> list[str]:
    out = [
        "## Upstream client: httpx against aiohttp",
        "",
        "Whole gateway, saturated, instant upstream; and the client alone (`client_bench.py`, "
        "100 concurrent requests, pinned to the gateway's core):",
        "",
        "| client | gateway req/s | gateway req per CPU-s | p50 ms | p99 ms "
        "| client alone: CPU-us per request | client alone: req/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rps in uc["rps"].items():
        lat = uc["latency_ms"][name]
        alone = uc["isolated"].get(name, {})
        default = " (default)" if name == uc["default"] else ""
        out.append(
            f"| {name}{default} | {rps:.1f} | {uc['rps_per_cpu_s'][name]:.1f} | "
            f"{_q(lat, 'p50')} | {_q(lat, 'p99')} | {alone.get('cpu_us_per_request', '-')} | "
            f"{alone.get('rps', '-')} |"
        )
    return out


def write_report(r: dict[str, Any], path: Path) -> None:
    m = r["machine"]
    out = [
        "# Gateway benchmark",
        "",
        f"- machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, Linux {m['kernel']}",
        f"- date: {r['date']}; commit {m['commit']}; wall time {r['wall_s']} s; mode {r['mode']}",
        f"- command: `{r['command']}`",
        f"- load average at start {r['load_average_start']}, at end {r['load_average_end']} "
        "(other work on the machine adds noise)",
        f"- pinning: gateway / LiteLLM on core {r['pinning']['system_under_test']}, mock "
        f"upstreams and load generator on {r['pinning']['load']}",
        f"- {r['clients']} clients (aiohttp, keep-alive); the slow mock answers after "
        f"{r['upstream_latency_ms']:g} ms, streams 6 chunks {r['stream_chunk_ms']:g} ms apart; "
        "detection on, in a `distillguard worker` process pinned with the load generator; "
        "each event journaled (fsync, group commit) before its answer",
        "",
        "## Headline (each figure against a baseline of the same run)",
        "",
        *headline(r),
        "",
        *client_section(r["upstream_client"]),
    ]
    out += [
        "",
        "## Every phase",
        "",
        "Latency is measured from the time a request was due (fixed rate) or sent (closed "
        'loop) to its last byte; "target CPU" is the CPU time of the gateway (or LiteLLM) '
        'process over the phase\'s wall time, and "req per target CPU-s" the requests it '
        "answered per second of its own CPU time: a rate per core that other work on the "
        "machine does not inflate.",
        "",
        _HEAD,
    ]
    for ph in r["phases"]:
        if not ph["label"].startswith("warm-up"):
            out.append(_row(ph["label"], ph))
    out += ["", "Time to first chunk (streams):", "", _HEAD]
    for ph in r["phases"]:
        if ph["stream"]:
            out.append(_row(ph["label"], ph, "ttfc_ms"))
    if "profile" in r:
        out += profile_section(r["profile"])
    soak = r["soak"]
    out += [
        "",
        "## Nothing lost",
        "",
        f"Every request the gateway answered during the run (all phases, warm-up included: "
        f"{soak['answered_total']}, of which {soak['ok_total']} were 200; client-side errors "
        f"{soak['client_errors']}) against the lines of its event log after a graceful stop "
        f"(SIGTERM; exit status {soak['gateway_exit_code']}, as uvicorn re-raises the signal "
        f"once its shutdown is done): {soak['events']} events in "
        f"{soak['event_files']} file(s), {soak['events_ok']} with status 200; "
        f"`distillguard_events_dropped_total` {soak['events_dropped_metric']:g}.",
        "",
    ]
    path.write_text("\n".join(out))
