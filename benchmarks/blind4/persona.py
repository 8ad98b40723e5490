"""The persona record and the source-building helpers the persona modules share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .engine import Ctx
from .select import Source, refs


@dataclass(frozen=True)
class Persona:
    label: str  # "benign" | "extraction"
    domain: str  # what the product (or the cover story) is, for a product system prompt
    setup: Callable[[Ctx, dict], None]
    session: Callable[[Ctx], None]
    requires: tuple[str, ...] = ()


def popular(
    ctx: Ctx,
    names: tuple[str, ...],
    size: tuple[int, int],
    a: float = 1.05,
    tags: set[str] | None = None,
    limit: int | None = None,
) -> Source:
    r = ctx.rng
    return Source(
        ctx.pools,
        r,
        refs(ctx.pools, names, limit=limit, tags=tags),
        "popular",
        size=int(r.integers(size[0], size[1] + 1)),
        zipf_a=a,
    )


def walk(
    ctx: Ctx,
    names: tuple[str, ...],
    shared: dict | None = None,
    limit: int | None = None,
    tags: set[str] | None = None,
) -> Source:
    """A without-replacement walk; a campaign passes its shared order and this account's shard."""
    items = refs(ctx.pools, names, limit=limit, tags=tags)
    if shared and "order" in shared:
        return Source(
            ctx.pools,
            ctx.rng,
            shared["items"],
            "walk",
            order=shared["order"],
            shard=shared["shard"],
            n_shards=shared["n_shards"],
            layout=shared.get("layout", "stride"),
        )
    return Source(ctx.pools, ctx.rng, items, "walk")


def ordered(
    ctx: Ctx, names: tuple[str, ...], limit: int | None = None, tags: set[str] | None = None
) -> Source:
    return Source(ctx.pools, ctx.rng, refs(ctx.pools, names, limit=limit, tags=tags), "ordered")


def subset(ctx: Ctx, options: list[str], lo: int, hi: int) -> set[str]:
    r = ctx.rng
    k = int(r.integers(lo, min(hi, len(options)) + 1))
    return {options[int(i)] for i in r.choice(len(options), size=k, replace=False)}


def by_tag(items) -> dict:
    out: dict = {}
    for it in items:
        out.setdefault(it.tag, []).append(it)
    return out


def mmlu_subjects(ctx: Ctx, lo: int, hi: int, prefix: str = "") -> set[str]:
    subj = sorted({it.tag for it in ctx.pools.mmlu if it.tag and it.tag.startswith(prefix)})
    return subset(ctx, subj, lo, hi)
