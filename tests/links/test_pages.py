"""The unsubscribe and preferences pages members reach from an email."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.links import services
from coopcrm.members.models import Member
from coopcrm.privacy.models import AuditEntry, ConsentRecord
from tests import factories
from tests.helpers import csrf_token

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1")


@pytest.fixture
def member():
    return factories.member(
        first_name="Jeanne", last_name="Dupuis-Secret", email="jeanne.dupuis@exemple.test",
        newsletter_consent=True, econvocation_consent=False,
    )


def _input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def _reload(member_id: int) -> Member:
    db.session.expire_all()
    return db.session.get(Member, member_id)


def _records(member_id: int) -> list[ConsentRecord]:
    return db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.member_id == member_id).order_by(ConsentRecord.id)
    ).all()


def test_get_unsubscribe_shows_the_button_and_changes_nothing(client, member):
    resp = client.get(_path(services.unsubscribe_url(member.id)))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Me désinscrire" in body and "Jeanne" in body
    assert "jeanne.dupuis@exemple.test" not in body and "Dupuis-Secret" not in body
    assert "Coopérateurs" not in body  # public layout: no staff navigation
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert _reload(member.id).newsletter_consent is True


@pytest.mark.parametrize(
    "body",
    [
        {"data": "List-Unsubscribe=One-Click",
         "content_type": "application/x-www-form-urlencoded"},
        {"data": {"List-Unsubscribe": "One-Click"}},  # multipart, as some clients send
        {},  # empty body
    ],
)
def test_one_click_post_without_csrf_unsubscribes(client, member, body):
    clock.set_now(T0)
    resp = client.post(_path(services.unsubscribe_url(member.id)), **body)
    assert resp.status_code == 200
    assert "Vous êtes désinscrit" in resp.get_data(as_text=True)
    m = _reload(member.id)
    assert (m.newsletter_consent, m.email_status) == (False, "unsubscribed")
    assert m.newsletter_consent_dt == T0 and m.newsletter_consent_source == "lien de désinscription"
    [record] = _records(member.id)
    assert (record.kind, record.granted) == ("newsletter", False)
    assert record.source == "lien de désinscription"
    assert record.wording and record.user_id is None
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.member_id == member.id, AuditEntry.action == "update")
    ).all()
    assert audit and all(a.actor == "membre (lien)" for a in audit)
    assert audit[0].changes["email_status"] == ["valid", "unsubscribed"]
    assert audit[0].changes["newsletter_consent"] == [True, False]


def test_second_post_is_idempotent(client, member):
    url = _path(services.unsubscribe_url(member.id))
    assert client.post(url).status_code == 200
    audit_count = len(db.session.scalars(select(AuditEntry)).all())
    resp = client.post(url)
    assert resp.status_code == 200 and "Vous êtes désinscrit" in resp.get_data(as_text=True)
    assert len(_records(member.id)) == 1
    assert len(db.session.scalars(select(AuditEntry)).all()) == audit_count
    assert "déjà désinscrit" in client.get(url).get_data(as_text=True)


def test_unsubscribe_keeps_a_bounced_status(client):
    m = factories.member(newsletter_consent=True, email_status="bounced")
    client.post(_path(services.unsubscribe_url(m.id)))
    m = _reload(m.id)
    assert (m.newsletter_consent, m.email_status) == (False, "bounced")


def test_preferences_show_current_values_and_save_changes(client, member, message_to):
    clock.set_now(T0)
    message_id = message_to(member)
    url = _path(services.preferences_url(member.id, message_id))
    page = client.get(url).get_data(as_text=True)
    assert "Jeanne" in page and "jeanne.dupuis@exemple.test" not in page
    assert "checked" in _input(page, "newsletter") and "checked" not in _input(page, "econvocation")
    assert "convoqué(e) par email" in page
    token = csrf_token(client, url)
    # Keep the newsletter, accept the electronic convocation.
    resp = client.post(url, data={"csrf_token": token, "newsletter": "y", "econvocation": "y"},
                       follow_redirects=True)
    assert resp.status_code == 200
    assert "Vos préférences sont enregistrées" in resp.get_data(as_text=True)
    m = _reload(member.id)
    assert (m.newsletter_consent, m.econvocation_consent) == (True, True)
    assert m.econvocation_consent_source == "page de préférences"
    [record] = _records(member.id)  # only the change is recorded
    assert (record.kind, record.granted) == ("econvocation", True)
    assert record.source == "page de préférences"
    assert record.outbox_message_id == message_id  # the email the link came in
    assert "convoqué(e) par email" in record.wording and "La Coop" in record.wording
    assert record.wording in html.unescape(page)  # the exact words the member saw
    # The page then shows the member what they agreed to, when, in which words.
    again = html.unescape(client.get(url).get_data(as_text=True))
    assert "Vos accords" in again and "à l'ag accordée — « " + record.wording in again


def test_resubscribing_restores_an_unsubscribed_address_only(client, member, message_to):
    client.post(_path(services.unsubscribe_url(member.id)))
    url = _path(services.preferences_url(member.id, message_to(member)))
    client.post(url, data={"csrf_token": csrf_token(client, url), "newsletter": "y"})
    m = _reload(member.id)
    assert (m.newsletter_consent, m.email_status) == (True, "valid")
    assert [r.granted for r in _records(member.id)] == [False, True]

    bounced = factories.member(email_status="bounced")
    url = _path(services.preferences_url(bounced.id, message_to(bounced)))
    client.post(url, data={"csrf_token": csrf_token(client, url), "newsletter": "y"})
    b = _reload(bounced.id)
    assert (b.newsletter_consent, b.email_status) == (True, "bounced")


def test_preferences_post_without_csrf_is_refused(client, member, message_to):
    resp = client.post(_path(services.preferences_url(member.id, message_to(member))),
                       data={"econvocation": "y"})
    assert resp.status_code == 400
    assert _reload(member.id).econvocation_consent is False
    assert _records(member.id) == []


def test_expired_preferences_link_says_so(client, member, message_to):
    clock.set_now(T0)
    url = _path(services.preferences_url(member.id, message_to(member)))
    clock.set_now(T0 + timedelta(days=91))
    resp = client.get(url)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 410 and "Ce lien a expiré" in body
    assert "Jeanne" not in body and "jeanne.dupuis" not in body
    # A two-year-old unsubscribe link still works.
    assert client.get(_path(services.unsubscribe_url(member.id))).status_code == 200


@pytest.mark.parametrize("kind", ["u", "p"])
def test_bad_tokens_reveal_nothing(client, member, kind, message_to):
    good = _path(services.unsubscribe_url(member.id) if kind == "u"
                 else services.preferences_url(member.id, message_to(member))).rsplit("/", 1)[1]
    other = "p" if kind == "u" else "u"
    for path in (f"/{kind}/{good[:-3]}xyz", f"/{kind}/n.i.mporte", f"/{kind}/" + "a" * 300,
                 f"/{other}/{good}"):
        for method in (client.get, client.post):
            resp = method(path)
            body = resp.get_data(as_text=True)
            if method == client.post and path.startswith("/p/"):
                # The preferences form is CSRF-checked before the view runs.
                assert resp.status_code == 400, path
            else:
                assert resp.status_code == 404, path
                assert "Ce lien n'est pas valide" in body
            for secret in ("Jeanne", "Dupuis", "jeanne.dupuis@exemple.test"):
                assert secret not in body
    db.session.expire_all()
    assert _records(member.id) == []


def test_links_of_an_erased_member_stop_working(client, member):
    url = _path(services.unsubscribe_url(member.id))
    member.anonymised_dt = clock.now()
    db.session.commit()
    assert client.get(url).status_code == 404
    db.session.delete(_reload(member.id))
    db.session.commit()
    assert client.post(url).status_code == 404
