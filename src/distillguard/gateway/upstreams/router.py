"""Model names to upstreams, as `[models]` in the settings says; `"*"` catches the rest."""

from __future__ import annotations

from distillguard.gateway.upstreams.aiohttp_upstream import AiohttpUpstream
from distillguard.gateway.upstreams.base import Upstream
from distillguard.gateway.upstreams.http_upstream import HttpUpstream
from distillguard.gateway.upstreams.local_model import LocalModelUpstream
from distillguard.gateway.upstreams.simulated import SimulatedUpstream
from distillguard.settings import WILDCARD_MODEL, Settings


class Router:
    def __init__(self, upstreams: dict[str, Upstream], models: dict[str, str]) -> None:
        self.upstreams = upstreams
        self._routes = {m: upstreams[u] for m, u in models.items() if m != WILDCARD_MODEL}
        wildcard = models.get(WILDCARD_MODEL)
        self._fallback = upstreams[wildcard] if wildcard is not None else None

    def route(self, model: str) -> Upstream | None:
        return self._routes.get(model, self._fallback)

    async def model_names(self) -> list[str]:
        """Named models, and those the catch-all upstream lists (if it lists any)."""
        names = set(self._routes)
        if self._fallback is not None:
            names.update(await self._fallback.list_models())
        return sorted(names)

    async def aclose(self) -> None:
        for upstream in self.upstreams.values():
            await upstream.aclose()


def open_router(settings: Settings) -> Router:
    """Build every configured upstream; the only place an upstream kind is chosen."""
    upstreams: dict[str, Upstream] = {}
    for name, conf in settings.upstreams.items():
        if conf.kind == "http" and conf.client == "aiohttp":
            upstreams[name] = AiohttpUpstream(name, conf)
        elif conf.kind == "http":
            upstreams[name] = HttpUpstream(name, conf)
        elif conf.kind == "local":
            upstreams[name] = LocalModelUpstream(name, conf, settings.watermark)
        else:
            upstreams[name] = SimulatedUpstream(name, conf)
    return Router(upstreams, dict(settings.models))
