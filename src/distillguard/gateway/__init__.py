"""The OpenAI-compatible gateway: accounts, keys, tiers, rate limits and inline detection."""

from distillguard.gateway.app import build_app
from distillguard.gateway.server import BackgroundServer, serve

__all__ = ["BackgroundServer", "build_app", "serve"]
