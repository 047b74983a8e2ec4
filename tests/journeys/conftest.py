"""The journeys catalogue and follow-up rules, seeded as `coopcrm seed reference` seeds them."""

import pytest

from tests import factories


@pytest.fixture
def types():
    """The seeded catalogue, by code."""
    return factories.moment_types()


@pytest.fixture
def rules(types):
    """The default follow-up rules (seeds/followup_rules.json), by code, all but the survey on."""
    return factories.followup_rules()
