"""Linking across partitions: a linker over every partition's accounts, adopted by each."""

from __future__ import annotations

from traffic import T0, network, population, run

from distillguard.detect.engine import CAMPAIGNS, Analyzer, AnalyzerConfig
from distillguard.detect.linked import LinkedView
from distillguard.detect.partitions import PartitionLinker
from distillguard.events import Event
from distillguard.pipeline.jetstream import partition_of

CONFIG = AnalyzerConfig(link_every_s=1800)
POLL_S = 300.0


def _split(events: list[Event], partitions: int, linker: PartitionLinker | None) -> list[Analyzer]:
    """Each partition's analyzer fed its own events in stream time; every POLL_S the linker
    (if any) takes what changed and, when due, hands its view to all of them."""
    analyzers = [Analyzer(CONFIG) for _ in range(partitions)]
    next_poll = None
    for ev in sorted(events, key=lambda e: e.ts):
        if linker is not None:
            next_poll = ev.ts + POLL_S if next_poll is None else next_poll
            if ev.ts >= next_poll:
                next_poll = ev.ts + POLL_S
                for an in analyzers:
                    linker.update(an.take_changes())
                if linker.due(ev.ts):
                    view = linker.link(ev.ts)
                    for an in analyzers:
                        an.adopt(view)
        analyzers[partition_of(ev.account, partitions)].process(ev)
    return analyzers


def _results(analyzers: list[Analyzer]) -> dict[str, tuple[bool, str | None]]:
    return {r.account: (r.flagged, r.campaign) for an in analyzers for r in an.results()[0]}


def _traffic(make_event) -> list[Event]:
    return population(make_event, accounts=40, n=60, gap=1000) + network(make_event)


def test_a_network_split_across_partitions_is_linked_again_by_the_linker(make_event) -> None:
    events = _traffic(make_event)
    members = sorted({e.account for e in events if e.account.startswith("net")})
    assert len({partition_of(m, 2) for m in members}) == 2  # the network spans both

    single = run(events, CONFIG).results()[0]
    flagged_single = {r.account for r in single if r.flagged}
    assert set(members) <= flagged_single

    alone = _results(_split(events, 2, None))
    linked_alone = {c for a in members if (c := alone[a][1]) is not None}
    whole = [c for c in linked_alone if all(alone[m][1] == c for m in members)]
    assert not whole  # no partition sees the whole network

    linked = _results(_split(events, 2, PartitionLinker(CONFIG)))
    campaigns = {linked[m][1] for m in members}
    assert len(campaigns) == 1 and None not in campaigns, campaigns
    assert sum(linked[m][0] for m in members) >= 0.8 * len(members)
    assert not any(f for a, (f, _) in linked.items() if a.startswith("peer"))
    assert {a for a, (f, _) in linked.items() if f} == flagged_single


def test_every_member_reads_the_whole_campaign_in_its_reasons(make_event) -> None:
    analyzers = _split(_traffic(make_event), 2, PartitionLinker(CONFIG))
    for an in analyzers:
        for r in an.results()[0]:
            if r.account.startswith("net"):
                assert r.reasons[0].startswith("member of walk network"), r.reasons
                assert "(12 accounts" in r.reasons[0]


def test_a_view_round_trips_as_a_value(make_event) -> None:
    linker = PartitionLinker(CONFIG)
    linker.update(run(_traffic(make_event), CONFIG).take_changes())
    view = linker.link(T0 + 1e5)
    again = LinkedView.from_state(view.to_state())
    assert again.campaigns == view.campaigns and view.campaigns
    assert again.linked_runs == view.linked_runs
    assert again.population.samples == view.population.samples
    member = next(iter(view.campaigns.values())).members[0]
    assert again.campaign_of(member) == view.campaign_of(member) is not None


def test_an_unreadable_view_says_which_field() -> None:
    try:
        LinkedView.from_state({"ts": 1.0, "population": {}, "linked_runs": {}})
    except ValueError as err:
        assert "campaigns" in str(err)
    else:
        raise AssertionError("a view without campaigns was read")


def test_an_older_view_is_ignored_and_a_stale_one_gives_way_to_own_linking(make_event) -> None:
    events = sorted(_traffic(make_event), key=lambda e: e.ts)
    linker = PartitionLinker(CONFIG)
    an = Analyzer(CONFIG)
    half = len(events) // 2
    for ev in events[:half]:
        an.process(ev)
    linker.update(an.take_changes())
    now = events[half].ts
    view = linker.link(now)
    an.adopt(view)
    assert an.view_ts == now and an.population is view.population
    an.adopt(LinkedView(now - 1, view.population, {}, {}))  # older: ignored
    assert an.campaign_members == {c: list(v.members) for c, v in view.campaigns.items()}
    built = an.population
    # Within two link periods the view stands: the analyzer does not rebuild on its own.
    for ev in events[half:]:
        if ev.ts >= now + 2 * CONFIG.link_every_s:
            break
        an.process(ev)
    assert an.population is built
    for ev in events[half:]:  # past them the linker is taken to be gone
        if ev.ts >= now + 2 * CONFIG.link_every_s:
            an.process(ev)
    assert an.population is not built


def test_the_linker_says_campaigns_the_workers_do_not(make_event) -> None:
    """A worker's saved campaign fields are its copy of the linker's: they never override it."""
    states = run(_traffic(make_event), CONFIG).take_changes()
    linker = PartitionLinker(CONFIG)
    linker.update(states)
    view = linker.link(T0 + 1e5)
    member = next(iter(view.campaigns.values())).members[0]
    stale = dict(states[member], campaign="cmp_elsewhere", linked_runs=99)
    linker.update({member: stale})
    again = linker.link(T0 + 2e5)
    assert again.campaign_of(member) == view.campaign_of(member)
    assert again.linked_runs[member] == view.linked_runs[member] + 1


def test_the_adopted_view_survives_a_restart_and_old_states_have_none(make_event) -> None:
    analyzers = _split(_traffic(make_event), 2, PartitionLinker(CONFIG))
    states = analyzers[0].take_changes()
    again = Analyzer(CONFIG)
    again.restore(states)
    assert again.view_ts == analyzers[0].view_ts is not None
    del states[CAMPAIGNS]["view_ts"]  # as saved before linkers existed
    older = Analyzer(CONFIG)
    older.restore(states)
    assert older.view_ts is None


def test_due_follows_a_single_analyzers_schedule(make_event) -> None:
    linker = PartitionLinker(CONFIG)
    assert not linker.due(T0)  # nobody to rank yet, and no link period gone by
    assert linker.due(T0 + CONFIG.link_every_s)
    linker.update(run(population(make_event, accounts=40, n=20, gap=10), CONFIG).take_changes())
    linker.link(T0 + 10)
    assert not linker.due(T0 + 20)
    assert linker.due(T0 + 10 + CONFIG.link_every_s)


def test_a_view_two_link_periods_behind_the_analyzer_is_not_adopted(make_event) -> None:
    events = sorted(_traffic(make_event), key=lambda e: e.ts)
    linker = PartitionLinker(CONFIG)
    an = run(events, CONFIG)
    linker.update(an.take_changes())
    old = linker.link(events[-1].ts - 2 * CONFIG.link_every_s)
    own = dict(an.campaign_members)
    an.adopt(old)  # the linker lags far behind this analyzer's partition
    assert an.view_ts is None and an.campaign_members == own
    an.adopt(linker.link(events[-1].ts - CONFIG.link_every_s))  # within two periods: taken
    assert an.view_ts == events[-1].ts - CONFIG.link_every_s


def test_a_restarted_linker_keeps_its_campaigns_ages(make_event) -> None:
    states = run(_traffic(make_event), CONFIG).take_changes()
    first = PartitionLinker(CONFIG)
    first.update(states)
    view = first.link(T0 + 1e5)
    again = PartitionLinker(CONFIG)  # a new process: the states again, and the saved view
    again.update(states)
    again.resume(view)
    assert not again.due(T0 + 1e5 + 10)  # a link period from its last view, not from now
    later = again.link(T0 + 2e5)
    shared = set(view.campaigns) & set(later.campaigns)
    assert shared
    assert all(later.campaigns[c].first_ts == view.campaigns[c].first_ts for c in shared)
