"""The session database stamped at the migration head, for the checks that read it."""

from __future__ import annotations

import pytest
from flask_migrate import stamp

from coopcrm.extensions import db


@pytest.fixture
def migrated(app):
    """The suite builds its schema with create_all (tests/test_migrations.py proves it equals
    the migrations'): record it at the head as `db upgrade` would, and forget it afterwards."""
    stamp(revision="head")
    yield
    db.session.remove()
    stamp(revision="head", purge=True)  # as the suite's app fixture left it
