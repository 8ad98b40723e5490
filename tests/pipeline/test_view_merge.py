"""Workers' campaign states shown as one: campaigns side by side, walk networks kept."""

from __future__ import annotations

from distillguard.pipeline.view import merged_campaigns


def test_merged_campaigns_keep_each_workers_walk_networks() -> None:
    a = {"events": 3, "next_link_ts": 10.0, "scores": {"cmp_a": 0.5}, "walks": ["cmp_a"]}
    b = {"events": 4, "next_link_ts": 20.0, "scores": {"cmp_b": 0.1}}  # saved before walks
    out = merged_campaigns([a, b])
    assert out["walks"] == ["cmp_a"]
    assert out["scores"] == {"cmp_a": 0.5, "cmp_b": 0.1}
    assert (out["events"], out["next_link_ts"]) == (7, 20.0)
