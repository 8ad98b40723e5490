"""Wire identities from surfaces: ids, keys, orgs, addresses and clients.

Built on `sim.identity.IdentityFactory` (real-looking ranges and client versions). The
kind of network and the number of subnets and addresses come from the surface, so their
law is the same for both labels; groups (an enterprise's teams, a hydra's members)
share subnets, an org and often a client, drawn by the same code for either label.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from distillguard.sim.families.persona import Account
from distillguard.sim.families.surface import Surface
from distillguard.sim.identity import CORP_16, RESIDENTIAL_16, IdentityFactory


@dataclass(frozen=True, slots=True)
class Shared:
    """What the accounts of one group share on the wire (None: each draws its own)."""

    org: str | None = None
    subnets: tuple[str, ...] | None = None
    user_agents: tuple[str, ...] | None = None


class Dresser:
    """Draws identities from one seeded generator; ids never repeat within a run."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.f = IdentityFactory(rng)
        self._seen: set[str] = set()
        self._taken: set[str] = set()  # corporate and residential /24s already handed out

    def hexid(self, prefix: str, nbytes: int = 6) -> str:
        while True:
            ident = self.f.hexid(prefix, nbytes)
            if ident not in self._seen:
                self._seen.add(ident)
                return ident

    def subnets(self, net: str, k: int) -> tuple[str, ...]:
        if net == "cloud":
            return tuple(self.f.cloud_subnets(min(k, len(self.f.cloud_pool))))
        if net == "own":
            return tuple(self.f.own_subnets(min(k, 200)))
        prefixes: Sequence[str] = CORP_16 if net == "corp" else RESIDENTIAL_16
        return tuple(dict.fromkeys(self._fresh(prefixes) for _ in range(k)))

    def _fresh(self, prefixes: Sequence[str]) -> str:
        """A /24 no other account of this run's family got (unless the ranges run out);
        cloud ranges alone are shared by strangers by design."""
        subnet = self.f.subnet(prefixes)
        for _ in range(30):
            if subnet not in self._taken:
                break
            subnet = self.f.subnet(prefixes)
        self._taken.add(subnet)
        return subnet

    def ips(self, subnets: Sequence[str], n: int) -> tuple[str, ...]:
        r = self.rng
        first = [f"{s}.{r.randrange(2, 255)}" for s in subnets]  # one address a subnet at least
        more = [f"{r.choice(subnets)}.{r.randrange(2, 255)}" for _ in range(max(0, n - len(first)))]
        out = first + more
        r.shuffle(out)
        return tuple(dict.fromkeys(out))

    def user_agents(self, n: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.f.user_agent() for _ in range(n)))

    def group(self, s: Surface, *, org: bool) -> Shared:
        """The shared part of a group's identity, from one member's surface."""
        k = max(1, min(s.subnets, 6))
        uas = self.user_agents(1) if self.rng.random() < 0.7 else None
        return Shared(self.hexid("org") if org else None, self.subnets(s.net, k), uas)

    def account(
        self, s: Surface, shared: Shared | None = None, *, keys: int | None = None
    ) -> Account:
        """An account dressed after its surface; `shared` overrides what a group shares."""
        sh = shared or Shared()
        subnets = sh.subnets or self.subnets(s.net, s.subnets)
        n_ips = s.ips if sh.subnets is None else max(1, s.ips // max(s.subnets, 1))
        org = sh.org if sh.org else (self.hexid("org") if self.rng.random() < 0.7 else None)
        n_keys = keys or self.rng.choices((1, 2, 3, 4), (0.5, 0.3, 0.15, 0.05))[0]
        return Account(
            account=self.hexid("acct"),
            org=org,
            keys=tuple(self.hexid("key", 8) for _ in range(n_keys)),
            ips=self.ips(
                subnets if sh.subnets is None else self.rng.sample(subnets, min(2, len(subnets))),
                n_ips,
            ),
            user_agents=sh.user_agents or self.user_agents(s.user_agents),
        )
