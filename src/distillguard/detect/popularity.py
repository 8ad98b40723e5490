"""Which prompts other accounts send too: popular traffic is product traffic.

A chat app's users ask what many people ask, tutoring apps get the same homework, an
evaluation runs the benchmark other vendors run; a harvest walks a prompt source, and a
network splits one walk so that no prompt is sent twice. `PromptOwners` remembers, for
recent prompts, the account that first sent each, so the analyzer can count, per
account, the new prompts that some other account also sent (`UsageDetector.shared`).
That count is ranked like every other statistic; it never links accounts.

Bounded: two generations of at most `per_generation` prompts each; the older is
dropped when the newer fills, so old prompts are forgotten, not memory grown.
"""

from __future__ import annotations

from typing import Any

SHARED = ""  # owner of a prompt that two or more accounts sent


class PromptOwners:
    __slots__ = ("current", "per_generation", "previous")

    def __init__(self, per_generation: int = 100_000) -> None:
        self.per_generation = per_generation
        self.current: dict[int, str] = {}
        self.previous: dict[int, str] = {}

    def claim(self, content: int, account: str) -> tuple[bool, str | None]:
        """Record that `account` sent `content` (new to it).

        Returns whether another account sent it before, and that account when this is
        the first time the prompt is found shared (its earlier prompt is shared too).
        """
        owner = self.current.get(content)
        if owner is None:
            owner = self.previous.get(content)
        if owner is None:
            if len(self.current) >= self.per_generation:
                self.previous, self.current = self.current, {}
            self.current[content] = account
            return False, None
        if owner == account:
            return False, None
        self.current[content] = SHARED
        return True, (owner if owner != SHARED else None)

    def to_state(self) -> dict[str, Any]:
        return {
            "per_generation": self.per_generation,
            "current": [[k, v] for k, v in self.current.items()],
            "previous": [[k, v] for k, v in self.previous.items()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PromptOwners:
        p = cls(int(state["per_generation"]))
        p.current = {int(k): str(v) for k, v in state["current"]}
        p.previous = {int(k): str(v) for k, v in state["previous"]}
        return p
