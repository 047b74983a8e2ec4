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
