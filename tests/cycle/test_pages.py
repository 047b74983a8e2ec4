"""Referent pages of the cycle: the glance, edit, preview, test send, approve, issue dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import unescape

from sqlalchemy import select

from coopcrm import clock
from coopcrm.cycle.models import Edition
from coopcrm.extensions import db
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.factories import cycle as cf
from tests.helpers import login, post

NOW = datetime(2027, 1, 2, 10, 0, tzinfo=UTC)


def _body(text_html="<p>Texte</p>", *extra) -> str:
    """The block editor's hidden field: a heading, a paragraph, then `extra` blocks."""
    return json.dumps({"version": 1, "blocks": [
        {"type": "heading", "text": "Rubrique"}, {"type": "paragraph", "html": text_html},
        *extra]})


def _form(edition, **changes) -> dict:
    data = {"title": edition.title, "teaser": edition.teaser, "body": _body()}
    data.update(changes)
    return data


def test_index_shows_cycle_and_lecteur_cannot_edit(client):
    clock.set_now(NOW)
    issue = cf.issue(number=1)
    edition = cf.edition(issue, 2027)
    lecteur = factories.user(role="lecteur")
    login(client, lecteur)
    html = client.get("/lettres-d-information").get_data(as_text=True)
    assert "N°1" in html and "15/01/2027 à 09:00" in html and "Brouillon" in html
    assert "Modifier" not in html and "Approuver" not in html
    assert client.get(f"/lettres-d-information/editions/{edition.id}").status_code == 200
    assert client.get(f"/lettres-d-information/editions/{edition.id}/modifier").status_code == 403
    approve = f"/lettres-d-information/editions/{edition.id}/approuver"
    preview = f"/lettres-d-information/editions/{edition.id}"
    assert post(client, approve, token_from=preview).status_code == 403
    assert post(client, preview + "/test", token_from=preview).status_code == 403
    assert client.get(f"/lettres-d-information/numeros/{issue.id}/modifier").status_code == 403


def test_referent_edits_previews_approves_and_reopens(client, referent):
    clock.set_now(NOW)
    edition = cf.edition(cf.issue(number=1), 2027)
    login(client, referent)
    url = f"/lettres-d-information/editions/{edition.id}/modifier"
    resp = post(client, url, _form(edition, title="", body=_body(
        "<p>Texte</p>", {"type": "button", "label": "Go", "url": "ftp://x"})))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Donnez un titre" in html and "https://" in html

    resp = post(client, url, _form(edition, title="Édition 2027 <b>!</b>",
                                   body=_body("<p>Bonjour<script>alert(1)</script></p>")))
    assert resp.status_code == 302
    db.session.expire_all()
    edition = db.session.get(Edition, edition.id)
    assert edition.title == "Édition 2027 <b>!</b>"  # plain text, escaped wherever shown
    # The block editor's document replaces the sections (they were {"heading": "Rubrique",
    # "body_html": "<p>Bonjour</p>"} with the raw-HTML editor).
    assert edition.body["blocks"] == [{"type": "heading", "text": "Rubrique", "level": 2},
                                      {"type": "paragraph", "html": "<p>Bonjour</p>"}]
    assert edition.sections == [] and edition.intro_html == ""
    assert edition.edited_by_id == referent.id

    preview = client.get(f"/lettres-d-information/editions/{edition.id}").get_data(as_text=True)
    assert "Pas encore approuvée" in preview
    assert "Édition 2027 &lt;b&gt;!&lt;/b&gt;" in preview or "&amp;lt;b&amp;gt;" in preview
    permanent = client.get(f"/lettres-d-information/editions/{edition.id}?version=permanent")
    assert "contenu permanent" in permanent.get_data(as_text=True)

    assert post(client, f"/lettres-d-information/editions/{edition.id}/approuver",
                token_from=f"/lettres-d-information/editions/{edition.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Edition, edition.id).status == "approved"
    post(client, f"/lettres-d-information/editions/{edition.id}/rouvrir",
         token_from=f"/lettres-d-information/editions/{edition.id}")
    db.session.expire_all()
    assert db.session.get(Edition, edition.id).status == "draft"


def test_frozen_edition_cannot_be_edited_from_the_page(client, referent):
    clock.set_now(NOW)
    edition = cf.edition(cf.issue(number=1), 2026, frozen_dt=NOW,
                         frozen_content={"title": "Partie", "teaser": "", "body_html": "<p>x</p>",
                                         "issue_number": 1, "year": 2026})
    login(client, referent)
    url = f"/lettres-d-information/editions/{edition.id}/modifier"
    assert client.get(url).status_code == 302
    resp = post(client, f"/lettres-d-information/editions/{edition.id}/approuver",
                token_from=f"/lettres-d-information/editions/{edition.id}", follow_redirects=True)
    assert "déjà partie" in resp.get_data(as_text=True)
    assert db.session.get(Edition, edition.id).status == "draft"


def test_send_test_to_myself_with_a_chosen_member(client, referent):
    clock.set_now(NOW)
    edition = cf.edition(cf.issue(number=1), 2027)
    member = factories.member(first_name="Aïcha", status="cooperateur")
    login(client, referent)
    page = f"/lettres-d-information/editions/{edition.id}?membre={member.id}"
    assert "Aïcha" in client.get(page).get_data(as_text=True)
    resp = post(client, f"/lettres-d-information/editions/{edition.id}/test",
                {"member_id": str(member.id)}, token_from=page)
    assert resp.status_code == 302
    msg = db.session.scalars(select(OutboxMessage)).one()
    assert msg.to_address == referent.email and msg.member_id is None and not msg.bulk
    assert msg.template == "newsletter_edition"
    assert msg.context["member"]["first_name"] == "Aïcha" and msg.context["is_test"] is True
    assert "N°1" in msg.subject


def test_admin_changes_issue_date(client, admin):
    clock.set_now(NOW)
    issue = cf.issue(number=2, month=6)
    edition = cf.edition(issue, 2027)
    login(client, admin)
    url = f"/lettres-d-information/numeros/{issue.id}/modifier"
    form = {"theme": "L'AG", "send_day": "31", "send_month": "2", "send_hour": "9",
            "send_minute": "00", "title": "L'AG de la COOP",
            "body": json.dumps({"blocks": [{"type": "heading", "text": "AG"},
                                           {"type": "paragraph", "html": "<p>Venez</p>"}]})}
    assert "Cette date n'existe pas" in unescape(post(client, url, form).get_data(as_text=True))
    assert post(client, url, {**form, "send_day": "20", "send_month": "6",
                              "send_hour": "18", "send_minute": "30"}).status_code == 302
    db.session.expire_all()
    edition = db.session.get(Edition, edition.id)
    assert edition.send_dt == datetime(2027, 6, 20, 16, 30, tzinfo=UTC)


def test_referent_cannot_edit_issue(client, referent):
    issue = cf.issue(number=3, month=9)
    login(client, referent)
    assert client.get(f"/lettres-d-information/numeros/{issue.id}/modifier").status_code == 403


def test_member_page_shows_cycle_history_with_reasons(client, referent):
    from coopcrm.cycle.models import Receipt

    clock.set_now(datetime(2027, 7, 1, 10, tzinfo=UTC))
    n1, n2, n3 = cf.issue(1), cf.issue(2, month=6), cf.issue(3, month=9)
    member = factories.member(status="cooperateur", newsletter_consent=False,
                              reservation_signed_on=datetime(2027, 2, 1).date())
    cf.edition(n1, 2027, frozen_dt=datetime(2027, 1, 15, 8, tzinfo=UTC),
               frozen_content={"title": "x"})
    june = cf.edition(n2, 2027, frozen_dt=datetime(2027, 6, 15, 7, tzinfo=UTC),
                      frozen_content={"title": "y"})
    cf.edition(n3, 2027, send_dt=datetime(2027, 9, 15, 7, tzinfo=UTC))
    db.session.add(Receipt(edition_id=june.id, member_id=member.id, outcome="missed",
                           decided_dt=datetime(2027, 6, 20, tzinfo=UTC)))
    db.session.commit()
    login(client, referent)
    html = unescape(client.get(f"/membres/{member.id}").get_data(as_text=True))
    section = html[html.index('id="lettres"'):]
    assert "N°2 · 2027" in section and "Manquée" in section
    assert "N°3 · 2027" in section and "consentement" in section
    assert "/lettres/2027/2" in section  # a published edition links to the archive


def test_preview_with_a_member_outside_the_referents_entities_is_404(client):
    edition = cf.edition(cf.issue(number=1), 2027)
    mine, other = factories.entity(), factories.entity()
    stranger = factories.member(other, first_name="Inconnu")
    factories.member(mine, first_name="Voisine", last_name="Martin")
    login(client, factories.user(entities=[mine]))
    page = f"/lettres-d-information/editions/{edition.id}"
    assert client.get(f"{page}?membre={stranger.id}").status_code == 404
    found = client.get(f"{page}?q=martin").get_data(as_text=True)
    assert "Voisine" in found and "Inconnu" not in found
    assert "Inconnu" not in client.get(f"{page}?q=inconnu").get_data(as_text=True)
