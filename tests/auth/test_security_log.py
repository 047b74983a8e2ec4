"""Issue 12: staff sign-ins, failures, password changes and revocations, visible to admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.auth import events
from coopcrm.auth.models import SecurityEvent
from coopcrm.extensions import db
from tests import factories
from tests.helpers import PASSWORD, login, post

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_the_log_shows_who_when_what_and_from_where(app, admin, referent):
    clock.set_now(T0)
    visitor = app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    login(visitor, referent, "pas le bon mot de passe")
    login(visitor, referent)
    post(visitor, "/compte/mot-de-passe", {"current_password": PASSWORD,
                                           "password": "une phrase toute neuve",
                                           "confirm": "une phrase toute neuve"})
    as_admin = app.test_client()
    login(as_admin, admin)
    page = as_admin.get("/admin/journal-securite").get_data(as_text=True)
    for text in ("Journal de sécurité", "Échec de connexion", "Connexion",
                 "Mot de passe changé", "192.0.2.44", referent.email, "01/03/2027 10:00",
                 "mot de passe incorrect", "par l&#39;utilisateur"):
        assert text in page, text
    only = as_admin.get("/admin/journal-securite?type=login_failed").get_data(as_text=True)
    assert "Échec de connexion" in only and "par l&#39;utilisateur" not in only
    other = as_admin.get("/admin/journal-securite?email=nobody").get_data(as_text=True)
    assert "Aucun événement ne correspond" in other


def test_the_log_is_paginated_newest_first(app, admin):
    clock.set_now(T0)
    for n in range(60):
        clock.set_now(T0 + timedelta(minutes=n))
        events.record("login_failed", email=f"essai{n}@coop.test", client="192.0.2.1")
    db.session.commit()
    client = app.test_client()
    login(client, admin)
    first = client.get("/admin/journal-securite").get_data(as_text=True)
    assert "essai59@coop.test" in first and "essai9@coop.test" not in first
    assert "Page 1 sur 2" in first
    second = client.get("/admin/journal-securite?page=2").get_data(as_text=True)
    assert "essai9@coop.test" in second and "essai59@coop.test" not in second


def test_entries_older_than_a_year_go_at_the_next_sign_in(app, admin):
    clock.set_now(T0)
    events.record("login_failed", email="ancien@coop.test")
    clock.set_now(T0 + timedelta(days=200))
    events.record("login_failed", email="recent@coop.test")
    db.session.commit()
    clock.set_now(T0 + timedelta(days=app.config["SECURITY_LOG_DAYS"] + 1))
    login(app.test_client(), admin)
    kept = db.session.scalars(select(SecurityEvent.email).order_by(SecurityEvent.id)).all()
    assert kept == ["recent@coop.test", admin.email]


@pytest.mark.parametrize("role", ["referent", "lecteur"])
def test_only_admins_see_it(client, role):
    login(client, factories.user(role=role, password=PASSWORD, all_entities=True))
    assert client.get("/admin/journal-securite").status_code == 403
    assert "/admin/journal-securite" not in client.get("/membres").get_data(as_text=True)
