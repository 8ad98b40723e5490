"""Walk networks: small accounts that each only walk, and together walk one selection."""

from __future__ import annotations

from dataclasses import replace

from traffic import T0, evaluation, harvest, labeller, population, run, tutoring

from distillguard.detect.detectors.usage import UsageDetector
from distillguard.detect.engine import CAMPAIGNS, Analyzer, AnalyzerConfig
from distillguard.detect.scoring import TIE_BREAK, inherit
from distillguard.detect.text import AREA_NAMES
from distillguard.detect.walks import (
    WalkLinkConfig,
    cohesive,
    customers,
    is_walker,
    walk_links,
    with_walks,
)
from distillguard.events import Event

CONFIG = AnalyzerConfig(link_every_s=1800)


def _network(make_event, members: int = 12, n: int = 25) -> list:
    """Own address, system prompt and sampling set-up each: nothing shared on the wire."""
    events: list = []
    for m in range(members):
        events += harvest(
            make_event,
            f"net{m:02d}",
            n,
            2400,
            seed=m,
            ip=f"10.{m}.0.9",
            system=f"You are helper number {m}.",
            temperature=round(0.05 * m, 2),
        )
    return events


def test_a_network_with_its_own_set_up_per_member_is_linked_and_flagged(make_event) -> None:
    analyzer = run(population(make_event, n=60, gap=1000) + _network(make_event), CONFIG)
    accounts, campaigns = analyzer.results()
    net = [a for a in accounts if a.account.startswith("net")]
    (walk,) = [c for c in campaigns if c.campaign in analyzer.walks]
    assert sorted(walk.members) == sorted(a.account for a in net)
    assert sum(a.flagged for a in net) >= 0.8 * len(net), [(a.score, a.reasons[:1]) for a in net]
    assert not any(a.flagged for a in accounts if a.account.startswith("peer"))
    assert net[0].reasons[0].startswith(f"member of walk network {walk.campaign} (12 accounts")
    walked = {(p.a, p.b) for p in analyzer.campaign_links[walk.campaign] if p.kind == "walk"}
    assert ("net00", "net01") in walked  # the console draws why they are one network


def test_members_that_inherit_a_risk_keep_the_order_of_their_own(make_event) -> None:
    analyzer = run(population(make_event, n=60, gap=1000) + _network(make_event), CONFIG)
    accounts, campaigns = analyzer.results()
    (walk,) = [c for c in campaigns if c.campaign in analyzer.walks]
    own = {a.account: dict(a.evidence)["behaviour"] for a in accounts}
    heirs = [a for a in accounts if a.campaign == walk.campaign and a.score > own[a.account]]
    assert len(heirs) >= 0.8 * len(walk.members)
    # Not one tied risk: within a tie-break below the campaign's, in the order of their own.
    assert all(walk.score - TIE_BREAK <= a.score < walk.score for a in heirs)
    by_score = sorted(heirs, key=lambda a: a.score)
    assert [own[a.account] for a in by_score] == sorted(own[a.account] for a in heirs)
    assert len({round(own[a.account], 4) for a in heirs}) > 1  # there is an order to keep


def test_an_inherited_risk_is_never_below_the_members_own() -> None:
    assert inherit(1.0, 0.2) < inherit(1.0, 0.3) < 1.0
    assert inherit(0.5, 0.49999) >= 0.49999 and inherit(0.5, 0.5) == 0.5
    assert inherit(1.0, 0.0) == 1.0 - TIE_BREAK


def test_products_walking_one_domain_are_not_walks(make_event) -> None:
    """The benign twins: RAG tenants that never repeat a question and take medium answers,
    each in its own one domain (their area mixes are alike by construction), and labellers
    walking their data sets for one-word answers."""
    events = population(make_event, n=60, gap=1000)
    for k in range(8):
        events += labeller(make_event, f"lab{k}", 40, 1500, seed=k)
        events += [
            make_event(
                T0 + i * 1500 + k,
                account=f"rag{k}",
                user=f"Can I get a refund for order {k}-{i} on my card payment?",
                system=f"You answer from tenant {k}'s help centre.",
                completion_tokens=300 + 10 * k,
                max_tokens=800 + k,
                temperature=0.1 * k,
                ip=f"10.9.{k}.1",
            )
            for i in range(40)
        ]
    analyzer = run(events, CONFIG)
    accounts, campaigns = analyzer.results()
    walks = [c for c in campaigns if c.campaign in analyzer.walks]
    assert not any(m.startswith("rag") for c in walks for m in c.members)  # one domain each
    assert all(c.score < 0.05 for c in walks)  # labellers may walk, for one-word answers
    assert not any(a.flagged for a in accounts)


def test_conversations_and_re_runs_are_not_walks(make_event) -> None:
    analyzer = run(
        tutoring(make_event, "tutor", 80, 300, seed=1) + harvest(make_event, "h", 80, 300), CONFIG
    )
    cfg = WalkLinkConfig()
    assert is_walker(analyzer.tracks["h"].usage, cfg)
    assert not is_walker(analyzer.tracks["tutor"].usage, cfg)
    usages = {f"t{k}": analyzer.tracks["tutor"].usage for k in range(6)}
    assert walk_links(usages) == []


def test_walkers_belong_to_their_walk_not_to_a_diluting_group() -> None:
    walks = [["w1", "w2", "w3", "w4", "w5"]]
    shared = [["a", "b", "w1"], ["c", "d", "w2", "e"]]
    assert with_walks(shared, walks, 3) == [["c", "d", "e"], ["w1", "w2", "w3", "w4", "w5"]]


def test_walks_survive_a_restart_and_old_states_have_none(make_event) -> None:
    analyzer = run(population(make_event, n=60, gap=1000) + _network(make_event), CONFIG)
    states = analyzer.take_changes()
    again = Analyzer(CONFIG)
    again.restore(states)
    assert again.walks == analyzer.walks != set()
    del states[CAMPAIGNS]["walks"]  # as saved before walk networks existed
    older = Analyzer(CONFIG)
    older.restore(states)
    assert older.walks == set()


def _refused(e: Event) -> Event:
    return replace(e, status=429, response=None)


def test_a_rate_limited_walk_still_walks_without_repeats(make_event) -> None:
    """A client retries a refused prompt: that is the prompt's first answer, not a re-send,
    so a throttled harvest neither looks like an evaluation nor leaves its walk network."""
    events = []
    for e in harvest(make_event, "h", 90, 300):
        if int(e.ts) % 3 == 0:
            events += [_refused(e), replace(e, ts=e.ts + 1.0)]
        else:
            events.append(e)
    usage = run(events, CONFIG).tracks["h"].usage
    assert usage.failed == sum(e.status == 429 for e in events) > 20
    assert usage.new == usage.asked() == 90
    assert usage.new_share() == 1.0 and usage.single_share() == 1.0
    assert usage.reruns == 0
    assert is_walker(usage, WalkLinkConfig())


def test_a_rate_limited_evaluation_still_re_runs(make_event) -> None:
    """The benign twin: refused requests are left out, answered re-runs still count, so an
    evaluation that is throttled stays an evaluation (and no walker)."""
    events = []
    for e in evaluation(make_event, "ev", 240, 300):
        events += [_refused(e), e] if int(e.ts) % 3 == 0 else [e]
    usage = run(events, CONFIG).tracks["ev"].usage
    assert usage.failed > 40
    assert usage.new == 40 and usage.reruns > 100
    assert usage.new_share() < 0.2
    assert not is_walker(usage, WalkLinkConfig())


def _walker(areas: dict[str, int]) -> UsageDetector:
    u = UsageDetector()
    u.areas.update(areas)
    return u


def test_a_product_chained_into_a_network_is_cut_loose() -> None:
    """Single linkage joins a member through one bridge; the network keeps only members
    whose mix is near the others', unless their counts are too few to tell."""
    names = AREA_NAMES[2:6]
    net = {f"n{k}": _walker({names[0]: 40 + k, names[1]: 40, names[2]: 20}) for k in range(8)}
    bridge = _walker({names[0]: 400, names[1]: 150, names[3]: 200})  # cosine 0.78
    small = _walker({names[0]: 4, names[2]: 1})  # as far, but five prompts say little
    kept = cohesive({**net, "bridge": bridge, "small": small}, WalkLinkConfig())
    assert kept == sorted([*net, "small"])


def test_two_networks_joined_by_a_bridge_come_apart() -> None:
    names = AREA_NAMES[2:8]
    first = {f"a{k}": _walker({names[0]: 60 + k, names[1]: 50, names[2]: 40}) for k in range(12)}
    second = {f"b{k}": _walker({names[3]: 60 + k, names[4]: 50, names[5]: 40}) for k in range(12)}
    usages = {**first, **second}
    for u in usages.values():
        u.n = u.new = sum(u.areas.values())
        u.single = u.n
    mixed = {names[i]: 30 for i in range(6)}
    assert walk_links(usages) == [sorted(first), sorted(second)]
    # A walker halfway between links to both at a lower cosine: the networks stay two.
    bridge = _walker(mixed)
    bridge.n = bridge.new = bridge.single = 180
    assert walk_links({**usages, "bridge": bridge}, WalkLinkConfig(min_cosine=0.6)) == [
        sorted(first),
        sorted(second),
    ]


def test_one_organisations_accounts_are_one_customer_not_a_network(make_event) -> None:
    """The network of the first test, its twelve accounts all of one organisation the
    provider knows: that is one customer's staff, not a network hiding behind accounts."""
    events = population(make_event, n=60, gap=1000)
    events += [replace(e, org="org_acme") for e in _network(make_event)]
    analyzer = run(events, CONFIG)
    assert analyzer.walks == set()
    assert analyzer.tracks["net00"].profile.org == "org_acme"
    assert customers(["a", "b", "c", "d"], {"a": "o1", "b": "o1", "c": ""}) == 3


def _broad_walkers(prefix: str, count: int) -> dict[str, UsageDetector]:
    names = AREA_NAMES[2:8]
    walkers = {}
    for k in range(count):
        u = _walker({names[0]: 60 + k, names[1]: 50, names[2]: 40, names[3]: 30 + k % 3})
        u.n = u.new = u.single = sum(u.areas.values())
        walkers[f"{prefix}{k:02d}"] = u
    return walkers


def test_a_handful_of_products_of_one_kind_walking_alike_are_not_a_network() -> None:
    """Eight RAG apps of one kind each ask new questions, single-shot, over a broad mix:
    alike mixes by construction, not one selection split across accounts."""
    assert walk_links(_broad_walkers("rag", 8)) == []


def test_a_walk_split_across_many_accounts_is_a_network() -> None:
    net = _broad_walkers("n", WalkLinkConfig().min_members)
    assert walk_links(net) == [sorted(net)]
