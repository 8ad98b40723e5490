"""Plain-data persistence for detectors whose state is numbers held in __slots__."""

from __future__ import annotations

from typing import Any


class SlotState:
    """`to_state`/`load_state` over the names in `_state_fields` (numbers, lists, dicts)."""

    __slots__ = ()
    _state_fields: tuple[str, ...] = ()

    def to_state(self) -> dict[str, Any]:
        return {name: _copy(getattr(self, name)) for name in self._state_fields}

    def load_state(self, state: dict[str, Any]) -> None:
        for name in self._state_fields:
            setattr(self, name, _copy(state[name]))


def _copy(value: Any) -> Any:
    """Containers are copied so that two detectors never share (and co-mutate) state."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
