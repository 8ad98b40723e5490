"""The client's address: the connection's peer, or what a trusted proxy says it forwarded.

Only a peer among `server.trusted_proxies` is believed, and then only the rightmost address of
X-Forwarded-For that is not itself a trusted proxy: the ones left of it were written by the
client and can be anything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddress:
    def __init__(self, trusted: Iterable[str]) -> None:
        self._trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(t, strict=False) for t in trusted
        )

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in net for net in self._trusted)

    def of(self, peer: str | None, forwarded_for: str | None) -> str | None:
        if not self._trusted or peer is None or not forwarded_for or not self._is_trusted(peer):
            return peer
        for hop in reversed(forwarded_for.split(",")):
            hop = hop.strip()
            if not self._is_trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer  # garbage from the client's side: keep what we know
        return peer
