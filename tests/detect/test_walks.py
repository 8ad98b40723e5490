"""Walk networks: small accounts that each only walk, and together walk one selection."""

from __future__ import annotations

from traffic import T0, harvest, labeller, population, run, tutoring

from distillguard.detect.engine import CAMPAIGNS, Analyzer, AnalyzerConfig
from distillguard.detect.walks import WalkLinkConfig, is_walker, walk_links, with_walks

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
