"""Referent pages: preview, test send, outbox list, member history (scoped)."""

from __future__ import annotations

from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.sending import services
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.helpers import PASSWORD, login, post

SURVEY = {"survey_title": "Sondage <état>", "intro": "", "survey_url": "https://coop.example/s/a"}


def test_preview_with_a_members_data_and_send_a_test_to_myself(logged_in, referent, smtp_server):
    m = factories.member(first_name="Ghislaine")
    html = logged_in.get(f"/envois/apercu?modele=welcome&membre={m.id}").get_data(as_text=True)
    assert "Bienvenue chez vous, Ghislaine !" in html
    frame_url = f"/envois/apercu/html?modele=welcome&membre={m.id}"
    assert f'sandbox="" src="{frame_url.replace("&", "&amp;")}"' in html
    frame = logged_in.get(frame_url)
    assert "Ghislaine" in frame.get_data(as_text=True)
    assert frame.headers["Content-Security-Policy"].startswith("sandbox")
    assert "Lire le livret d&#39;accueil : https://coop.example/livret-accueil.pdf" in html
    r = post(logged_in, "/envois/test", {"template": "welcome", "member_id": str(m.id)},
             token_from=f"/envois/apercu?modele=welcome&membre={m.id}", follow_redirects=True)
    assert "Message de test mis en file" in r.get_data(as_text=True)
    flush()
    (received,) = smtp_server.messages
    assert received.rcpt_tos == [referent.email]
    assert received.email["Subject"] == "Bienvenue chez vous, Ghislaine !"


def test_preview_every_template_with_sample_data(logged_in):
    for key in ("newsletter_edition", "convocation", "event_thanks_absent", "test_message"):
        assert logged_in.get(f"/envois/apercu?modele={key}").status_code == 200
    assert logged_in.get("/envois/apercu?modele=nope").status_code == 404


def test_outbox_list_filters_and_member_history(logged_in):
    m = factories.member(last_name="Zébulon")
    services.enqueue("survey_invitation", m, SURVEY, "k:1")
    services.enqueue("welcome", m, {"booklet_url": "https://x/l.pdf"}, "k:2")
    db.session.commit()
    html = logged_in.get("/envois").get_data(as_text=True)
    assert "Sondage &lt;état&gt; : votre avis compte" in html and "Bienvenue" in html
    html = logged_in.get("/envois?statut=queued&modele=welcome").get_data(as_text=True)
    assert "Bienvenue" in html and "votre avis compte" not in html
    page = logged_in.get(f"/membres/{m.id}").get_data(as_text=True)
    assert "Emails" in page and "votre avis compte" in page
    msg = db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == "k:1"))
    detail = logged_in.get(f"/envois/{msg.id}").get_data(as_text=True)
    assert "Sondage" in detail and f'sandbox="" src="/envois/{msg.id}/html"' in detail
    assert "Sondage" in logged_in.get(f"/envois/{msg.id}/html").get_data(as_text=True)


def test_scoped_referent_sees_only_their_entities(client):
    mine, other = factories.entity(), factories.entity()
    user = factories.user(entities=[mine], password=PASSWORD)
    a = factories.member(entity_=mine)
    b = factories.member(entity_=other, last_name="Ailleurs")
    services.enqueue("survey_invitation", a, SURVEY, "k:a")
    hidden = services.enqueue("survey_invitation", b, SURVEY, "k:b")
    db.session.commit()
    login(client, user)
    html = client.get("/envois").get_data(as_text=True)
    assert a.email in html and b.email not in html
    assert client.get(f"/envois/{hidden.id}").status_code == 404
    assert client.get(f"/envois/apercu?membre={b.id}").status_code == 404


def test_lecteur_cannot_send_tests(client):
    lecteur = factories.user(role="lecteur", password=PASSWORD, all_entities=True)
    login(client, lecteur)
    assert "M&#39;envoyer" not in client.get("/envois/apercu").get_data(as_text=True)
    r = post(client, "/envois/test", {"template": "welcome"}, token_from="/envois/apercu")
    assert r.status_code == 403


def test_bounced_member_shows_a_warning(logged_in):
    m = factories.member(email_status="bounced")
    assert "est en erreur" in logged_in.get(f"/membres/{m.id}").get_data(as_text=True)
