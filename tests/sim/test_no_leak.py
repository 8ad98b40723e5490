"""Labels must not leak through who an account looks like on the wire.

A classifier that sees only ids, keys, addresses, orgs and user agents (what a detector
could read without looking at the traffic itself) should be no better than chance at
telling extraction accounts from benign ones: AUROC under 0.6, against a positive
control that shows the same classifier finds a real leak.

The folds are whole runs (independent seeds): train on two runs, score the third. Within
one run the members of a campaign, and of its benign twins, share ranges, counts and
often a client version by design, so with random folds a classifier memorises a group
from its siblings (AUROC ~0.8 on exact sharing counts) without any label leak. A leak is
a dependence between label and identity that holds from run to run (attackers on one
client, in one range, with more keys, with odd ids); holding runs out tests exactly that.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import orjson
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from distillguard.events import EventReader
from distillguard.sim import ScenarioConfig, simulate
from distillguard.sim.identity import UA_FAMILIES

CHANCE_CEILING = 0.6
_VERSION = re.compile(r"[\d.]+")
FAMILIES = [_VERSION.sub("", template.format("")) for template, _versions, _w in UA_FAMILIES]


def _hex_stats(ident: str) -> list[float]:
    body = ident.split("_", 1)[-1]
    return [len(ident), sum(c.isdigit() for c in body), int(body[0], 16), int(body[-1], 16)]


def identity_features(events: Path) -> tuple[list[str], np.ndarray]:
    """Per-account features from ids, keys, IPs, orgs and user agents only."""
    ips: dict[str, set[str]] = defaultdict(set)
    keys: dict[str, Counter[str]] = defaultdict(Counter)
    uas: dict[str, Counter[str]] = defaultdict(Counter)
    orgs: dict[str, str] = {}
    for ev in EventReader(events):
        ips[ev.account].add(ev.ip or "")
        keys[ev.account][ev.key or ""] += 1
        uas[ev.account][ev.user_agent or ""] += 1
        orgs[ev.account] = ev.org or ""
    accounts = sorted(ips)
    by_net: dict[str, set[str]] = defaultdict(set)
    for a in accounts:
        for ip in ips[a]:
            parts = ip.split(".")
            by_net["/24 " + ".".join(parts[:3])].add(a)
            by_net["/16 " + ".".join(parts[:2])].add(a)
    org_size = Counter(orgs.values())
    rows = []
    for a in accounts:
        nets24 = {".".join(ip.split(".")[:3]) for ip in ips[a]}
        nets16 = {".".join(ip.split(".")[:2]) for ip in ips[a]}
        main_ip = min(ips[a])
        main_ua = _VERSION.sub("", uas[a].most_common(1)[0][0])
        rows.append(
            [
                len(ips[a]),
                len(nets24),
                len(keys[a]),
                len(uas[a]),
                org_size[orgs[a]],
                max(len(by_net["/24 " + n]) for n in nets24),
                max(len(by_net["/16 " + n]) for n in nets16),
                int(main_ip.split(".")[0]),
                *_hex_stats(a),
                *_hex_stats(keys[a].most_common(1)[0][0]),
                *_hex_stats(orgs[a]),
                *(float(main_ua == f) for f in FAMILIES),
            ]
        )
    return accounts, np.array(rows, dtype=float)


Dataset = tuple[np.ndarray, np.ndarray]


def leak_dataset(seed: int, scenario: str = "standard") -> Dataset:
    """Identity features and labels of one run. Identity does not depend on the text, so
    the built-in generator is enough; 300 accounts at 3% volume take about half a second."""
    config = ScenarioConfig(accounts=300, days=1, seed=seed, volume=0.03, scenario=scenario)
    with tempfile.TemporaryDirectory(prefix="leak-") as out:
        summary = simulate(config, out)
        rows = map(orjson.loads, summary.labels_path.read_bytes().splitlines())
        label = {r["account"]: r["label"] for r in rows}
        accounts, x = identity_features(summary.events_path)
    return x, np.array([label[a] == "extraction" for a in accounts], dtype=int)


def cross_run_auroc(runs: list[Dataset]) -> dict[str, float]:
    """Mean AUROC on each run of classifiers trained on the other runs."""
    models = {
        "forest": lambda: RandomForestClassifier(
            n_estimators=200, min_samples_leaf=3, random_state=0
        ),
        "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    }
    scores: dict[str, list[float]] = defaultdict(list)
    for i, (x_test, y_test) in enumerate(runs):
        x_train = np.vstack([x for j, (x, _y) in enumerate(runs) if j != i])
        y_train = np.concatenate([y for j, (_x, y) in enumerate(runs) if j != i])
        for name, make in models.items():
            model = make().fit(x_train, y_train)
            scores[name].append(float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])))
    return {name: float(np.mean(s)) for name, s in scores.items()}


@pytest.fixture(scope="module")
def runs() -> list[Dataset]:
    out = [leak_dataset(seed) for seed in (11, 12, 13)]
    assert all(0.25 < y.mean() < 0.4 for _x, y in out)
    return out


def test_identity_features_do_not_reveal_the_label(runs: list[Dataset]) -> None:
    scores = cross_run_auroc(runs)
    assert all(s < CHANCE_CEILING for s in scores.values()), scores


def test_the_classifier_would_find_a_real_leak(runs: list[Dataset]) -> None:
    rng = np.random.default_rng(0)
    leaky = [(np.column_stack([x, y + rng.normal(0, 0.5, len(y))]), y) for x, y in runs]
    scores = cross_run_auroc(leaky)
    assert all(s > 0.8 for s in scores.values()), scores
