"""Client addresses: cloud egress, offices, homes, end-user pools, per-account subnets."""

from __future__ import annotations

import numpy as np

RES_OCTETS = [24, 47, 67, 71, 73, 76, 86, 88, 90, 92, 98, 108, 109, 151, 176, 178, 185, 188]
RES_OCTETS += [212, 217, 2, 5, 31, 37, 41, 49, 58, 60, 61, 101, 103, 110, 112, 114, 117, 121]
RES_OCTETS += [122, 124, 175, 180, 182, 186, 187, 189, 190, 191, 200, 201]
CLOUD_OCTETS = [3, 13, 18, 20, 34, 35, 40, 44, 52, 54, 104, 130, 138, 146, 157, 159, 161, 164]


def pick(rng, items):
    return items[int(rng.integers(0, len(items)))]


class IpPlan:
    """How an account's requests are addressed.  Pools are built once, sampled per request."""

    def __init__(self, rng, kind, size=3, shared=None):
        self.kind = kind
        if shared is not None:
            self.ips = shared
        elif kind == "cloud":
            self.ips = [_ip(rng, CLOUD_OCTETS) for _ in range(size)]
        elif kind == "office":
            base = _ip(rng, RES_OCTETS + CLOUD_OCTETS).rsplit(".", 1)[0]
            self.ips = [f"{base}.{int(rng.integers(2, 250))}" for _ in range(size)]
            self.ips += [_ip(rng, RES_OCTETS) for _ in range(max(1, size // 4))]  # VPN / home
        elif kind == "subnet":
            base = _ip(rng, RES_OCTETS + CLOUD_OCTETS).rsplit(".", 1)[0]
            self.ips = [f"{base}.{int(rng.integers(2, 250))}" for _ in range(size)]
        else:  # "home" (1-3 addresses) or "many" (end users, proxies)
            self.ips = [_ip(rng, RES_OCTETS) for _ in range(size)]
        zipf = 1.0 / np.arange(1, len(self.ips) + 1) ** (1.1 if kind in ("many", "home") else 0.3)
        self.cum = np.cumsum(zipf / zipf.sum())

    def draw(self, rng):
        if len(self.ips) == 1:
            return self.ips[0]
        return self.ips[min(len(self.ips) - 1, int(np.searchsorted(self.cum, rng.random())))]

    def clone(self, rng):
        """Same structure, fresh addresses (used for benign twins)."""
        c = IpPlan(rng, self.kind if self.kind != "shared" else "many", len(self.ips))
        return c


def _ip(rng, octets):
    a = pick(rng, octets)
    b, c, d = rng.integers(0, 256), rng.integers(0, 256), rng.integers(1, 255)
    return f"{a}.{b}.{c}.{d}"
