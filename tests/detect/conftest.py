"""Builders of events and observations for detector tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from traffic import event

from distillguard.events import Event


@pytest.fixture
def make_event() -> Callable[..., Event]:
    return event
