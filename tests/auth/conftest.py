"""Staff-account tests run with the production session limits (the suite lifts them)."""

from __future__ import annotations

import pytest

from coopcrm import config


@pytest.fixture(autouse=True)
def _real_session_limits(app, monkeypatch):
    idle = next(s for s in config.SETTINGS if s.key == "SESSION_IDLE_MINUTES")
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", idle.value({}))
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", config.CONSTANTS["SESSION_MAX_HOURS"])
