"""Fixtures for the newsletter cycle: the three issues (tests/cycle/helpers.py ticks the job)."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def issues():
    """N°1, N°2, N°3 with short standing content, by number."""
    return factories.issues()
