"""The survey tests run at one instant, NOW (surveys come from tests/factories/surveys.py)."""

from __future__ import annotations

import pytest

from coopcrm import clock
from tests.factories.surveys import NOW


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)
