import pytest
from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.journeys.models import MomentType
from coopcrm.seeding.reference import load_moment_types


@pytest.fixture
def types():
    """The seeded catalogue, by code."""
    load_moment_types()
    db.session.commit()
    return {t.code: t for t in db.session.scalars(select(MomentType))}


@pytest.fixture
def rules(types):
    """The default follow-up rules (seeds/followup_rules.json), by code, all but the survey on."""
    from coopcrm.journeys.followups import services as followups
    from coopcrm.journeys.models import FollowUpRule

    followups.seed_rules(booklet_url="https://coop.example/livret-accueil.pdf")
    db.session.commit()
    return {r.code: r for r in db.session.scalars(select(FollowUpRule))}
