"""Benign evaluation-style personas: benchmark runners, evaluation vendors, researchers, batch
labellers and log-likelihood evaluators. They walk data sets too, honestly."""

from __future__ import annotations

from . import catalog as C
from .common import first_messages, pick, schedule
from .emit import DROP

ABCD_IDS = {"362": 100, "426": 100, "356": 100, "423": 100}  # " A" " B" " C" " D"


def _few_gsm(P, k):
    return "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in P.gsm8k[:k])


def _few_mmlu(P, subj, k):
    ex = [m for m in P.mmlu if m[0] == subj][-k:]
    body = "".join(
        m[1]
        + "\n"
        + "\n".join(f"{'ABCD'[i]}. {c}" for i, c in enumerate(m[2]))
        + f"\nAnswer: {'ABCD'[m[3]]}\n\n"
        for m in ex
    )
    return (
        f"The following are multiple choice questions (with answers) about {subj.replace('_', ' ')}.\n\n"
        + body
    )


def _bench_items(ctx, a, bench: str, fewshot: bool) -> list:
    """Items of one run, in data-set order: (messages builder args, style, ref, ntok range)."""
    P, r = ctx.P, a.rng
    out = []
    if bench == "gsm8k":
        n = int(r.choice([200, 500, len(P.gsm8k)]))
        few = _few_gsm(P, int(r.choice([4, 8]))) if fewshot else ""
        for q, ans in P.gsm8k[:n]:
            out.append((few + f"Question: {q}\nAnswer:" if fewshot else q, "steps", ans, (80, 260)))
    elif bench == "mmlu":
        subs = list(r.choice(P.mmlu_subjects, int(r.integers(3, 12)), replace=False))
        for i, m in enumerate(P.mmlu):
            if m[0] in subs:
                head = _few_mmlu(P, m[0], 5) if fewshot else ""
                out.append(
                    (head + P.mmlu_prompt(i, 0 if fewshot else 1), "short", "ABCD"[m[3]], (1, 4))
                )
    elif bench == "humaneval":
        reps = int(r.choice([1, 1, 5]))
        for p, s in P.humaneval:
            for _ in range(reps):
                out.append(
                    (
                        f"Complete the following Python function.\n\n```python\n{p}```",
                        "code",
                        s,
                        (80, 300),
                    )
                )
    elif bench == "mt_bench":
        for _, turns in P.mt_bench:
            out.append((turns, "prose", "", (250, 700)))
    else:  # judge: MT-Bench answers of several candidate models
        cands = int(r.integers(3, 7))
        for _, turns in P.mt_bench:
            for _ in range(cands):
                ans = ctx.W.prose(r, int(r.integers(150, 500)))
                out.append(
                    (C.JUDGE_TEMPLATES[0].format(q=turns[0], a=ans), "judge", "", (120, 300))
                )
    return out


def _run(ctx, a, net, t, items, model, temp, rps, system=None):
    r = a.rng
    ip = ctx.ip(a, net)
    for i, (prompt, style, ref, (lo, hi)) in enumerate(items):
        ti = t + i / rps + float(r.exponential(0.3))
        extra = {"temperature": temp} if temp is not None else None
        if isinstance(prompt, list):  # two-turn MT-Bench
            msgs = first_messages(a, system, prompt[0])
            msg, done = ctx.call(
                a,
                net,
                ti,
                msgs,
                style=style,
                ntok=int(r.integers(lo, hi)),
                model=model,
                extra=extra,
                ip=ip,
            )
            if msg is not None and len(prompt) > 1:
                msgs.append(msg)
                msgs.append({"role": "user", "content": prompt[1]})
                ctx.call(
                    a,
                    net,
                    done + 0.05,
                    msgs,
                    style=style,
                    ntok=int(r.integers(lo, hi)),
                    model=model,
                    extra=extra,
                    ip=ip,
                )
            continue
        msgs = first_messages(a, system, prompt)
        ctx.call(
            a,
            net,
            ti,
            msgs,
            style=style,
            ref=ref,
            ntok=int(r.integers(lo, hi)),
            model=model,
            extra=extra,
            ip=ip,
        )


def benchmark_runner(ctx, a, net, vendor: bool = False):
    r = a.rng
    names = ["gsm8k", "mmlu", "humaneval", "mt_bench"] + (["judge"] if vendor else [])
    k = int(r.integers(3, len(names) + 1)) if vendor else int(r.integers(1, 3))
    benches = list(r.choice(names, k, replace=False))
    models = list(
        r.choice(
            C.MODELS, int(r.integers(2, 5)) if vendor else int(r.integers(1, 4)), replace=False
        )
    )
    temps = [0.0] + ([float(r.choice([0.6, 0.7, 1.0]))] if r.random() < 0.5 else [])
    fewshot = bool(r.random() < 0.4)
    system = pick(r, C.GENERIC_SYS) if r.random() < 0.5 else None
    plans = [(b, m, tp) for b in benches for m in models for tp in temps]
    r.shuffle(plans)
    items_cache = {b: _bench_items(ctx, a, b, fewshot) for b in benches}
    mean = sum(len(items_cache[b]) for b, _, _ in plans) / len(plans)
    for j, t in enumerate(schedule(ctx, a, mean)):
        b, m, tp = plans[j % len(plans)]
        rps = float(r.choice([1.0, 2.0, 4.0, 8.0]))
        _run(ctx, a, net, t, items_cache[b], str(m), tp, rps, system)


def eval_vendor(ctx, a, net):
    benchmark_runner(ctx, a, net, vendor=True)


def researcher(ctx, a, net):
    """Prompt experiments: a fixed prompt set swept over temperatures and system prompts."""
    P, r = ctx.P, a.rng
    src = [p for p, _ in P.alpaca] + [p for p, _ in P.t0[:400]] + P.vicuna + P.nq[:300]
    prompts = [src[int(i)] for i in r.choice(len(src), int(r.integers(20, 150)), replace=False)]
    systems = [None] + [pick(r, C.GENERIC_SYS + P.orca) for _ in range(int(r.integers(1, 4)))]
    for t in schedule(ctx, a, 30):
        temp = float(r.choice([0.0, 0.3, 0.7, 1.0, 1.3]))
        system = pick(r, systems)
        ip = ctx.ip(a, net)
        sub = r.choice(len(prompts), min(len(prompts), int(r.integers(10, 50))), replace=False)
        for i in sub:
            msgs = first_messages(a, system, prompts[int(i)], force_system=system is not None)
            _, t = ctx.call(
                a,
                net,
                t,
                msgs,
                ntok=ctx.T.gen_tokens(r, "conv", 1.6),
                extra={"temperature": temp},
                ip=ip,
            )
            t += float(r.exponential(0.8))


def batch_labeller(ctx, a, net):
    P, r = ctx.P, a.rng
    data, labels = (P.banking, P.banking_labels) if r.random() < 0.5 else (P.clinc, P.clinc_labels)
    system = (
        "Classify the user's message into exactly one of these intents:\n"
        + ", ".join(labels)
        + "\nRespond with only the intent name."
        + (' Reply in JSON as {"label": ...}.' if a.cues["json"] else "")
    )
    order = r.permutation(len(data))
    pos = 0
    job = int(r.choice([200, 500, 1000, 2000]))
    for t in schedule(ctx, a, job):
        rps = float(r.choice([2.0, 5.0, 10.0]))
        ip = ctx.ip(a, net)
        for i in range(job):
            if pos >= len(order):
                return
            text, lab = data[int(order[pos])]
            pos += 1
            msgs = first_messages(a, system, text, force_system=True)
            ctx.call(
                a,
                net,
                t + i / rps + float(r.exponential(0.2)),
                msgs,
                style="short",
                ref=lab,
                ntok=int(r.integers(2, 8)),
                ip=ip,
            )


def loglik_evaluator(ctx, a, net):
    """MMLU-style scoring from log-probabilities: biased answer letters or echoed continuations."""
    P, r = ctx.P, a.rng
    echo = bool(r.random() < 0.4)
    bias = ABCD_IDS if r.random() < 0.7 else None
    if a.kind.endswith("_twin"):  # a calibration study over a large label verbaliser set
        ids = r.choice(100000, int(r.integers(100, 300)), replace=False)
        bias = {str(int(i)): float(r.choice([5, 10, 100])) for i in ids}
    subs = set(r.choice(P.mmlu_subjects, int(r.integers(5, 30)), replace=False))
    idx = [i for i, m in enumerate(P.mmlu) if m[0] in subs]
    per = 4 if echo else 1
    job = int(r.choice([100, 300, 1000]))
    pos = 0
    for t in schedule(ctx, a, job * per):
        rps = float(r.choice([4.0, 8.0, 16.0]))
        ip = ctx.ip(a, net)
        for j in range(job):
            i = idx[pos % len(idx)]
            pos += 1
            ti = t + j * per / rps
            if echo:
                base = P.mmlu_prompt(i, 0)
                for c in P.mmlu[i][2]:
                    ctx.call(
                        a,
                        net,
                        ti,
                        prompt=base + " " + c,
                        endpoint="completions",
                        style="short",
                        ref=base[-80:] + " " + c,
                        ntok=1,
                        ip=ip,
                        extra={
                            "echo": True,
                            "max_tokens": 0,
                            "logprobs": 1,
                            "temperature": 0.0,
                            "stream": DROP,
                            "stream_options": DROP,
                        },
                    )
                    ti += 1 / rps
                continue
            msgs = first_messages(a, None, P.mmlu_prompt(i, 1))
            ctx.call(
                a,
                net,
                ti,
                msgs,
                style="short",
                ref="ABCD"[P.mmlu[i][3]],
                ntok=1,
                ip=ip,
                extra={"logit_bias": bias} if bias else None,
            )


PERSONAS = {
    "benchmark_runner": benchmark_runner,
    "eval_vendor": eval_vendor,
    "researcher": researcher,
    "batch_labeller": batch_labeller,
    "loglik_evaluator": loglik_evaluator,
}
