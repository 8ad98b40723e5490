"""Who an account looks like on the wire: ids, keys, org, addresses, user agents.

Nothing here may reveal the label. Every draw comes from the same distributions for
benign and extraction accounts, and every coordinated structure has a benign twin of the
same shape: for each hydra campaign (many small accounts, own orgs, a few shared /24s)
there is a lab or campus group (researchers and other benign accounts behind the same
kind of range) of the same size, the same number of /24s and the same kind of range.
Other accounts form label-blind companies of 1-3 accounts (dev/prod keys), which share an
org and sit in a shared cloud range, a corporate /24 or on residential lines.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

# Real-looking /16 prefixes by kind of network. Cloud /24s are shared by unrelated
# customers (NAT egress), which is why a shared /24 alone proves nothing.
CLOUD_16 = (
    "3.90", "3.223", "13.64", "18.204", "20.42", "34.82", "34.125", "35.196", "44.204",
    "52.14", "52.87", "54.91", "104.196", "143.198", "159.65", "167.99", "172.104",
)
CORP_16 = (
    "12.48", "38.104", "63.118", "64.79", "65.52", "66.102", "192.40", "199.83", "204.14",
    "206.80", "208.67", "209.85", "216.52",
)
RESIDENTIAL_16 = (
    "24.5", "67.180", "68.101", "71.191", "73.42", "76.88", "82.132", "86.12", "90.203",
    "98.24", "99.47", "174.62", "178.150", "181.46", "187.190", "189.33", "201.82",
)
# Ranges a group owns: campuses for labs, hosting providers for campaigns. Both kinds are
# used by exactly one group each, so sharing counts look the same.
CAMPUS_16 = (
    "128.32", "128.112", "129.105", "130.126", "131.215", "132.239", "134.173", "136.152",
    "140.247", "141.211", "171.64",
)
HOSTING_16 = (
    "45.77", "45.32", "66.42", "91.134", "95.216", "103.152", "139.59", "149.28", "185.199",
    "193.42", "194.36",
)

# (template, weight): client libraries seen in front of chat-completion APIs.
UA_FAMILIES: tuple[tuple[str, float], ...] = (
    ("OpenAI/Python 1.{a}.{b}", 0.34),
    ("OpenAI/JS 4.{a}.{b}", 0.13),
    ("python-requests/2.3{c}.{b}", 0.09),
    ("python-httpx/0.2{c}.{b}", 0.06),
    ("Python/3.1{c} aiohttp/3.9.{b}", 0.05),
    ("curl/8.{c}.{b}", 0.05),
    ("langchain-openai/0.{c}.{b}", 0.08),
    ("litellm/1.{a}.{b}", 0.07),
    ("axios/1.{c}.{b}", 0.05),
    ("Go-http-client/{c}.{b}", 0.04),
    ("okhttp/4.1{c}.{b}", 0.04),
)


@dataclass(frozen=True, slots=True)
class Identity:
    """What the provider sees of one account; the first key, IP and UA are the usual ones."""

    account: str
    org: str
    keys: tuple[str, ...]
    ips: tuple[str, ...]
    user_agents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Slot:
    """An account to dress: its label and, for hydra members, its campaign index."""

    label: str
    kind: str
    campaign: int | None = None


class IdentityFactory:
    """Draws ids and addresses from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cloud_pool = [self.subnet(CLOUD_16) for _ in range(24)]
        self._own_16 = {"campus": list(CAMPUS_16), "hosting": list(HOSTING_16)}
        for pool in self._own_16.values():
            rng.shuffle(pool)

    def hexid(self, prefix: str, nbytes: int = 6) -> str:
        return f"{prefix}_{self.rng.getrandbits(8 * nbytes):0{2 * nbytes}x}"

    def subnet(self, prefixes: Sequence[str]) -> str:
        return f"{self.rng.choice(prefixes)}.{self.rng.randrange(256)}"

    def own_subnets(self, kind: str, n: int) -> list[str]:
        pool = self._own_16[kind]
        prefix = pool.pop() if pool else self.rng.choice(CAMPUS_16 + HOSTING_16)
        thirds = self.rng.sample(range(256), n)
        return [f"{prefix}.{t}" for t in thirds]

    def cloud_subnets(self, n: int) -> list[str]:
        return self.rng.sample(self.cloud_pool, n)

    def user_agent(self) -> str:
        templates = [t for t, _ in UA_FAMILIES]
        weights = [w for _, w in UA_FAMILIES]
        t = self.rng.choices(templates, weights)[0]
        r = self.rng
        return t.format(a=r.randrange(30, 60), b=r.randrange(10), c=r.randrange(1, 9))

    def user_agents(self) -> tuple[str, ...]:
        first = self.user_agent()
        return (first, self.user_agent()) if self.rng.random() < 0.25 else (first,)

    def keys(self) -> tuple[str, ...]:
        n = self.rng.choices((1, 2, 3, 4), (0.5, 0.3, 0.15, 0.05))[0]
        return tuple(self.hexid("key", 8) for _ in range(n))

    def n_ips(self) -> int:
        return self.rng.choices((1, 2, 3, 4, 6), (0.45, 0.25, 0.15, 0.1, 0.05))[0]

    def ips_in(self, subnets: Sequence[str]) -> tuple[str, ...]:
        n = self.n_ips()
        return tuple(f"{self.rng.choice(subnets)}.{self.rng.randrange(2, 255)}" for _ in range(n))

    def residential_ips(self) -> tuple[str, ...]:
        n = self.n_ips()
        return tuple(f"{self.subnet(RESIDENTIAL_16)}.{self.rng.randrange(2, 255)}" for _ in range(n))

    def identity(
        self, ips: tuple[str, ...], org: str | None = None, uas: tuple[str, ...] | None = None
    ) -> Identity:
        return Identity(
            account=self.hexid("acct"),
            org=org or self.hexid("org"),
            keys=self.keys(),
            ips=tuple(dict.fromkeys(ips)),
            user_agents=uas or self.user_agents(),
        )


def assign_identities(
    rng: random.Random, slots: Sequence[Slot], campaign_sizes: Sequence[int]
) -> list[Identity]:
    """One identity per slot, in slot order (see the module docstring for the structure)."""
    f = IdentityFactory(rng)
    out: dict[int, Identity] = {}
    members: dict[int, list[int]] = {}
    for i, s in enumerate(slots):
        if s.campaign is not None:
            members.setdefault(s.campaign, []).append(i)
    # Twins: benign groups of the same sizes, researchers first (labs), then anyone benign.
    benign = [i for i, s in enumerate(slots) if s.label == "benign"]
    rng.shuffle(benign)
    benign.sort(key=lambda i: {"researcher": 0, "benchmark_runner": 1}.get(slots[i].kind, 2))
    for c, size in enumerate(campaign_sizes):
        n_subnets = rng.randint(2, 4)
        cloud = rng.random() < 0.5  # the twin shares this draw, so both look alike
        twin, benign = benign[:size], benign[size:]
        for group, own in ((members.get(c, []), "hosting"), (twin, "campus")):
            subnets = f.cloud_subnets(n_subnets) if cloud else f.own_subnets(own, n_subnets)
            shared_ua = f.user_agents() if own == "hosting" else None
            for i in group:
                out[i] = f.identity(f.ips_in(subnets), uas=shared_ua)
    rest = [i for i in range(len(slots)) if i not in out]
    rng.shuffle(rest)
    while rest:
        size = rng.choices((1, 2, 3), (0.6, 0.25, 0.15))[0]
        company, rest = rest[:size], rest[size:]
        org = f.hexid("org") if rng.random() < 0.7 else None
        home = rng.choices(("cloud", "corp", "residential"), (0.5, 0.3, 0.2))[0]
        subnets = f.cloud_subnets(rng.randint(1, 2)) if home == "cloud" else [f.subnet(CORP_16)]
        for i in company:
            ips = f.residential_ips() if home == "residential" else f.ips_in(subnets)
            out[i] = f.identity(ips, org=org)
    return [out[i] for i in range(len(slots))]
