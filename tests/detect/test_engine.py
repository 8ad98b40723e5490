from __future__ import annotations

import orjson
from traffic import evaluation, harvest, network, population, run

from distillguard.detect.engine import Analyzer, AnalyzerConfig
from distillguard.detect.tracks import load_track, track_state


def test_flags_a_harvest_among_peers_with_reasons_relative_to_them(make_event) -> None:
    events = population(make_event) + harvest(make_event, "harvester", 300, 100)
    accounts, _ = run(events).results()
    by = {a.account: a for a in accounts}
    h = by["harvester"]
    assert h.flagged and h.first_flag_index is not None and h.first_flag_index <= 200
    assert any("peers' median" in r and "new" in r for r in h.reasons), h.reasons
    assert h.evidence["pct_new"] > 0.5 and h.evidence["pct_capped"] > 0.5
    peers = [a for a in accounts if a.account.startswith("peer")]
    assert not any(a.flagged for a in peers)
    assert max(a.score for a in peers) < h.score


def test_the_evaluation_twin_is_clean_and_says_why(make_event) -> None:
    """Long, capped, single-shot answers, but the same prompts re-run across models."""
    twin = evaluation(make_event, "vendor", 300, 100, seed=7)
    events = population(make_event) + twin + harvest(make_event, "harvester", 300, 100)
    by = {a.account: a for a in run(events).results()[0]}
    assert by["harvester"].flagged
    assert not by["vendor"].flagged
    assert any("re-sends earlier prompts" in r for r in by["vendor"].reasons), by["vendor"].reasons


def test_cold_start_claims_nothing(make_event) -> None:
    """Fewer than 20 rankable accounts: no population, so no behaviour flag."""
    events = population(make_event, accounts=6) + harvest(make_event, "harvester", 300, 100)
    by = {a.account: a for a in run(events).results()[0]}
    assert not by["harvester"].flagged and by["harvester"].score == 0.0
    assert any("no population" in r for r in by["harvester"].reasons)


def test_decisions_use_no_look_ahead(make_event) -> None:
    """The score after event i is the same whether or not later events exist."""
    events = sorted(
        population(make_event, accounts=24, n=40) + harvest(make_event, "h", 150, 60),
        key=lambda e: e.ts,
    )
    full = Analyzer()
    scores_full = [full.process(e) for e in events]
    cut = len(events) * 2 // 3
    part = Analyzer()
    scores_part = [part.process(e) for e in events[:cut]]
    assert scores_part == scores_full[:cut]
    assert max(s.risk for s in scores_full) > 0.0


def test_a_score_says_whether_it_is_fresh_and_which_campaign(make_event) -> None:
    """Each of an account's first `score_all_first` requests is scored, then every
    `score_every`-th; in between the last risk comes back, marked not fresh."""
    events = sorted(
        population(make_event, n=60, gap=1000)
        + network(make_event)
        + harvest(make_event, "h", 300, 150),
        key=lambda e: e.ts,
    )
    analyzer = Analyzer(AnalyzerConfig(link_every_s=1800))
    fresh = 0
    for e in events:
        score = analyzer.process(e)
        track = analyzer.tracks[e.account]
        assert score.risk == track.score and score.campaign == track.campaign
        assert score.campaign_risk == analyzer.campaign_scores.get(track.campaign or "")
        if e.account == "h":
            fresh += score.fresh
    c = analyzer.config
    assert fresh == c.score_all_first + (300 - c.score_all_first) // c.score_every
    assert any(t.campaign for t in analyzer.tracks.values())  # campaigns were checked too


def test_the_policy_reads_the_risk_that_held_over_two_scorings(make_event) -> None:
    """`Score.held` is the lower of the last two scorings (0 before two), and `reading`
    gives it on a fresh scoring only: one noisy ranking moves neither flag nor policy."""
    events = sorted(
        population(make_event, n=60, gap=1000) + harvest(make_event, "h", 300, 150),
        key=lambda e: e.ts,
    )
    analyzer = Analyzer(AnalyzerConfig(link_every_s=1800))
    firsts: dict[str, float] = {}
    for e in events:
        score = analyzer.process(e)
        track = analyzer.tracks[e.account]
        firsts.setdefault(e.account, score.held)
        assert score.held == (min(track.recent) if len(track.recent) >= 2 else 0.0)
        assert score.held <= score.risk and len(track.recent) <= 2
        assert score.reading == (score.held if score.fresh else None)
    assert set(firsts.values()) == {0.0}  # a first scoring alone never holds
    h = analyzer.tracks["h"]
    assert h.held >= analyzer.config.threshold and h.held == min(h.recent)
    restored = load_track(orjson.loads(orjson.dumps(track_state(h))))
    assert (restored.recent, restored.held) == (h.recent, h.held)


def test_a_low_and_slow_network_is_linked_by_behaviour_alone(make_event) -> None:
    """Own address and system prompt each: linked by set-up and behaviour, not content."""
    events = population(make_event, n=60, gap=1000) + network(make_event)
    analyzer = run(events, AnalyzerConfig(link_every_s=1800))
    accounts, campaigns = analyzer.results()
    members = {a.account for a in accounts if a.account.startswith("net")}
    linked = [c for c in campaigns if members <= set(c.members)]
    assert linked and linked[0].score >= analyzer.config.threshold
    assert set(linked[0].members) == members  # no peer is pulled in
    assert all(a.flagged for a in accounts if a.account in members)
    assert not any(a.flagged for a in accounts if a.account.startswith("peer"))
    links = analyzer.campaign_links[linked[0].campaign]
    # Behaviour, and as each member only walks, a walk network too: never content.
    assert links and {p.kind for p in links} == {"behaviour", "walk"}
    assert {x for p in links for x in (p.a, p.b)} <= members


def test_a_score_keeps_the_members_own_risk_apart_from_its_campaign_s(make_event) -> None:
    """`own_held` holds as `held` does, of the account's own behaviour alone: equal for an
    account in no campaign, lower for a member its campaign lifts."""
    events = sorted(
        population(make_event, n=60, gap=1000) + network(make_event), key=lambda e: e.ts
    )
    analyzer = Analyzer(AnalyzerConfig(link_every_s=1800))
    lifted = set()
    for e in events:
        score = analyzer.process(e)
        track = analyzer.tracks[e.account]
        assert score.own_held <= score.held + 1e-12
        assert score.own_held == (min(track.own_recent) if len(track.own_recent) >= 2 else 0.0)
        assert score.own_reading == (score.own_held if score.fresh else None)
        if track.campaign is None:
            assert score.own_held == score.held
        elif score.held >= analyzer.config.threshold > score.own_held:
            lifted.add(e.account)
    assert {f"net{m:02d}" for m in range(12)} <= lifted  # each member, by its network
    member = analyzer.tracks["net00"]
    restored = load_track(orjson.loads(orjson.dumps(track_state(member))))
    assert (restored.own_recent, restored.own_held) == (member.own_recent, member.own_held)


def test_a_campaign_lifts_evaluation_peers_only_until_their_re_runs_show(make_event) -> None:
    """Ten evaluation accounts behind one address, each on its first pass over a benchmark of
    its own (new prompts, answers at the cap), look like a hydra: they link and inherit its
    risk. Nothing before the re-runs tells them apart; once each re-runs (its 41st request),
    its re-sends outweigh its first pass within a few requests and the campaign lets go.
    Ten accounts are too few for a walk network (12 customers), and they are no longer let
    go early by being pooled with chat peers through a shared template alone."""
    events = sorted(
        population(make_event, n=60, gap=1000) + network(make_event), key=lambda e: e.ts
    )
    analyzer = Analyzer(AnalyzerConfig(link_every_s=1800))
    lifted: dict[str, int] = {}
    for e in events:
        score = analyzer.process(e)
        if score.held >= analyzer.config.threshold > score.own_held:
            lifted[e.account] = analyzer.tracks[e.account].profile.n
    peers = {a: n for a, n in lifted.items() if a.startswith("peer")}
    assert peers and all(int(a[4:]) % 3 == 2 for a in peers)  # the evaluation peers only
    assert max(peers.values()) <= 40 + 8  # eight requests (1,000 s apart) after the first re-run


def test_a_campaign_keeps_the_pairwise_links_that_join_it() -> None:
    """Shared tokens are found pair by pair, though union-find stops testing joined pairs."""
    from distillguard.detect.campaigns import LinkConfig, distinctive, link, shared_links

    hydra = {f"h{i}": {"s1", "t9", f"n{i % 2}"} for i in range(4)}
    prints = {**hydra, "solo": {"s2", "n0"}}
    cfg = LinkConfig(min_df_cap=5)
    kept = distinctive(prints, cfg)
    links = shared_links(kept, link(prints, cfg)[0], cfg)
    assert len(links) == 6  # every pair shares the template and system prompt
    assert {p.tokens for p in links} == {("n0", "s1", "t9"), ("n1", "s1", "t9"), ("s1", "t9")}


def test_a_restored_analyzer_goes_on_as_if_never_stopped(make_event) -> None:
    """State saved in pieces (only what changed), through JSON, resumes with the same scores."""
    events = sorted(
        population(make_event, n=60, gap=1000) + network(make_event), key=lambda e: e.ts
    )
    config = AnalyzerConfig(link_every_s=1800)
    whole = Analyzer(config)
    expected = [whole.process(e) for e in events]

    saved: dict[str, bytes] = {}
    first = Analyzer(config)
    got = []
    for i, e in enumerate(events):
        got.append(first.process(e))
        if i % 97 == 0:  # periodic saves of what changed, as the gateway does
            saved.update({a: orjson.dumps(s) for a, s in first.take_changes().items()})
        if i == len(events) // 2:
            break
    saved.update({a: orjson.dumps(s) for a, s in first.take_changes().items()})
    assert first.take_changes() == {}  # nothing changed since

    second = Analyzer(config)
    second.restore({a: orjson.loads(b) for a, b in saved.items()})
    got += [second.process(e) for e in events[len(events) // 2 + 1 :]]
    assert got == expected
    assert second.results() == whole.results()
    assert any(c.members for c in second.results()[1])  # the campaign survived too
    assert second.campaign_links == whole.campaign_links and whole.campaign_links
