"""The fast forms of the per-event path give what their plain forms gave, kept here.

`extract`, the sketches, the scorer's partial ranking, campaign linking and detector copies
were rewritten for throughput (benchmarks/detection/throughput.py). Scores and saved state
must not move, so each is checked against its earlier form: the same values, the same
state, the same order where order is kept.
"""

from __future__ import annotations

import copy
import math
import random
from collections import defaultdict
from collections.abc import Callable
from itertools import combinations
from typing import Any

import orjson
import pytest
from traffic import evaluation, harvest, network, population, run

from distillguard.detect import behaviour, text
from distillguard.detect.campaigns import (
    CONTENT_KINDS,
    SYSTEM_PROMPT,
    LinkConfig,
    UnionFind,
    link_distinctive,
)
from distillguard.detect.detectors import ProbeDetector, TemplateDetector, UsageDetector
from distillguard.detect.engine import AnalyzerConfig
from distillguard.detect.features import extract
from distillguard.detect.scoring import (
    MIN_OWN_LEAN,
    behaviour_risk,
    inherit,
    inherited_risk,
    level,
    ranked_risk,
    ranks_for,
    scored_level,
)
from distillguard.detect.sketches import HyperLogLog, RotatingBloom, SpaceSaving, _mix
from distillguard.events import Event, parse_event


def ref_extract(event: Event, phrasing: bool) -> dict[str, Any]:
    """The fields `extract` gave before its rewrite, computed as it computed them."""
    req, resp = event.request, event.response
    user, system = req.last_user, req.system_prompt
    convo = system + "\x00" + "\x00".join(m.content for m in req.messages if m.role == "user")
    prompt_tokens = resp.prompt_tokens if resp and resp.prompt_tokens is not None else None
    completion = resp.completion_tokens if resp and resp.completion_tokens is not None else 0
    reasoning = (resp.reasoning_tokens or 0) if resp else 0
    if resp is not None and resp.completion_tokens is None:  # no usage: from the answer's text
        thought = sum(len(c.reasoning_content or "") for c in resp.choices) // 4
        reasoning = resp.reasoning_tokens or thought
        completion = sum(len(c.content) for c in resp.choices) // 4 + reasoning
    lowered = user[:3000].lower()
    tokens = text.words(lowered)
    found: set[str] = set()
    if phrasing:
        tail = user[-500:].lower() if len(user) > 3500 else ""
        system_lowered = system[:1000].lower()
        cues = lowered[:1500] + "\n" + lowered[-500:] + tail + "\n" + system_lowered
        vocab = set(tokens) | set(text.words(tail + " " + system_lowered))
        found = text.cues(cues, vocab)
    tool_msgs = sum(1 for m in req.messages if m.role == "tool")
    capped = resp is not None and (
        any(c.finish_reason == "length" for c in resp.choices)
        or (
            req.max_tokens is not None
            and req.max_tokens >= 64
            and completion >= 0.95 * req.max_tokens
        )
    )
    return {
        "ts": event.ts,
        "prompt": text.stable_hash(convo),
        "template": text.stable_hash(text.skeleton(user)),
        "system": text.stable_hash(system) if system else 0,
        "simhash": text.simhash(tokens) if phrasing else 0,
        "cot": "cot" in found,
        "rubric": "rubric" in found,
        "agentic": bool(req.tools) or "agentic" in found or tool_msgs > 0,
        "area": text.area(lowered, tokens, "rubric" in found),
        "turns": max(1, req.turns),
        "prompt_tokens": len(convo) // 4 if prompt_tokens is None else prompt_tokens,
        "completion_tokens": completion,
        "reasoning_tokens": reasoning,
        "max_tokens": req.max_tokens,
        "temperature": req.temperature,
        "n": req.n,
        "logprobs": req.logprobs,
        "top_logprobs": req.top_logprobs or 0,
        "bias_ids": tuple(k for k, _ in req.logit_bias),
        "bias_max": max((abs(b) for _, b in req.logit_bias), default=0.0),
        "ip_prefix": ref_ip_prefix(event.ip),
        "user_agent": event.user_agent or "",
        "served": 200 <= event.status < 300,
        "content": text.stable_hash(user),
        "config": text.stable_hash(
            f"{req.model}|{req.temperature}|{req.top_p}|{req.seed}|{req.reasoning_effort}"
        ),
        "capped": capped,
        "tool_msgs": tool_msgs,
        "followups": sum(1 for m in req.messages if m.role == "assistant"),
        "machine": bool(req.messages) and req.messages[-1].role == "tool",
        "calls_tools": resp is not None
        and bool(resp.choices)
        and all(c.tool_calls > 0 or c.finish_reason == "tool_calls" for c in resp.choices),
        "org": event.org or "",
    }


def ref_ip_prefix(ip: str | None) -> str:
    if not ip:
        return ""
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + "::/48"
    parts = ip.split(".")
    return ".".join(parts[:3]) + ".0/24" if len(parts) == 4 else ip


def varied(make_event: Callable[..., Event], n: int, seed: int) -> list[Event]:
    """Events over the shapes `extract` branches on: systems, history, tools, bias, no usage."""
    rng = random.Random(seed)
    users = ["", "Question: why?\nAnswer:", "naïve Ünïcode 12 * 7 = ?", "(a) one\n(b) two"]
    users += ["Rate the following answer on a scale of 1 to 10", "x" * 4000 + " think step by step"]
    out = []
    for i in range(n):
        ev = make_event(
            1.8e9 + i,
            user=rng.choice(users) + f" {rng.random():.3f}" * rng.randrange(2),
            system=rng.choice([None, "You are terse.", "S" * 5000]),
            history=rng.choice([0, 0, 1, 3]),
            ip=rng.choice(["198.51.100.7", "2001:db8::1", "1.2.3.", "10.0.0.1.5", ""]),
            logit_bias={str(rng.randrange(99)): -5.5} if rng.random() < 0.2 else None,
            tools=[{"type": "function", "function": {"name": "f"}}] if rng.random() < 0.3 else None,
            max_tokens=rng.choice([None, 1, 100, 4096]),
            temperature=rng.choice([None, 0.0, -0.0, 0.7]),
            completion_tokens=rng.choice([1, 96, 4000]),
        )
        out.append(ev)
    # No user turn at all, no response: the empty prompt, token counts from the text.
    bare = {"ts": 1.8e9, "account": "a", "endpoint": "completions", "status": 429}
    out.append(parse_event({**bare, "request": {}}))
    out.append(parse_event({**bare, "request": {"messages": [{"role": "system", "content": "é"}]}}))
    turns = [("system", "abc"), ("user", "xy"), ("assistant", "ok"), ("user", "z")]
    messages = [{"role": role, "content": content} for role, content in turns]
    out.append(
        parse_event({**bare, "endpoint": "chat.completions", "request": {"messages": messages}})
    )
    # An agent's loop: a tool result last, answered by a tool call, by one of two choices,
    # or by an answer.
    loop = [*messages, {"role": "tool", "content": "42"}]
    call = {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]}
    choices = [
        [{"message": call, "finish_reason": "tool_calls"}],
        [{"message": call, "finish_reason": "tool_calls"}, {"message": {"content": "no"}}],
        [{"message": {"role": "assistant", "content": "done"}, "finish_reason": "stop"}],
    ]
    for answer in choices:
        raw = {**bare, "status": 200, "request": {"messages": loop}}
        out.append(parse_event({**raw, "response": {"choices": answer}}))
    return out


@pytest.mark.parametrize("phrasing", [False, True])
def test_extract_gives_what_it_gave(make_event: Callable[..., Event], phrasing: bool) -> None:
    for ev in varied(make_event, 400, seed=1):
        assert extract(ev, phrasing)._asdict() == ref_extract(ev, phrasing), ev


def test_space_saving_adds_ranks_and_copies_as_before() -> None:
    rng = random.Random(2)
    for capacity in (1, 3, 6, 24):
        fast, ref = SpaceSaving(capacity), {}
        for _ in range(3000):
            key = rng.randrange(40) if rng.random() < 0.7 else rng.getrandbits(60)
            fast.add(key)
            if key in ref or len(ref) < capacity:
                ref[key] = ref.get(key, 0) + 1
            else:
                victim = min(ref, key=ref.__getitem__)
                ref[key] = ref.pop(victim) + 1
        assert list(fast.counts.items()) == list(ref.items())  # order decides later victims
        assert fast.top() == sorted(ref.items(), key=lambda kv: (-kv[1], kv[0]))
        for k in (1, 2, 8):
            for bar in (0, 2, 5.5, 50):
                want = {key for key, c in fast.top(k) if c >= bar}
                assert set(fast.heavy(k, bar)) == want
        twin = fast.copy()
        assert twin.to_state() == fast.to_state()
        twin.add(-1)
        assert -1 not in fast.counts


def ref_seen_then_add(b: RotatingBloom, value: int) -> bool:
    h, mask = _mix(value), (1 << b.bits_log2) - 1
    pos = [h & mask, (h >> 16) & mask, (h >> 32) & mask, (h >> 48) & mask]

    def has(bits: bytearray) -> bool:
        return all(bits[p >> 3] & (1 << (p & 7)) for p in pos)

    in_current = has(b.current)
    seen = in_current or has(b.previous)
    if not in_current:
        if b.inserted >= b.per_generation:
            b.previous, b.current = b.current, bytearray(len(b.current))
            b.inserted = 0
        for p in pos:
            b.current[p >> 3] |= 1 << (p & 7)
        b.inserted += 1
    return seen


def test_rotating_bloom_answers_and_rotates_as_before() -> None:
    rng = random.Random(3)
    fast, ref = RotatingBloom(10, 50), RotatingBloom(10, 50)
    for _ in range(5000):
        value = rng.randrange(300) if rng.random() < 0.5 else rng.getrandbits(63)
        assert fast.seen_then_add(value) == ref_seen_then_add(ref, value)
        assert fast.to_state() == ref.to_state()
    assert fast.copy().to_state() == fast.to_state()


def test_hyperloglog_adds_and_merges_as_before() -> None:
    rng = random.Random(4)
    for size in (0, 1, 50, 5000):
        a, b, empty = HyperLogLog(8), HyperLogLog(8), HyperLogLog(8)
        for _ in range(size):
            value = rng.getrandbits(63)
            a.add(value)
            a.add(value)  # again: the shortcut for a repeat changes nothing
            b.add(rng.getrandbits(63))
        for other in (empty, b, a.copy()):
            merged, plain = a.copy(), a.copy()
            merged.merge(other)
            plain.registers = bytearray(map(max, plain.registers, other.registers))
            plain._totals()  # the merge as it was: registers, then totals summed afresh
            assert merged.registers == plain.registers
            assert merged.count() == plain.count() or (size == 0 and other is empty)
    fresh = HyperLogLog(8)
    fresh.merge(HyperLogLog(8))
    assert fresh.count() == HyperLogLog(8).count() == 0.0


def test_union_find_halves_paths_as_before() -> None:
    rng = random.Random(5)
    fast, parent = UnionFind(), {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _ in range(3000):
        a, b = str(rng.randrange(80)), str(rng.randrange(80))
        if rng.random() < 0.5:
            fast.union(a, b)
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        else:
            assert fast.find(a) == find(a)
        assert fast.parent == parent


def ref_link_distinctive(kept: dict[str, set[str]], cfg: LinkConfig) -> list[list[str]]:
    def linked(a: set[str], b: set[str]) -> bool:
        ca, cb = {t for t in a if t[0] in CONTENT_KINDS}, {t for t in b if t[0] in CONTENT_KINDS}
        shared = ca & cb
        if not shared:
            return False
        if (a - ca) & (b - cb):
            return True
        if not any(t[0] == SYSTEM_PROMPT for t in shared):
            return False
        return len(shared) >= 2 and len(shared) / len(ca | cb) >= cfg.min_content_jaccard

    holders: dict[str, list[str]] = defaultdict(list)
    for account in sorted(kept):
        for token in kept[account]:
            if token[0] in CONTENT_KINDS:
                holders[token].append(account)
    uf = UnionFind()
    checked: set[tuple[str, str]] = set()
    for accounts in holders.values():
        for a, b in combinations(accounts, 2):
            if (a, b) in checked or uf.find(a) == uf.find(b):
                continue
            checked.add((a, b))
            if linked(kept[a], kept[b]):
                uf.union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for account in uf.parent:
        groups[uf.find(account)].append(account)
    kept_groups = (sorted(g) for g in groups.values() if len(g) >= cfg.min_members)
    return sorted(kept_groups, key=lambda g: g[0])


@pytest.mark.parametrize("min_members", [1, 2, 3])
def test_content_linking_finds_the_same_campaigns(min_members: int) -> None:
    rng = random.Random(6)
    cfg = LinkConfig(min_members=min_members)
    for _ in range(30):
        kept = {
            f"a{i:02d}": {
                rng.choice("tsnu") + str(rng.randrange(8)) for _ in range(rng.randrange(5))
            }
            for i in range(40)
        }
        assert link_distinctive(kept, cfg) == ref_link_distinctive(kept, cfg)


def scored_usages(make_event: Callable[..., Event]) -> tuple[Any, list[UsageDetector]]:
    events = population(make_event) + harvest(make_event, "harvester", 300, 100)
    events += evaluation(make_event, "vendor", 300, 100, seed=7) + network(make_event)
    analyzer = run(events, AnalyzerConfig(link_every_s=1800))
    usages = [t.usage for t in analyzer.tracks.values() if t.usage is not None]
    return analyzer.population, usages


def test_a_score_ranks_only_what_it_reads_and_gives_the_same(make_event) -> None:
    pop, usages = scored_usages(make_event)
    assert len(pop) >= 20 and len(usages) > 20
    for u in usages:
        ranks = ranks_for(u, pop)
        lvl = scored_level(u, pop)
        assert lvl == (None if ranks is None else level(u, ranks))
        probe = ProbeDetector()
        assert ranked_risk(u, probe, pop) == (max(behaviour_risk(u, ranks), 0.0), lvl)
        if ranks is not None:
            full = pop.rank(behaviour.segment(u), behaviour.vector(u))
            part = pop.percentiles(behaviour.segment(u), behaviour.vector(u, 6))
            assert full is not None and part == full.percentiles[:6]
        for campaign, own in ((0.9, 0.1), (0.1, 0.9), (0.5, 0.5)):
            leans = ranks is not None and level(u, ranks) >= MIN_OWN_LEAN
            want = own if campaign <= own or not leans else inherit(campaign, own)
            assert inherited_risk(lvl, campaign, own) == want


def test_usage_entropies_are_recomputed_when_counts_change(make_event) -> None:
    _, usages = scored_usages(make_event)
    for u in usages[:10]:
        before = (u.breadth(), u.flat_hours())
        state = u.to_state()
        fresh = UsageDetector()
        fresh.load_state(orjson.loads(orjson.dumps(state)))
        assert (fresh.breadth(), fresh.flat_hours()) == before
        fresh.merge(u)
        total = sum(fresh.hours)
        h = -sum(c / total * math.log(c / total) for c in fresh.hours if c) / math.log(24)
        assert fresh.flat_hours() == h


@pytest.mark.parametrize("cls", [UsageDetector, ProbeDetector, TemplateDetector])
def test_detector_copies_are_deep_copies(cls: type[Any], make_event) -> None:
    analyzer = run(population(make_event, accounts=6) + harvest(make_event, "h", 80, 60))
    for track in analyzer.tracks.values():
        d = next(x for x in track.profile.detectors if isinstance(x, cls))
        fast, deep = d.copy(), copy.deepcopy(d)
        assert orjson.dumps(fast.to_state()) == orjson.dumps(deep.to_state())
        fast.merge(d)  # the copy owns its state: the original does not move
        assert orjson.dumps(d.to_state()) == orjson.dumps(deep.to_state())
