"""The scenario families: name, size at scale 1, builder, and what differs between twins.

Sizes are twin pairs (one benign and one attack account each) at `accounts = 1.0`; all
families together give about 280 accounts. Coordinated families have a floor, since one
member is no network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from distillguard.sim.families import fam_chat, fam_groups, fam_tasks
from distillguard.sim.families.build import Builder, Pair


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    pairs: int
    floor: int
    build: Callable[[Builder, int], list[Pair]]
    about: str

    def size(self, scale: float) -> int:
        return max(self.floor, round(self.pairs * scale))


_ALL = (
    Family("agents", 8, 1, fam_tasks.agents,
           "agent platform: tasks looped to the end with real tool results, users follow up | "
           "trace harvest: instruction sets as tasks, calls taken and left or answered with stubs"),
    Family("tutoring", 6, 1, fam_chat.tutoring,
           "tutoring app: worked-explanation system prompt, homework repeats, students follow up | "
           "CoT harvest: step-by-step phrasing on a walk, no real follow-up, long answers"),
    Family("evaluation", 6, 1, fam_tasks.evaluation,
           "runner/vendor: one suite re-run across models and temperatures | "
           "benchmark harvest: benchmark and instruction prompts, each once"),
    Family("grading", 4, 1, fam_tasks.grading,
           "judge vendor: questions graded again and again with new candidates, short verdicts | "
           "rubric harvest: a walk, weak candidates, critiques and rewrites at length"),
    Family("batch", 4, 1, fam_tasks.batch,
           "labeller: one template, new payloads, labels of a few tokens, flat, temperature 0 | "
           "template harvest: one to three templates, new payloads, long answers"),
    Family("probing", 4, 1, fam_tasks.probing,
           "classifier: the same few token ids biased, popular inputs | "
           "sweep across the vocabulary, or wide top_logprobs on a walk"),
    Family("reseller", 3, 1, fam_groups.reseller,
           "multi-tenant SaaS on one key | proxy serving real tenants plus an extraction stream"),
    Family("hydra", 14, 3, fam_groups.hydra,
           "enterprise teams in one org | cluster sharing a scaffold and one walk"),
    Family("lowslow", 60, 3, fam_groups.lowslow,
           "small independent apps | network of small accounts walking one selection, no repeats"),
    Family("disguised", 6, 1, fam_chat.disguised,
           "chat app: product prompt, popular openers, real follow-ups | "
           "posing app: product prompt, openers walk an instruction set, some faked follow-ups"),
    Family("capability", 6, 1, fam_chat.capability,
           "coding or maths assistant: repeats, follow-ups | walk of that one capability"),
    Family("broad", 8, 1, fam_chat.broad,
           "consumer chat or RAG app (long context, short answers) | "
           "broad harvest: several data sets walked, long answers, never a follow-up"),
    Family("research", 10, 1, fam_chat.research,
           "researcher: single-shot, varied, re-runs its prompts | small broad harvester"),
    Family("support", 5, 1, fam_chat.support,
           "support bot: FAQ repeats, follow-ups, help-centre context | support data harvest"),
)  # fmt: skip
FAMILIES: dict[str, Family] = {f.name: f for f in _ALL}


def base_accounts(names: tuple[str, ...] = ()) -> int:
    """Accounts at scale 1 for the given families (all when empty)."""
    return sum(2 * f.pairs for f in _ALL if not names or f.name in names)


def scale_for(accounts: int, names: tuple[str, ...] = ()) -> float:
    """The scale that gives about `accounts` accounts (floors may add a few)."""
    return max(0.01, min(20.0, accounts / max(base_accounts(names), 1)))
