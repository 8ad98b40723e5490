"""Content linking (`detect.campaigns`): what shared tokens link accounts, and what never does."""

from __future__ import annotations

from distillguard.detect.campaigns import LinkConfig, link


def test_a_public_harness_template_alone_does_not_link_strangers() -> None:
    """Evaluation vendors and a rubric harvester send one judge template and one few-shot
    frame, each from its own addresses: templates are formats, not an identity."""
    vendors = {f"v{i}": {"t_judge", "t_fewshot", f"n{i}", f"u{i}"} for i in range(4)}
    assert link(vendors, LinkConfig(min_df_cap=10, min_members=2)) == []


def test_a_shared_system_prompt_and_template_still_link_without_shared_addresses() -> None:
    ring = {f"r{i}": {"s_persona", "t_scaffold", f"n{i}", f"u{i}"} for i in range(4)}
    assert link(ring, LinkConfig(min_df_cap=10, min_members=2)) == [sorted(ring)]
