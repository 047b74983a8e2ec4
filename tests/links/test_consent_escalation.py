"""An unsubscribe link only withdraws; granting takes a link from the body of a message.

The unsubscribe link travels in `List-Unsubscribe` (mail providers read it,
whoever the email is forwarded to keeps it) for two years. Granting the
newsletter or the AG e-convocation (a legal consent, Code de commerce
R225-63) must be the member's own act: a link in the body of a message to
their address, recorded with that message (issue 12, finding 3).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.links import services
from coopcrm.links.services import PREFERENCES
from coopcrm.members.models import Member
from coopcrm.privacy.models import ConsentRecord
from coopcrm.sending import services as sending
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.helpers import csrf_token, login

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
FORGED = {"newsletter": "y", "econvocation": "y", "granted": "1", "kind": "econvocation",
          "List-Unsubscribe": "One-Click"}
SURVEY = {"survey_title": "Sondage", "intro": "Trois questions.",
          "survey_url": "https://coop.example/s/abc", "deadline": "2027-03-31"}


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1")


def _reload(member_id: int) -> Member:
    db.session.expire_all()
    return db.session.get(Member, member_id)


def _records(member_id: int) -> list[ConsentRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(ConsentRecord).where(
        ConsentRecord.member_id == member_id).order_by(ConsentRecord.id)))


def _consents(member_id: int) -> tuple[bool, bool]:
    m = _reload(member_id)
    return m.newsletter_consent, m.econvocation_consent


def _link_in(text: str, prefix: str) -> str:
    [path] = set(re.findall(rf"http://127\.0\.0\.1({prefix}[A-Za-z0-9_.\-]+)", text))
    return path


def _grant_all(client, url: str):
    return client.post(url, data={"csrf_token": csrf_token(client, url), "newsletter": "y",
                                  "econvocation": "y"}, follow_redirects=True)


@pytest.fixture
def member():
    return factories.member(first_name="Jeanne", email="jeanne@exemple.test",
                            newsletter_consent=False, econvocation_consent=False)


# ------------------------------------------------------------ the unsubscribe link


def test_an_unsubscribe_link_never_grants(client, member):
    url = _path(services.unsubscribe_url(member.id))
    page = client.get(url).get_data(as_text=True)
    # No preferences token on the page: the only way on is an email to the member.
    assert "/p/" not in page and "/pr/" not in page
    token = csrf_token(client, url)
    for body in (FORGED, {**FORGED, "csrf_token": token}):
        assert client.post(url, data=body).status_code == 200
        assert client.post(url + "/lien", data={**body, "csrf_token": token}).status_code == 200
    raw = url.rsplit("/", 1)[1]
    for other in (f"/p/{raw}", f"/pr/{raw}", f"/p/{raw}/lien", f"/pr/{raw}/lien"):
        assert client.get(other).status_code in (404, 405), other
        assert client.post(other, data={**FORGED, "csrf_token": token}).status_code == 404, other
    assert _consents(member.id) == (False, False)
    assert [r.granted for r in _records(member.id)] == []  # nothing to withdraw, nothing granted
    assert _reload(member.id).email_status == "unsubscribed"


def test_one_click_with_forged_fields_only_withdraws(client):
    m = factories.member(newsletter_consent=True, econvocation_consent=True)
    client.post(_path(services.unsubscribe_url(m.id)), data=FORGED)
    assert _consents(m.id) == (False, True)  # the e-convocation is not this link's business
    [record] = _records(m.id)
    assert (record.kind, record.granted, record.outbox_message_id) == ("newsletter", False, None)


def test_asking_for_a_link_without_csrf_is_refused(client, member):
    resp = client.post(_path(services.unsubscribe_url(member.id)) + "/lien")
    assert resp.status_code == 400
    assert db.session.scalars(select(OutboxMessage)).all() == []


# ------------------------------------------------------------ links that may only withdraw


def test_an_old_preferences_token_only_withdraws(client, message_to):
    m = factories.member(newsletter_consent=True, econvocation_consent=False)
    # Signed before preferences tokens named the message they came in.
    url = f"/p/{services._serializer(PREFERENCES).dumps(m.id)}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="newsletter"' in page and 'name="econvocation"' not in page
    assert "Recevoir par email un lien" in page
    _grant_all(client, url)
    assert _consents(m.id) == (True, False)  # the forged grant is ignored
    client.post(url, data={"csrf_token": csrf_token(client, url)})  # the box unticked
    assert _consents(m.id) == (False, False)
    [record] = _records(m.id)
    assert (record.granted, record.outbox_message_id) == (False, None)
    # From there, the way on is a fresh link by email.
    resp = client.post(url + "/lien", data={"csrf_token": csrf_token(client, url)})
    assert "Un lien vous a été envoyé" in resp.get_data(as_text=True)


def test_a_link_sent_to_another_address_only_withdraws(client, member, message_to):
    message_id = message_to(member)
    url = _path(services.preferences_url(member.id, message_id))
    member.email = "jeanne.nouvelle@exemple.test"  # a referent corrected the address
    db.session.commit()
    _grant_all(client, url)
    assert _consents(member.id) == (False, False)
    # A message to someone else, whatever the token says.
    other = factories.member()
    url = _path(services.preferences_url(member.id, message_to(other)))
    _grant_all(client, url)
    assert _consents(member.id) == (False, False) and _records(member.id) == []


# ------------------------------------------------------------ a link from a message body


def test_a_preferences_link_from_a_message_body_grants_and_records_it(
        client, member, smtp_server, referent):
    clock.set_now(T0)
    msg = sending.enqueue("survey_invitation", member, SURVEY, f"s:1:member:{member.id}")
    db.session.commit()
    assert flush().sent == 1
    [received] = smtp_server.received_by(member.email)
    mail = received.email
    headers = "\n".join(f"{k}: {v}" for k, v in mail.items())
    assert "/u/" in headers and "/p/" not in headers  # the granting link never in a header
    url = _link_in(mail.get_body(("plain",)).get_content(), "/p/")
    assert url == _link_in(mail.get_body(("html",)).get_content(), "/p/")
    page = client.get(url).get_data(as_text=True)
    assert 'name="newsletter"' in page and 'name="econvocation"' in page
    assert "Vos préférences sont enregistrées" in _grant_all(client, url).get_data(as_text=True)
    assert _consents(member.id) == (True, True)
    records = _records(member.id)
    assert {r.kind for r in records} == {"newsletter", "econvocation"}
    assert all(r.granted and r.outbox_message_id == msg.id for r in records)
    assert all(r.source == "page de préférences" and r.user_id is None for r in records)
    # Staff see which email the consent came from.
    login(client, referent)
    page = client.get(f"/membres/{member.id}").get_data(as_text=True)
    assert f'href="/envois/{msg.id}"' in page


# ------------------------------------------------------------ a fresh link, by email


def test_the_fresh_link_flow_end_to_end(client, smtp_server, referent):
    clock.set_now(T0)
    m = factories.member(first_name="Jeanne", email="jeanne@exemple.test",
                         newsletter_consent=True, econvocation_consent=False)
    unsubscribe = _path(services.unsubscribe_url(m.id))
    token = csrf_token(client, unsubscribe)
    client.post(unsubscribe)
    assert _reload(m.id).email_status == "unsubscribed"
    # "Gérer mes préférences" from the unsubscribe page: a link goes to the address.
    resp = client.post(unsubscribe + "/lien", data={"csrf_token": token})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Un lien vous a été envoyé" in body
    assert "jeanne@exemple.test" not in body and "/pr/" not in body
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert (row.template, row.bulk, row.member_id) == ("preferences_link", False, m.id)
    assert "/pr/" not in str(row.context)  # signed at send time, never stored
    # Twice the same day: no second email.
    again = client.post(unsubscribe + "/lien", data={"csrf_token": token})
    assert "déjà été envoyé aujourd'hui" in again.get_data(as_text=True)
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1

    assert flush().sent == 1  # transactional: it reaches an unsubscribed address
    [received] = smtp_server.received_by("jeanne@exemple.test")
    mail = received.email
    assert mail["List-Unsubscribe"] is None
    assert "/pr/" not in "\n".join(str(v) for v in mail.values())
    text = mail.get_body(("plain",)).get_content()
    assert "7 jours" in text
    url = _link_in(text, "/pr/")
    page = client.get(url).get_data(as_text=True)
    assert 'name="newsletter"' in page and 'name="econvocation"' in page
    _grant_all(client, url)
    m = _reload(m.id)
    assert (m.newsletter_consent, m.econvocation_consent, m.email_status) == (True, True, "valid")
    grants = [r for r in _records(m.id) if r.granted]
    assert {r.kind for r in grants} == {"newsletter", "econvocation"}
    assert {r.outbox_message_id for r in grants} == {row.id}
    # Staff reading the message see no live link.
    login(client, referent)
    assert "/pr/" not in client.get(f"/envois/{row.id}").get_data(as_text=True)

    # Seven days on, the link has expired; the next day allows a new one.
    clock.set_now(T0 + timedelta(days=8))
    resp = client.get(url)
    assert resp.status_code == 410 and "quelques jours" in resp.get_data(as_text=True)
    resp = client.post(unsubscribe + "/lien", data={"csrf_token": csrf_token(client, unsubscribe)})
    assert "Un lien vous a été envoyé" in resp.get_data(as_text=True)
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 2


def test_no_link_for_an_address_in_error(client):
    m = factories.member(email_status="bounced")
    url = _path(services.unsubscribe_url(m.id))
    resp = client.post(url + "/lien", data={"csrf_token": csrf_token(client, url)})
    assert "Nous n'avons pas pu vous envoyer de lien" in resp.get_data(as_text=True)
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert row.status == "suppressed"
