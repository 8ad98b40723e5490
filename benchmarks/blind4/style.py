"""Surface cues: ONE shared distribution for every account, whatever its label.

A ``Style`` is the client-side fingerprint of an integration: SDK and User-Agent, sampling
parameters, system-prompt habit, prompt template, chain-of-thought phrasing, tools, logprobs,
IP layout, keys, volume, timing profile and follow-up rate.  ``draw_style`` never sees the label.
Personas that cannot work without a cue raise it with ``require`` (see ``personas.REQUIRES``),
and every such cue is required by at least one persona of each class.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

MODELS = ("m-large", "m-medium", "m-small", "m-reason")
COT_PHRASES = (
    "Let's think step by step.",
    "Think step by step and show your reasoning.",
    "Explain your reasoning before giving the final answer.",
    "Show your work.",
    "Walk me through it step by step.",
    "First reason carefully, then answer.",
    "Please give a detailed, step-by-step explanation.",
    "Break the problem into steps and justify each one.",
)
TEMPLATES = (
    "Question: {x}\nAnswer:",
    "### Instruction:\n{x}\n\n### Response:",
    "<task>\n{x}\n</task>",
    "Input: {x}\nOutput:",
    "{x}\n\nRespond concisely.",
    "User query: {x}",
    "[INST] {x} [/INST]",
    'Here is the request:\n"""\n{x}\n"""',
)
TIMING = ("servegen", "diurnal", "flat", "batch", "periodic")


@dataclass
class Style:
    ua: str
    model_main: str
    model_alt: str
    alt_p: float
    effort: str | None
    temp_mode: str
    temp_vals: tuple[float, ...]
    top_p: float | None
    max_mode: str
    max_vals: tuple[int, ...]
    max_field: str
    stream_p: float
    seed_p: float
    n_vals: tuple[int, ...]
    n_p: float
    logprobs_p: float
    top_logprobs: int
    json_p: float
    tools_p: float
    sys_mode: str
    template: str | None
    template_p: float
    cot_p: float
    cot_phrase: str
    cot_in_system: bool
    user_field_p: float
    ip_mode: str
    n_ips: int
    n_keys: int
    has_org: bool
    volume: float
    timing: str
    think_s: float
    start_frac: float
    end_frac: float
    error_p: float
    followup_p: float
    extra: dict = field(default_factory=dict)

    def copy(self) -> Style:
        return dataclasses.replace(self, extra=dict(self.extra))


def _ua(rng: np.random.Generator) -> str:
    r = rng.random()
    v = int(rng.integers(0, 60))
    if r < 0.34:
        return f"OpenAI/Python 1.{3 + v % 55}.{v % 4}"
    if r < 0.46:
        return f"AsyncOpenAI/Python 1.{10 + v % 48}.{v % 3}"
    if r < 0.58:
        return f"OpenAI/JS 4.{20 + v % 60}.{v % 5}"
    if r < 0.67:
        return f"python-requests/2.{28 + v % 5}.{v % 4}"
    if r < 0.73:
        return f"python-httpx/0.{24 + v % 5}.{v % 3}"
    if r < 0.78:
        return f"Python/3.{9 + v % 4} aiohttp/3.{8 + v % 3}.{v % 6}"
    if r < 0.82:
        return f"curl/8.{v % 10}.{v % 2}"
    if r < 0.86:
        return "Go-http-client/2.0" if v % 2 else "Go-http-client/1.1"
    if r < 0.90:
        return f"axios/1.{4 + v % 4}.{v % 8}"
    if r < 0.93:
        return f"litellm/1.{30 + v % 40}.{v % 9}"
    if r < 0.95:
        return f"okhttp/4.{9 + v % 4}.0"
    if r < 0.98:
        return (
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{118 + v % 14}.0.0.0 Safari/537.36"
        )
    return f"svc-{['relay', 'gateway', 'worker', 'bridge'][v % 4]}/{v % 7}.{v % 11}"


def _pick(rng: np.random.Generator, options: tuple, probs: tuple[float, ...]):
    return options[int(rng.choice(len(options), p=np.array(probs) / sum(probs)))]


def draw_style(rng: np.random.Generator) -> Style:
    """The shared distribution of surface cues (label-blind)."""
    main = _pick(rng, MODELS, (0.38, 0.27, 0.22, 0.13))
    alt = _pick(rng, MODELS, (0.25, 0.25, 0.25, 0.25))
    temp_mode = _pick(rng, ("omit", "fixed", "jitter", "sweep"), (0.25, 0.55, 0.1, 0.1))
    tv = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 1.0, 1.2)
    if temp_mode == "fixed":
        temp_vals: tuple[float, ...] = (float(rng.choice(tv)),)
    elif temp_mode == "jitter":
        lo = float(rng.uniform(0.0, 0.8))
        temp_vals = (round(lo, 2), round(lo + float(rng.uniform(0.1, 0.6)), 2))
    elif temp_mode == "sweep":
        k = int(rng.integers(2, 5))
        temp_vals = tuple(sorted(float(x) for x in rng.choice(tv, size=k, replace=False)))
    else:
        temp_vals = ()
    max_mode = _pick(rng, ("omit", "fixed", "varied"), (0.35, 0.5, 0.15))
    mv = (64, 128, 256, 512, 800, 1024, 1500, 2048, 4096, 8192)
    max_vals = tuple(int(x) for x in rng.choice(mv, size=3 if max_mode == "varied" else 1))
    stream_kind = _pick(rng, ("never", "always", "mixed"), (0.45, 0.3, 0.25))
    stream_p = {"never": 0.0, "always": 1.0}.get(stream_kind, float(rng.uniform(0.1, 0.9)))
    sys_mode = _pick(
        rng,
        ("none", "product", "awesome", "orca", "generic", "rotate"),
        (0.28, 0.3, 0.12, 0.06, 0.18, 0.06),
    )
    has_tmpl = rng.random() < 0.25
    cot_p = float(rng.uniform(0.15, 1.0)) if rng.random() < 0.2 else 0.0
    fk = _pick(rng, ("none", "low", "high"), (0.35, 0.35, 0.3))
    followup_p = {"none": 0.0, "low": float(rng.uniform(0.04, 0.2))}.get(
        fk, float(rng.uniform(0.25, 0.7))
    )
    ip_mode = _pick(
        rng, ("single", "few", "cloud", "residential", "proxy"), (0.3, 0.25, 0.2, 0.15, 0.1)
    )
    n_ips = {
        "single": 1,
        "few": int(rng.integers(2, 7)),
        "cloud": int(rng.integers(8, 60)),
        "residential": int(rng.integers(200, 3000)),
        "proxy": int(rng.integers(40, 400)),
    }[ip_mode]
    late = rng.random() < 0.2
    start = float(rng.uniform(0.05, 0.85)) if late else 0.0
    end = float(rng.uniform(start + 0.1, 1.0)) if rng.random() < 0.1 else 1.0
    return Style(
        ua=_ua(rng),
        model_main=main,
        model_alt=alt,
        alt_p=float(rng.choice((0.0, 0.0, 0.05, 0.2, 0.5))),
        effort=_pick(rng, (None, "low", "medium", "high"), (0.55, 0.12, 0.18, 0.15)),
        temp_mode=temp_mode,
        temp_vals=temp_vals,
        top_p=float(rng.choice((0.9, 0.95, 1.0))) if rng.random() < 0.2 else None,
        max_mode=max_mode,
        max_vals=max_vals,
        max_field="max_completion_tokens" if rng.random() < 0.3 else "max_tokens",
        stream_p=stream_p,
        seed_p=float(rng.choice((0.0, 1.0))) if rng.random() < 0.12 else 0.0,
        n_vals=(int(rng.choice((2, 3, 4, 5, 8))),),
        n_p=float(rng.uniform(0.1, 1.0)) if rng.random() < 0.06 else 0.0,
        logprobs_p=float(rng.uniform(0.1, 1.0)) if rng.random() < 0.05 else 0.0,
        top_logprobs=int(rng.choice((0, 1, 5, 10, 20))),
        json_p=float(rng.uniform(0.2, 1.0)) if rng.random() < 0.15 else 0.0,
        tools_p=float(rng.uniform(0.2, 1.0)) if rng.random() < 0.12 else 0.0,
        sys_mode=sys_mode,
        template=str(rng.choice(TEMPLATES)) if has_tmpl else None,
        template_p=float(rng.choice((1.0, 1.0, 0.6))) if has_tmpl else 0.0,
        cot_p=cot_p,
        cot_phrase=str(rng.choice(COT_PHRASES)),
        cot_in_system=bool(rng.random() < 0.3),
        user_field_p=float(rng.choice((0.0, 0.0, 0.0, 1.0, 0.7))),
        ip_mode=ip_mode,
        n_ips=n_ips,
        n_keys=int(_pick(rng, (1, 2, 3, 5, 9), (0.6, 0.18, 0.12, 0.06, 0.04))),
        has_org=bool(rng.random() < 0.4),
        volume=float(np.clip(rng.lognormal(np.log(110.0), 1.3), 2.0, 9000.0)),
        timing=_pick(rng, TIMING, (0.35, 0.25, 0.15, 0.15, 0.1)),
        think_s=float(rng.choice((3.0, 12.0, 40.0)) * rng.lognormal(0.0, 0.3)),
        start_frac=start,
        end_frac=end,
        error_p=float(rng.choice((0.002, 0.01, 0.03, 0.06))),
        followup_p=followup_p,
    )


def require(style: Style, rng: np.random.Generator, cue: str) -> None:
    """Raise one cue to the level a persona needs (the same rule for both classes)."""
    if cue == "tools":
        style.tools_p = max(style.tools_p, float(rng.uniform(0.7, 1.0)))
    elif cue == "logprobs":
        style.logprobs_p = 1.0
        style.top_logprobs = max(style.top_logprobs, int(rng.choice((5, 10, 20))))
    elif cue == "cot":
        style.cot_p = max(style.cot_p, float(rng.uniform(0.7, 1.0)))
    elif cue == "low_volume":
        style.volume = float(rng.uniform(3.0, 30.0))
    elif cue == "no_followup":
        style.followup_p = 0.0
    elif cue == "followup":
        style.followup_p = max(style.followup_p, float(rng.uniform(0.3, 0.7)))
    elif cue == "temp_zero":
        style.temp_mode, style.temp_vals = "fixed", (0.0,)
    elif cue == "system":
        if style.sys_mode in ("none", "generic"):
            style.sys_mode = "product"
    elif cue == "json":
        style.json_p = max(style.json_p, float(rng.uniform(0.6, 1.0)))
    else:
        raise ValueError(cue)
