"""Events fixtures: the referent who organises them (events come from tests/factories)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories


@pytest.fixture
def staff():
    return factories.user(role="referent", all_entities=True)


@pytest.fixture
def days():
    return lambda n: timedelta(days=n)
