"""Plain-data persistence for detectors whose state is numbers held in __slots__."""

from __future__ import annotations

from typing import Any


class SlotState:
    """`to_state`/`load_state` over the names in `_state_fields` (numbers, lists, dicts)."""

    __slots__ = ()
    _state_fields: tuple[str, ...] = ()

    def to_state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._state_fields}

    def load_state(self, state: dict[str, Any]) -> None:
        for name in self._state_fields:
            value = state[name]
            setattr(self, name, list(value) if isinstance(value, list) else value)
