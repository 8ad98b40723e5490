from __future__ import annotations

import orjson
import pytest

from distillguard.detect import behaviour
from distillguard.detect.population import ALL, MIN_PEERS, Population

WIDTH = len(behaviour.NAMES)


def rows(
    n: int, segment: str = "plain", start: float = 0.0
) -> dict[str, tuple[str, tuple[float, ...]]]:
    return {f"{segment}{i:03d}": (segment, tuple([start + i] * WIDTH)) for i in range(n)}


def test_mid_rank_percentiles_and_peers_median() -> None:
    pop = Population.build(rows(40))
    ranks = pop.rank("plain", tuple([29.0] * WIDTH))
    assert ranks is not None and ranks.peers == 40 and ranks.segment == "plain"
    # 29 accounts below, one tied (counted half): (29 + 0.5) / 40
    assert ranks.percentiles[0] == pytest.approx(29.5 / 40)
    assert ranks.medians[0] == pytest.approx(19.5)
    top = pop.rank("plain", tuple([1e9] * WIDTH))
    assert top is not None and top.percentiles[0] == 1.0


def test_values_within_the_tolerance_tie() -> None:
    """A share of 99.5% against 100% is noise: both rank as one tie, not as far apart."""
    new = behaviour.NAMES.index("new")
    table = {f"a{i}": ("plain", tuple([1.0] * WIDTH)) for i in range(30)}
    table |= {f"b{i}": ("plain", tuple([0.2] * WIDTH)) for i in range(10)}
    ranks = Population.build(table).rank("plain", tuple([0.995] * WIDTH))
    assert ranks is not None
    assert ranks.percentiles[new] == pytest.approx((10 + 15) / 40)


def test_purpose_shares_a_few_points_apart_tie() -> None:
    """88% new prompts against peers at 100% is a harvest with some cover, not another
    purpose: it ties with them. An evaluation's 50% is still ranked below them all."""
    new = behaviour.NAMES.index("new")
    single = behaviour.NAMES.index("single")
    table = {f"a{i}": ("plain", tuple([1.0] * WIDTH)) for i in range(30)}
    table |= {f"b{i}": ("plain", tuple([0.2] * WIDTH)) for i in range(10)}
    pop = Population.build(table)
    covered = pop.rank("plain", tuple([0.88] * WIDTH))
    top = pop.rank("plain", tuple([1.0] * WIDTH))
    evaluation = pop.rank("plain", tuple([0.5] * WIDTH))
    assert covered is not None and top is not None and evaluation is not None
    for i in (new, single):
        assert covered.percentiles[i] == top.percentiles[i] == pytest.approx((10 + 15) / 40)
        assert evaluation.percentiles[i] == pytest.approx(10 / 40)
    length = behaviour.NAMES.index("length")  # value statistics keep their finer tolerance
    assert covered.percentiles[length] == pytest.approx(10 / 40)


def test_cold_start_and_small_segments() -> None:
    assert Population.build(rows(MIN_PEERS - 1)).rank("plain", (0.0,) * WIDTH) is None
    mixed = Population.build(rows(30) | rows(5, "tools", start=100))
    ranks = mixed.rank("tools", (100.0,) * WIDTH)
    assert ranks is not None and ranks.segment == ALL and ranks.peers == 35  # too few tool peers


def test_build_is_bounded_and_does_not_depend_on_arrival_order() -> None:
    table = rows(500)
    forward = Population.build(table, cap=64)
    backward = Population.build(dict(reversed(list(table.items()))), cap=64)
    assert len(forward) == 64
    assert forward.samples == backward.samples


def test_merge_pools_samples_and_state_round_trips() -> None:
    a = Population.build(rows(15))
    b = Population.build({f"x{k}": v for k, v in rows(15, start=15.0).items()})
    merged = a.merge(b)
    assert len(merged) == 30 and merged.rank("plain", (0.0,) * WIDTH) is not None
    state = orjson.loads(orjson.dumps(merged.to_state()))
    again = Population.from_state(state)
    assert again.rank("plain", (7.0,) * WIDTH) == merged.rank("plain", (7.0,) * WIDTH)
    # A state saved under other statistics is dropped, not misread.
    assert len(Population.from_state({**state, "names": ["other"]})) == 0


def test_the_mean_rank_baseline_keeps_its_own_ties() -> None:
    """The baseline ranks as it was first measured: 88% against 100% is no tie for it."""
    new = behaviour.NAMES.index("new")
    table = {f"a{i}": ("plain", tuple([1.0] * WIDTH)) for i in range(30)}
    table |= {f"b{i}": ("plain", tuple([0.2] * WIDTH)) for i in range(10)}
    ranks = Population.build(table).rank(
        "plain", tuple([0.88] * WIDTH), behaviour.BASELINE_TOLERANCES
    )
    assert ranks is not None and ranks.percentiles[new] == pytest.approx(10 / 40)
