"""The dashboard: counts scoped to the referent's entities, the 14-day newsletter alert."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.journeys.models import Moment, MomentType
from tests import factories
from tests.factories import cycle as cf
from tests.helpers import login

SEND = datetime(2027, 6, 15, 7, 0, tzinfo=UTC)  # 09:00 Paris
ALERT = "La lettre N°2 part le 15/06 à 09:00 avec le contenu permanent"


def _dashboard(client) -> str:
    resp = client.get("/tableau-de-bord")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_home_goes_to_dashboard(logged_in):
    assert logged_in.get("/").headers["Location"].endswith("/tableau-de-bord")


def test_alert_shown_14_days_before_and_not_15(logged_in):
    edition = cf.edition(cf.issue(2, month=6), 2027, send_dt=SEND)
    clock.set_now(SEND - timedelta(days=15))
    assert ALERT not in _dashboard(logged_in)
    clock.set_now(SEND - timedelta(days=14))
    html = _dashboard(logged_in)
    assert ALERT in html and f"/lettres-d-information/editions/{edition.id}" in html
    edition.status = "approved"
    db.session.commit()
    assert ALERT not in _dashboard(logged_in)


def test_no_alert_once_frozen_or_past(logged_in):
    edition = cf.edition(cf.issue(2, month=6), 2027, send_dt=SEND)
    clock.set_now(SEND - timedelta(days=3))
    edition.frozen_dt = clock.now()
    db.session.commit()
    assert ALERT not in _dashboard(logged_in)


def test_counts_are_scoped_to_the_referents_entities(client):
    clock.set_now(datetime(2027, 3, 1, 9, tzinfo=UTC))
    mine, other = factories.entity(name="Entité Mienne"), factories.entity(name="Entité Autre")
    for _ in range(3):
        factories.member(mine, status="cooperateur", track="locatif", newsletter_consent=True)
    factories.member(mine, status="prospect", email_status="bounced")
    for _ in range(5):
        factories.member(other, status="cooperateur", newsletter_consent=True)
    referent = factories.user(entities=[mine])
    login(client, referent)
    html = _dashboard(client)
    assert "<strong>4</strong> personnes" in html
    assert "Entité Mienne</td><td>4</td>" in html and "Entité Autre" not in html
    assert "<dt>Adresse email valide</dt><dd>3</dd>" in html
    assert "la lettre</dt><dd>3</dd>" in html
    assert "<strong>3</strong> coopérateur(s) sans aucun moment" in html


def test_without_contact_counts_members_with_no_recent_done_moment(logged_in):
    clock.set_now(datetime(2027, 3, 1, 9, tzinfo=UTC))
    kind = MomentType(code="visite", label="Visite", track="", position=1)
    db.session.add(kind)
    seen, old, never = (factories.member(status="cooperateur") for _ in range(3))
    db.session.add_all([
        Moment(member_id=seen.id, type=kind, status="done", occurs_on=date(2026, 12, 1)),
        Moment(member_id=old.id, type=kind, status="done", occurs_on=date(2026, 2, 1)),
        Moment(member_id=never.id, type=kind, status="planned", occurs_on=date(2027, 3, 10)),
    ])
    db.session.commit()
    from coopcrm.reporting.queries import without_contact

    user = factories.user(role="admin")
    assert without_contact(user, date(2027, 3, 1)) == 2


def test_lecteur_sees_dashboard(client):
    login(client, factories.user(role="lecteur", all_entities=True))
    assert "Tableau de bord" in _dashboard(client)
