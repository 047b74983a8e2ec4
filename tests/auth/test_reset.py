"""Issue 12, finding 8: « mot de passe oublié » by email, single use, 30 minutes."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from coopcrm import clock
from coopcrm.auth.models import SecurityEvent
from coopcrm.extensions import db
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.helpers import PASSWORD, login, post

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ANSWER = ("Si un compte actif correspond à cette adresse, un email vient de lui être envoyé "
          "avec un lien valable 30 minutes.")
NEW = "une nouvelle phrase de passe"


def _ask(client, email):
    return html.unescape(post(client, "/mot-de-passe-oublie", {"email": email},
                              follow_redirects=True).get_data(as_text=True))


def _reset_messages():
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "password_reset").order_by(OutboxMessage.id)).all()


def _link_path(message) -> str:
    return urlsplit(message.context["reset_secret_url"]).path


def test_the_same_answer_whether_or_not_the_address_has_an_account(client, referent):
    gone = factories.user(active=False)
    for email in (referent.email, "personne@coop.test", gone.email):
        assert ANSWER in _ask(client, email)
    [message] = _reset_messages()
    assert (message.to_address, message.bulk, message.member_id) == (referent.email, False, None)
    details = db.session.scalars(select(SecurityEvent.detail).where(
        SecurityEvent.kind == "reset_requested").order_by(SecurityEvent.id)).all()
    assert details == ["lien envoyé", "aucun message : compte inconnu",
                       "aucun message : compte désactivé"]


def test_the_link_arrives_by_smtp_sets_a_password_once_and_ends_sessions(
        app, client, referent, smtp_server):  # noqa: F811
    clock.set_now(T0)
    signed_in = app.test_client()
    login(signed_in, referent)
    _ask(client, referent.email.upper())
    flush()
    [received] = smtp_server.received_by(referent.email)
    body = received.email.get_body(("plain",)).get_content()
    [message] = _reset_messages()
    assert message.context["reset_secret_url"] in body and "30 minutes" in body

    path = _link_path(message)
    form = client.get(path)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    weak = post(client, path, {"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"})
    assert weak.status_code == 422  # refused by the policy; the link still works
    done = post(client, path, {"password": NEW, "confirm": NEW}, follow_redirects=True)
    assert "Mot de passe changé" in done.get_data(as_text=True)
    db.session.refresh(referent)
    assert referent.check_password(NEW)
    assert signed_in.get("/membres").status_code == 302  # every session ended
    again = client.get(path)
    assert again.status_code == 404 and "plus valable" in html.unescape(
        again.get_data(as_text=True))
    login(client, referent, NEW)
    assert client.get("/membres").status_code == 200
    kinds = db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)).all()
    assert kinds == ["login", "reset_requested", "reset_used", "password_changed",
                     "sessions_revoked", "login"]


def test_the_link_expires_after_30_minutes_and_a_newer_one_replaces_it(client, referent):
    clock.set_now(T0)
    _ask(client, referent.email)
    clock.set_now(T0 + timedelta(minutes=1))
    _ask(client, referent.email)
    older, newer = (_link_path(m) for m in _reset_messages())
    assert client.get(older).status_code == 404
    clock.set_now(T0 + timedelta(minutes=31))
    assert client.get(newer).status_code == 404
    assert client.get("/mot-de-passe-oublie/nimporte-quoi").status_code == 404


def test_requests_are_throttled_per_address(client, referent):
    clock.set_now(T0)
    for _ in range(5):
        assert ANSWER in _ask(client, referent.email)
    assert len(_reset_messages()) == 3  # RESET_MAX_REQUESTS, then nothing for a while
    clock.set_now(T0 + timedelta(minutes=16))
    _ask(client, referent.email)
    assert len(_reset_messages()) == 4


def test_staff_reading_the_outbox_see_no_usable_link(client, referent):
    admin = factories.user(role="admin", password=PASSWORD)
    _ask(client, admin.email)
    [message] = _reset_messages()
    login(client, referent)  # a group-wide referent may read every message
    page = client.get(f"/envois/{message.id}").get_data(as_text=True)
    assert "/lien-masque" in page
    assert _link_path(message) not in page
