"""The clock as a test input: a mark that freezes it for a module, a Paris-time setter.

A plugin (tests/conftest.py registers it). Every test starts with the clock
running (the root `_clean` fixture); a module whose tests all happen at one
instant says so once:

    pytestmark = pytest.mark.clock(datetime(2026, 3, 10, 9, 0))   # naive means UTC

`paris_now(day, hour, minute)` moves it to a Paris wall-clock time inside a
test (tests/instants.py builds such instants without moving it).
"""

from __future__ import annotations

import pytest

from coopcrm import clock
from tests.instants import at


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "clock(instant): the clock is frozen at `instant` when the test starts")


@pytest.fixture(autouse=True)
def _marked_clock(request, _clean):
    """Freeze the clock where the test's `clock` mark says (after `_clean` set it running)."""
    mark = request.node.get_closest_marker("clock")
    if mark is not None:
        clock.set_now(mark.args[0])


@pytest.fixture
def paris_now():
    """Set the clock to a Paris wall-clock time: paris_now(day, hour=10, minute=0) -> now."""
    def _set(day, hour=10, minute=0):
        clock.set_now(at(day, hour, minute))
        return clock.now()
    return _set
