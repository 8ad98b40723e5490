"""Who an account looks like on the wire: ids, keys, org, addresses, user agents.

Nothing here may reveal the label. Every draw comes from the same distributions for
benign and extraction accounts, and every coordinated structure has benign twins of the
same shape: a hydra campaign (many small accounts, own orgs, a few shared /24s, often one
client version) is mirrored by labs and company sites (researchers first, then any benign
account) of the same size, /24 count, kind of range and client sharing, in the same
proportion of benign accounts as campaign members are of extraction accounts. Other
accounts form label-blind companies of 1-3 accounts (dev/prod keys), which share an org
and sit in a shared cloud range, a corporate /24 or on residential lines. Identity alone
therefore cannot tell a campaign from a lab; a detector must add behaviour.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

# Real-looking /16 prefixes by kind of network. Cloud /24s are shared by unrelated
# customers (NAT egress), which is why a shared /24 alone proves nothing.
CLOUD_16 = (
    "3.90",
    "3.223",
    "13.64",
    "18.204",
    "20.42",
    "34.82",
    "34.125",
    "35.196",
    "44.204",
    "52.14",
    "52.87",
    "54.91",
    "104.196",
    "143.198",
    "159.65",
    "167.99",
    "172.104",
)
CORP_16 = (
    "12.48",
    "38.104",
    "63.118",
    "64.79",
    "65.52",
    "66.102",
    "192.40",
    "199.83",
    "204.14",
    "206.80",
    "208.67",
    "209.85",
    "216.52",
)
RESIDENTIAL_16 = (
    "24.5",
    "67.180",
    "68.101",
    "71.191",
    "73.42",
    "76.88",
    "82.132",
    "86.12",
    "90.203",
    "98.24",
    "99.47",
    "174.62",
    "178.150",
    "181.46",
    "187.190",
    "189.33",
    "201.82",
)
# Ranges one group owns: campuses and hosting providers. Labs and campaigns draw from
# this one pool (a lab may rent servers, a campaign may use student accounts), so the
# prefix itself says nothing about the label; each range serves exactly one group.
OWN_16 = (
    "128.32",
    "128.112",
    "129.105",
    "130.126",
    "131.215",
    "132.239",
    "134.173",
    "136.152",
    "140.247",
    "141.211",
    "171.64",
    "45.77",
    "45.32",
    "66.42",
    "91.134",
    "95.216",
    "103.152",
    "139.59",
    "149.28",
    "185.199",
    "193.42",
    "194.36",
)

# (family, released versions, weight): client libraries seen in front of chat-completion
# APIs. Versions are real releases so that no family looks made up.
UA_FAMILIES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    (
        "OpenAI/Python {}",
        ("1.30.5", "1.35.10", "1.40.6", "1.45.0", "1.51.2", "1.54.4", "1.55.3", "1.57.0", "1.58.1"),
        0.34,
    ),
    ("OpenAI/JS {}", ("4.47.1", "4.52.7", "4.56.0", "4.67.3", "4.73.1", "4.77.0"), 0.13),
    ("python-requests/{}", ("2.28.2", "2.31.0", "2.32.2", "2.32.3"), 0.09),
    ("python-httpx/{}", ("0.25.2", "0.27.0", "0.27.2", "0.28.1"), 0.06),
    ("Python/3.11 aiohttp/{}", ("3.9.5", "3.10.10", "3.11.11"), 0.05),
    ("curl/{}", ("7.81.0", "8.4.0", "8.5.0", "8.7.1", "8.11.1"), 0.05),
    ("langchain-openai/{}", ("0.1.25", "0.2.9", "0.2.14"), 0.08),
    ("litellm/{}", ("1.44.22", "1.52.6", "1.55.12"), 0.07),
    ("axios/{}", ("1.6.8", "1.7.7", "1.7.9"), 0.05),
    ("Go-http-client/{}", ("1.1", "2.0"), 0.04),
    ("okhttp/{}", ("4.9.3", "4.11.0", "4.12.0"), 0.04),
)


@dataclass(frozen=True, slots=True)
class Identity:
    """What the provider sees of one account; the first key, IP and UA are the usual ones."""

    account: str
    org: str
    keys: tuple[str, ...]
    ips: tuple[str, ...]
    user_agents: tuple[str, ...]
    site: str = ""  # the company, lab or campaign it was placed with; never written to logs


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
        self._own_16 = list(OWN_16)
        rng.shuffle(self._own_16)

    def hexid(self, prefix: str, nbytes: int = 6) -> str:
        return f"{prefix}_{self.rng.getrandbits(8 * nbytes):0{2 * nbytes}x}"

    def subnet(self, prefixes: Sequence[str]) -> str:
        return f"{self.rng.choice(prefixes)}.{self.rng.randrange(256)}"

    def own_subnets(self, n: int) -> list[str]:
        if self._own_16:
            prefix = self._own_16.pop()
        else:  # more groups than listed ranges: make up another /16
            prefix = f"{self.rng.randrange(100, 200)}.{self.rng.randrange(256)}"
        thirds = self.rng.sample(range(256), n)
        return [f"{prefix}.{t}" for t in thirds]

    def cloud_subnets(self, n: int) -> list[str]:
        return self.rng.sample(self.cloud_pool, n)

    def user_agent(self) -> str:
        template, versions, _w = self.rng.choices(UA_FAMILIES, [w for *_, w in UA_FAMILIES])[0]
        return template.format(self.rng.choice(versions))

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
        return tuple(
            f"{self.subnet(RESIDENTIAL_16)}.{self.rng.randrange(2, 255)}" for _ in range(n)
        )

    def identity(
        self,
        ips: tuple[str, ...],
        site: str,
        org: str | None = None,
        uas: tuple[str, ...] | None = None,
    ) -> Identity:
        return Identity(
            account=self.hexid("acct"),
            org=org or self.hexid("org"),
            keys=self.keys(),
            ips=tuple(dict.fromkeys(ips)),
            user_agents=uas or self.user_agents(),
            site=site,
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
    # Twins: benign groups shaped like the campaigns (labs first, then anyone benign), as
    # many, in proportion, as there are campaign members among extraction accounts. Then
    # the share of accounts in such groups is the same for both labels.
    benign = [i for i, s in enumerate(slots) if s.label == "benign"]
    rng.shuffle(benign)
    benign.sort(key=lambda i: {"researcher": 0, "benchmark_runner": 1}.get(slots[i].kind, 2))
    extraction = len(slots) - len(benign)
    twins_left = round(sum(campaign_sizes) * len(benign) / extraction) if extraction else 0
    # members, cloud range or own, number of /24s, the one client all members run (or None)
    groups: list[tuple[list[int], bool, int, tuple[str, ...] | None]] = []
    shapes = []
    for c, size in enumerate(campaign_sizes):
        # Drawn once per campaign and copied to its twins, client version included, so that
        # a twin cannot be told from its campaign by shape. Campaigns mostly run one client;
        # companies mostly standardise on one SDK version.
        shape = (
            rng.random() < 0.5,
            rng.randint(2, 4),
            f.user_agents() if rng.random() < 0.7 else None,
        )
        shapes.append((size, shape))
        groups.append((members.get(c, []), *shape))
    for k in range(len(benign)):
        if twins_left <= 0 or not shapes:
            break
        size, shape = shapes[k % len(shapes)]
        take = min(size, twins_left)
        twin, benign = benign[:take], benign[take:]
        twins_left -= take
        groups.append((twin, *shape))
    for g, (group, cloud, n_subnets, shared_ua) in enumerate(groups):
        subnets = f.cloud_subnets(n_subnets) if cloud else f.own_subnets(n_subnets)
        for i in group:
            out[i] = f.identity(f.ips_in(subnets), f"group{g}", uas=shared_ua)
    rest = [i for i in range(len(slots)) if i not in out]
    rng.shuffle(rest)
    companies = 0
    while rest:
        companies += 1
        size = rng.choices((1, 2, 3), (0.6, 0.25, 0.15))[0]
        company, rest = rest[:size], rest[size:]
        org = f.hexid("org") if rng.random() < 0.7 else None
        home = rng.choices(("cloud", "corp", "residential"), (0.5, 0.3, 0.2))[0]
        subnets = f.cloud_subnets(rng.randint(1, 2)) if home == "cloud" else [f.subnet(CORP_16)]
        for i in company:
            ips = f.residential_ips() if home == "residential" else f.ips_in(subnets)
            out[i] = f.identity(ips, f"company{companies}", org=org)
    return [out[i] for i in range(len(slots))]
