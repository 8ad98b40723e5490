"""Traffic simulator: benign API customers and capability-extraction strategies.

    from distillguard.sim import ScenarioConfig, simulate
    config = ScenarioConfig(accounts=200, days=2, seed=1, data_dir=Path("../shared/data"))
    summary = simulate(config, "out/")

writes `out/events.jsonl` (docs/events.md, non-decreasing `ts`) and `out/labels.jsonl` (one
line per account: label, kind, campaign). Text comes from the public data sets in
`shared/data`, timing from the ServeGen and Azure traces; without them a built-in generator
and parametric rates stand in. Output is byte-identical for the same configuration.

Modules: `config` (inputs, mixes), `prompts`/`fallback` (text pools), `traces`/`rates`
(arrival times), `identity` (ids, addresses, agents: label-blind), `responses` (bodies),
`actor` (the account shape), `personas`/`benchmarks` (benign), `attacks`/`campaigns`
(extraction), `paraphrase`, `scenario` (mix, merge, write); `replay` (a log sent through a
gateway over HTTP; not imported here, as it loads the gateway).
"""

from distillguard.errors import ScenarioError
from distillguard.sim.config import KINDS, ScenarioConfig, SimSummary
from distillguard.sim.scenario import simulate

__all__ = ["KINDS", "ScenarioConfig", "ScenarioError", "SimSummary", "simulate"]
