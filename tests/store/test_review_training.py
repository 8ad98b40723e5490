"""The review model's training data: labels from decided cases, evidence from accounts.jsonl."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import orjson
import pytest

from distillguard.detect.review import RISK
from distillguard.errors import (
    EvidenceValueError,
    InputNotFoundError,
    ResultFormatError,
    TooFewLabelsError,
)
from distillguard.store import Store
from distillguard.store.review_training import (
    evidence_of,
    fit_from_store,
    read_results,
    training_set,
)


def _decide(store: Store, members: list[str], confirm: bool) -> None:
    case = store.open_case(
        "campaign" if len(members) > 1 else "account",
        "cmp_" + members[0] if len(members) > 1 else members[0],
        members=members,
        level="restrict",
        risk=0.7,
        evidence={"reasons": ["tools in every prompt"]},
    )
    if confirm:
        store.confirm_case(case.id, "ana", "harvests answers at the cap", sanction="none")
    else:
        store.dismiss_case(case.id, "ana", "a hosted agent platform, verified")


def _row(account: str, score: float, **evidence: float) -> dict[str, Any]:
    row: dict[str, Any] = {"account": account, "score": score, "flagged": score >= 0.35}
    if evidence:
        row["evidence"] = evidence
    return row


def _write(folder: Path, rows: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return folder


def test_decided_cases_and_result_rows_make_the_training_set(store: Store, tmp_path: Path) -> None:
    # Unique names: on PostgreSQL the database (and its labels) is shared by the test run.
    run = secrets.token_hex(4)
    attack = [f"acct_x{i}_{run}" for i in range(4)]
    benign = [f"acct_b{i}_{run}" for i in range(4)]
    _decide(store, attack[:3], confirm=True)  # a campaign confirmed: every member labelled
    _decide(store, [attack[3]], confirm=True)
    for b in benign:
        _decide(store, [b], confirm=False)
    _decide(store, [f"acct_gone_{run}"], confirm=False)  # reviewed, not in these results
    rows = [_row(a, 0.9, pct_new=0.95, pct_tools=0.1) for a in attack]
    rows += [_row(b, 0.6, pct_new=0.2, pct_tools=0.9) for b in benign]
    rows.append(_row(f"acct_unreviewed_{run}", 0.5, pct_new=0.5))
    results = read_results(_write(tmp_path / "out", rows))

    trained = fit_from_store(store, results, base_threshold=0.35)
    got = {r.account: r.extraction for r in trained.training.reviewed}
    assert got == {**dict.fromkeys(attack, True), **dict.fromkeys(benign, False)}
    assert f"acct_gone_{run}" in trained.training.missing
    assert not set(trained.training.missing) & set(attack + benign)
    model = trained.model
    assert (model.extraction_reviewed, model.benign_reviewed) == (4, 4)
    weights = dict(zip(model.names, model.weights, strict=True))
    assert weights["pct_tools"] < 0 < weights["pct_new"]
    assert not model.flag(results[benign[0]]["evidence"] | {RISK: 0.6})


def test_too_few_reviews_name_the_missing_class(store: Store) -> None:
    attack = [f"acct_x{i}_{secrets.token_hex(4)}" for i in range(3)]
    _decide(store, attack, confirm=True)
    rows = {a: _row(a, 0.9) for a in attack}
    with pytest.raises(TooFewLabelsError, match=r"0 dismissed benign \(needs 3\)"):
        fit_from_store(store, rows, base_threshold=0.35)


def test_rows_without_the_evidence_field_give_the_score_alone() -> None:
    assert evidence_of(_row("a", 0.42)) == {RISK: 0.42}
    assert evidence_of(_row("a", 0.42, cot=0.3)) == {"cot": 0.3, RISK: 0.42}
    # dataclasses.asdict writes a tuple of pairs as a list of lists
    pairs = {"account": "a", "score": 0.1, "evidence": [["cot", 0.3], ["probe", 0.0]]}
    assert evidence_of(pairs) == {"cot": 0.3, "probe": 0.0, RISK: 0.1}
    # the row's score is the risk, whatever the evidence calls risk
    assert evidence_of(_row("a", 0.2, risk=0.9))[RISK] == 0.2
    labels = {"a": "benign", "b": "extraction"}
    training = training_set(labels, {"a": _row("a", 0.3)})
    assert [(r.account, r.extraction) for r in training.reviewed] == [("a", False)]
    assert training.missing == ("b",)


@pytest.mark.parametrize("evidence", [{"cot": "high"}, [["cot"]], "cot", {"cot": float("nan")}])
def test_bad_evidence_in_a_row_names_the_account(evidence: object) -> None:
    with pytest.raises(EvidenceValueError, match="account 'acct_q'"):
        evidence_of({"account": "acct_q", "score": 0.5, "evidence": evidence})


def test_results_files_are_checked_line_by_line(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match=r"accounts\.jsonl"):
        read_results(tmp_path)
    folder = _write(tmp_path / "a", [_row("acct_1", 0.5)])
    assert read_results(folder / "accounts.jsonl") == read_results(folder)
    (folder / "accounts.jsonl").write_bytes(b'{"account": "acct_1", "score": 0.5}\n\nnot json\n')
    with pytest.raises(ResultFormatError, match=r"accounts.jsonl:3: not valid JSON"):
        read_results(folder)
    (folder / "accounts.jsonl").write_bytes(b'{"account": "acct_1", "score": "high"}\n')
    with pytest.raises(ResultFormatError, match=r":1: needs a numeric 'score'"):
        read_results(folder)
