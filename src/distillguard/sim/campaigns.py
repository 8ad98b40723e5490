"""Coordinated extraction: hydra campaigns and reseller proxies.

A hydra `Campaign` is one harvest split across many small accounts: the members share the
campaign's prompt template and task stream (each task goes to whichever member fires
next), and `sim.identity` puts them behind a few shared /24s. Every member stays under a
per-account daily cap so that no single account looks busy.

A `Reseller` is one account carrying many customers' traffic (each customer a benign
persona with its own system prompt) plus an extraction stream of 10-30%.
"""

from __future__ import annotations

import random
from typing import Any

from distillguard.sim.actor import Actor, Context, Turn
from distillguard.sim.attacks import BroadHarvest, CotHarvest, broad_task, cot_task
from distillguard.sim.identity import Identity
from distillguard.sim.paraphrase import reword
from distillguard.sim.personas import BatchProcessor, ConsumerChat, RagApp, Researcher, SupportBot

HYDRA_CAP = 120  # requests per account per day; members stay under it

CAMPAIGN_SYSTEMS = (
    "You are an expert assistant. Provide a complete, detailed and well-structured answer.",
    "You are a world-class teacher. Answer thoroughly and explain your reasoning.",
    "Respond as a helpful AI. Always include step-by-step reasoning and a final answer.",
)
CAMPAIGN_WRAPPERS = (
    "{task}",
    "### Task\n{task}\n### Response",
    "Q: {task}\nA:",
    "<task>{task}</task>\nAnswer fully.",
)


class Campaign:
    """Shared template and task stream of one hydra operation."""

    def __init__(self, campaign_id: str, ctx: Context, rng: random.Random) -> None:
        self.id = campaign_id
        self.ctx = ctx
        self.rng = rng
        self.harvest = rng.choice(("broad", "cot"))
        self.system = rng.choice(CAMPAIGN_SYSTEMS)
        self.wrapper = CAMPAIGN_WRAPPERS[rng.randrange(len(CAMPAIGN_WRAPPERS))]
        self.params = {
            "temperature": rng.choice((0.7, 1.0)),
            "max_tokens": rng.choice((2048, 4096)),
        }
        self.model = rng.choice(("m-large", "m-reason"))
        self.reword = rng.random() < 0.5

    def next_task(self) -> tuple[list[dict[str, Any]], str | None]:
        """The next task of the harvest, as messages, with the dataset answer if any."""
        r, bank = self.rng, self.ctx.bank
        if self.harvest == "broad":
            text, answer = broad_task(r, bank, self.ctx.variant)
            system = self.system
        else:
            system, text, answer = cot_task(r, bank)
        if self.reword:
            text = reword(r, text)
        user = self.wrapper.format(task=text)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}], answer


class HydraMember(Actor):
    """One of many small accounts; its requests come from the shared campaign stream."""

    kind = "hydra"
    label = "extraction"
    # Operators aim under their limit; the cap only trims the odd busy day.
    per_day_range = ((40.0, 100.0), (35.0, 105.0))
    cap = HYDRA_CAP

    def __init__(
        self, ctx: Context, rng: random.Random, identity: Identity, operation: Campaign
    ) -> None:
        self.operation = operation
        super().__init__(ctx, rng, identity, campaign=operation.id)

    def setup(self) -> None:
        self.shape = self.rng.choice(("diurnal", "flat"))
        self.model = self.operation.model

    def turn(self) -> Turn:
        messages, answer = self.operation.next_task()
        return self.ask(self.chat(messages, **self.operation.params), answer=answer, scale=2.5)


TENANT_KINDS: tuple[tuple[type[Actor], float], ...] = (
    (ConsumerChat, 0.35),
    (SupportBot, 0.2),
    (RagApp, 0.2),
    (Researcher, 0.15),
    (BatchProcessor, 0.1),
)


class Reseller(Actor):
    """A proxy account: many customers' benign traffic plus a hidden extraction stream."""

    kind = "reseller"
    label = "extraction"
    per_day_range = ((3000.0, 10000.0), (2000.0, 8000.0))
    models = (("m-large", 1.0),)

    def setup(self) -> None:
        r = self.rng
        n = r.randint(4, 10)
        kinds = r.choices([k for k, _ in TENANT_KINDS], [w for _, w in TENANT_KINDS], k=n)
        # A sub-account's own rng keeps the reseller's stream independent of its mix.
        self.tenants = [k(self.ctx, random.Random(r.getrandbits(64))) for k in kinds]
        self.weights = [r.uniform(0.2, 1.0) for _ in range(n)]
        harvester = r.choice((BroadHarvest, CotHarvest))
        self.extractor = harvester(self.ctx, random.Random(r.getrandbits(64)))
        self.extract_share = r.uniform(0.1, 0.3)

    def turn(self) -> Turn:
        r = self.rng
        if r.random() < self.extract_share:
            return self.extractor.turn()
        return r.choices(self.tenants, self.weights)[0].turn()
