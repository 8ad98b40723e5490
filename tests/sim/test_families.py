"""The scenario-families simulator: valid output, twins, label-blind cues, disjoint splits.

Runs are small (tiny volume, one day) so the whole file stays fast; what is measured
(cue shares, prompt sources) does not depend on volume. Tests that need the public data
sets skip, saying so, when ../shared/data is absent.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from distillguard.cli.main import app
from distillguard.errors import ScenarioError
from distillguard.events import EventReader
from distillguard.sim.families import FAMILIES, FamiliesConfig, parse_names, simulate_families
from distillguard.sim.families.sources import ROLES, Pools, sources_in, split_of
from distillguard.sim.prompts import load_bank

COORDINATED = {"hydra_member", "lowslow_node"}
COT = re.compile(r"step[- ]by[- ]step|show your work|show the full working|reason through", re.I)


def run(out: Path, data_dir: Path | None, **kw: Any) -> list[dict[str, Any]]:
    """simulate_families on a small configuration; returns the label rows."""
    params: dict[str, Any] = {"seed": 4, "accounts": 0.3, "days": 1, "volume": 0.02}
    params.update(kw)
    simulate_families(FamiliesConfig(data_dir=data_dir, **params), out)
    return [orjson.loads(line) for line in (out / "labels.jsonl").read_bytes().splitlines()]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, data_dir: Path | None) -> Path:
    """Every family at its smallest, one day."""
    out = tmp_path_factory.mktemp("families")
    run(out, data_dir)
    return out


def labels_of(out: Path) -> dict[str, dict[str, Any]]:
    rows = [orjson.loads(line) for line in (out / "labels.jsonl").read_bytes().splitlines()]
    return {r["account"]: r for r in rows}


def test_every_line_is_a_valid_event_and_every_account_is_labelled(small: Path) -> None:
    seen = Counter(ev.account for ev in EventReader(small / "events.jsonl"))
    labels = labels_of(small)
    assert set(seen) == set(labels)
    assert sum(seen.values()) > 500


def test_every_family_has_both_labels_and_every_account_its_twin(small: Path) -> None:
    labels = labels_of(small)
    by_family: dict[str, Counter[str]] = defaultdict(Counter)
    for acct, row in labels.items():
        by_family[row["family"]][row["label"]] += 1
        twin = labels[row["twin"]]
        assert twin["twin"] == acct
        assert twin["family"] == row["family"]
        assert {twin["label"], row["label"]} == {"benign", "extraction"}
        assert ("campaign" in row) == (row["kind"] in COORDINATED)
    assert set(by_family) == set(FAMILIES)
    for counts in by_family.values():
        assert counts["benign"] == counts["extraction"] >= 1


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, data_dir: Path | None) -> None:
    fams = ("agents", "evaluation", "lowslow", "reseller")
    run(tmp_path / "a", data_dir, families=fams, volume=0.01)
    run(tmp_path / "b", data_dir, families=fams, volume=0.01)
    run(tmp_path / "c", data_dir, families=fams, volume=0.01, seed=5)
    for name in ("events.jsonl", "labels.jsonl"):
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes()
        assert a != (tmp_path / "c" / name).read_bytes()


def test_a_subset_of_families_leaves_their_accounts_unchanged(
    tmp_path: Path, data_dir: Path | None
) -> None:
    alone = run(tmp_path / "a", data_dir, families=("batch",))
    together = run(tmp_path / "b", data_dir, families=("batch", "probing"))
    assert {r["account"] for r in alone} < {r["account"] for r in together}


def _first_requests(out: Path) -> dict[str, dict[str, Any]]:
    first: dict[str, dict[str, Any]] = {}
    for ev in EventReader(out / "events.jsonl"):
        first.setdefault(ev.account, dict(ev.raw["request"]))
    return first


def _cues(req: dict[str, Any]) -> dict[str, bool]:
    msgs = req.get("messages") or []
    text = " ".join(str(m.get("content") or "") for m in msgs)
    return {
        "tools": bool(req.get("tools")),
        "system": any(m["role"] == "system" for m in msgs),
        "max_tokens": bool(req.get("max_tokens") or req.get("max_completion_tokens")),
        "stream": bool(req.get("stream")),
        "cot": bool(COT.search(text)),
    }


# Families where a cue is the defining behaviour of one side, left out of its comparison.
DEFINING = {
    "tools": {"agents"},
    "system": {"tutoring", "probing", "lowslow", "disguised", "support"},
    "max_tokens": {"batch", "probing"},
    "stream": set(),
    "cot": {"tutoring", "batch", "probing", "evaluation"},
}


def test_surface_cues_are_as_common_on_either_side(tmp_path: Path, data_dir: Path | None) -> None:
    """Share of accounts whose first request shows each cue: benign vs attack, within
    families where the cue is not defining. Twins draw from one law, so the shares differ by
    sampling alone (about 0.03 on ~300 accounts a side); a cue given to one label would
    show as 0.3 or more. Group families are left out: their members share one draw."""
    fams = tuple(f for f in FAMILIES if f not in ("hydra", "reseller"))
    labels = {
        r["account"]: r for r in run(tmp_path, data_dir, families=fams, accounts=3.0, volume=0.01)
    }
    first = _first_requests(tmp_path)
    for cue, skip in DEFINING.items():
        share = {}
        for side in ("benign", "extraction"):
            accts = [a for a, r in labels.items() if r["label"] == side and r["family"] not in skip]
            share[side] = sum(_cues(first[a])[cue] for a in accts) / len(accts)
        assert 0.05 < share["benign"] < 0.95, (cue, share)
        assert abs(share["benign"] - share["extraction"]) < 0.1, (cue, share)
    agents = [a for a, r in labels.items() if r["family"] == "agents"]
    assert all(_cues(first[a])["tools"] for a in agents)  # the defining cue, on both sides


def test_prompt_split_sources_are_disjoint_and_cover_every_role() -> None:
    tune, test = set(sources_in("tune")), set(sources_in("test"))
    assert tune and test and not tune & test
    assert tune | test == set(sources_in("all"))
    for role, names in ROLES.items():
        assert {split_of(n) for n in names} == {"tune", "test"}, role


def test_prompt_split_texts_are_disjoint(real_data: Path) -> None:
    bank = load_bank(real_data)
    import random

    tune = Pools(bank, "tune", random.Random(0))
    test = Pools(bank, "test", random.Random(0))
    texts_tune = {it.text for p in tune.by_name.values() for it in p.items}
    texts_test = {it.text for p in test.by_name.values() for it in p.items}
    assert texts_tune and texts_test and not texts_tune & texts_test


def _prefix(text: str, k: int = 10) -> str | None:
    words = text.split()
    return " ".join(words[:k]) if len(words) >= k else None


def test_a_tune_run_sends_no_test_prompt(tmp_path: Path, real_data: Path) -> None:
    """Ten-word openings of test-only items never appear in a tune run (they do in a test run)."""
    import random

    bank = load_bank(real_data)
    opening = {
        split: {
            _prefix(it.text)
            for p in Pools(bank, split, random.Random(0)).by_name.values()
            for it in p.items
        }
        - {None}
        for split in ("tune", "test")
    }
    test_only = opening["test"] - opening["tune"]

    def hits(out: Path) -> int:
        n = 0
        for ev in EventReader(out / "events.jsonl"):
            for m in ev.request.messages:
                words = m.content.split()
                grams = {" ".join(words[i : i + 10]) for i in range(max(0, len(words) - 9))}
                n += bool(grams & test_only)
        return n

    run(tmp_path / "tune", real_data, prompt_split="tune", volume=0.01)
    run(tmp_path / "test", real_data, prompt_split="test", volume=0.01)
    assert hits(tmp_path / "tune") == 0
    assert hits(tmp_path / "test") > 100


def test_low_and_slow_network_never_sends_a_prompt_twice(
    tmp_path: Path, data_dir: Path | None
) -> None:
    labels = {
        r["account"]: r
        for r in run(tmp_path, data_dir, families=("lowslow",), accounts=0.5, volume=0.5)
    }
    firsts: list[str] = []
    subnets: dict[str, set[str]] = defaultdict(set)
    for ev in EventReader(tmp_path / "events.jsonl"):
        if labels[ev.account]["kind"] != "lowslow_node":
            continue
        subnets[ev.account].add((ev.ip or "").rsplit(".", 1)[0])
        first = ev.request.turns == 1 and ev.request.messages[-1].role == "user"
        if first and ev.status == 200:  # a request that failed is sent again, as clients do
            firsts.append(ev.request.last_user)
    assert len(firsts) > 300
    assert len(set(firsts)) == len(firsts)
    assert all(len(s) == 1 for s in subnets.values())  # each node its own /24 ...
    assert len({next(iter(s)) for s in subnets.values()}) == len(subnets)  # ... not shared
    assert len({labels[a]["campaign"] for a in subnets}) == 1


def test_evaluation_reruns_prompts_across_settings_and_its_twin_does_not(
    tmp_path: Path, data_dir: Path | None
) -> None:
    labels = {
        r["account"]: r
        for r in run(tmp_path, data_dir, families=("evaluation",), accounts=1.0, volume=0.2)
    }
    settings: dict[tuple[str, str], set[tuple[str, float]]] = defaultdict(set)
    sent: dict[str, Counter[str]] = defaultdict(Counter)
    for ev in EventReader(tmp_path / "events.jsonl"):
        if ev.request.turns == 1:
            prompt = ev.request.last_user
            settings[(ev.account, prompt)].add(
                (ev.request.model or "", ev.request.temperature or 0)
            )
            sent[ev.account][prompt] += 1

    def distinct(side: str) -> list[float]:
        accts = [a for a in sent if labels[a]["label"] == side]
        return [len(sent[a]) / sum(sent[a].values()) for a in accts]

    assert sum(distinct("extraction")) / 6 > sum(distinct("benign")) / 6 + 0.3
    rerun = [a for a in sent if labels[a]["label"] == "benign" and max(sent[a].values()) > 1]
    assert len(rerun) >= 4  # of 6 runners and vendors
    for a in rerun:  # a re-sent prompt went out under another model or temperature
        assert max(len(settings[(a, p)]) for p in sent[a]) >= 2


def test_finish_reason_length_only_where_max_tokens_binds(small: Path) -> None:
    for ev in EventReader(small / "events.jsonl"):
        if ev.response is None:
            continue
        assert (ev.response.prompt_tokens or 0) > 0
        for c in ev.response.choices:
            if c.finish_reason == "length":
                assert ev.request.max_tokens is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("families", ("nope",)),
        ("prompt_split", "train"),
        ("days", 0),
        ("accounts", 0),
        ("seed", -1),
    ],
)
def test_bad_configuration_is_a_named_error(field: str, value: object) -> None:
    with pytest.raises(ScenarioError, match=field):
        FamiliesConfig(**{field: value})  # type: ignore[arg-type]


def test_family_names_parse_from_the_command_line_form() -> None:
    assert parse_names("all") == ()
    assert parse_names("agents, hydra") == ("agents", "hydra")
    with pytest.raises(ScenarioError, match="families"):
        parse_names("agents,nope")


def test_cli_writes_both_files_and_a_summary(tmp_path: Path, data_dir: Path | None) -> None:
    args = ["simulate", "--families", "agents,lowslow", "--out", str(tmp_path), "--days", "1"]
    args += ["--accounts", "10", "--volume", "0.02", "--prompt-split", "test", "--seed", "2"]
    if data_dir is not None:
        args += ["--data", str(data_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "prompt split test" in result.output and "lowslow" in result.output
    rows = [orjson.loads(x) for x in (tmp_path / "labels.jsonl").read_bytes().splitlines()]
    assert {r["family"] for r in rows} == {"agents", "lowslow"}
