"""Scenario families: twin pairs of benign and attack personas with randomly drawn traits.

    from distillguard.sim.families import FamiliesConfig, simulate_families
    config = FamiliesConfig(seed=1, families=("agents", "lowslow"), prompt_split="test",
                            data_dir=Path("../shared/data"))
    summary = simulate_families(config, Path("out/"))

writes `out/events.jsonl` (docs/events.md) and `out/labels.jsonl` (account, label,
campaign, kind, plus `family`, `twin` and, for attacks, `strength`).

Why it exists: the first simulator (`sim/`) was written together with the detector, and
every cue it gave one class became a rule. Here every family pairs a benign persona with
an attack twin, surface cues (tools, step-by-step phrasing, templates, system prompts,
timing, volume, address spread, max_tokens...) are drawn blind to the label from rates
drawn per run, and only the traffic's purpose differs: walking a data set without
repeats, broad coverage, no real follow-up, answers taken at length, coordination. How
plainly an attack shows it is drawn too. `prompt_split` keeps tuning and testing on
disjoint data sets. This package must not read the detector; it never imports it.

Modules: `config`, `catalog` (the families), `fam_chat` / `fam_tasks` / `fam_groups`
(their builders), `build` (builder machinery), `surface` (label-blind traits), `purpose`
(label-dependent traits), `sources` / `pickers` (prompt sources, split, walks),
`texts` / `tools` (wording), `persona` / `chat` / `agent` / `evals` / `batch` (account
behaviour), `replies` (response bodies), `timing`, `network` (identities), `scenario`.
"""

from distillguard.sim.families.catalog import FAMILIES, base_accounts, scale_for
from distillguard.sim.families.config import SPLITS, FamiliesConfig, FamiliesSummary, parse_names
from distillguard.sim.families.scenario import simulate_families

__all__ = [
    "FAMILIES",
    "SPLITS",
    "FamiliesConfig",
    "FamiliesSummary",
    "base_accounts",
    "parse_names",
    "scale_for",
    "simulate_families",
]
