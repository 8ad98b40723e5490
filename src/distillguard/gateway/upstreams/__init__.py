"""Model servers behind the gateway: the built-in simulated one and any OpenAI-compatible one."""

from distillguard.gateway.upstreams.base import Endpoint, ReplyStream, Upstream
from distillguard.gateway.upstreams.router import Router, open_router

__all__ = ["Endpoint", "ReplyStream", "Router", "Upstream", "open_router"]
