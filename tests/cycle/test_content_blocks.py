"""Newsletter editions written with the block editor: saved, frozen, sent, archived.

Content written before the block editor keeps rendering through its own path
(tests/cycle/test_content.py); here, the documents.
"""

from __future__ import annotations

import json
from datetime import date

from coopcrm import clock
from coopcrm.blocks import images
from coopcrm.cycle import content, editions, seed
from coopcrm.cycle.models import Edition, NewsletterIssue
from coopcrm.extensions import db
from coopcrm.scheduler.runner import run_job
from coopcrm.sending import rendering
from tests import factories
from tests.blocks import _images
from tests.cycle.helpers import tick
from tests.factories import cycle as cf
from tests.factories.cycle import coop
from tests.helpers import login
from tests.instants import paris

FIGURES = {"nombre_cooperateurs": "1\u00a0750", "montant_part": "16\u00a0€"}


def _document(image_name: str) -> dict:
    return {"version": 1, "blocks": [
        {"type": "heading", "text": 'Bienvenue <span data-placeholder="prenom"></span>'},
        {"type": "paragraph", "html":
            '<p>Votre résidence : <strong><span data-placeholder="residence"></span></strong>, '
            'référence <span data-placeholder="reference"></span>. Une part coûte '
            '<span data-placeholder="montant_part"></span>, nous sommes '
            '<span data-placeholder="nombre_cooperateurs"></span>. '
            '<a href="https://coop.example/ag">Venez à l\'AG</a> {{ config }}</p>'},
        {"type": "image", "image": image_name, "alt": "Le jardin partagé"},
        {"type": "button", "label": "Je réponds", "url": "https://coop.example/rsvp"},
    ]}


def test_the_editor_opens_older_content_as_blocks():
    assert seed.load_issues() == 3
    issue = db.session.scalars(db.select(NewsletterIssue).where(NewsletterIssue.number == 1)).one()
    doc = content.editor_document(issue.content())
    kinds = [b["type"] for b in doc["blocks"]]
    assert kinds == ["paragraph"] + ["heading", "paragraph"] * 4
    assert doc["blocks"][3]["text"] == \
        'Nous sommes <span data-placeholder="nombre_cooperateurs"></span> coopérateurs'
    assert '<strong><span data-placeholder="nombre_cooperateurs"></span> personnes</strong>' in \
        doc["blocks"][4]["html"]
    assert editions.validate_content({**issue.content(), "body": json.dumps(doc)})["body"] == doc
    legacy = content.legacy_document({"intro_html": "", "image_url": "https://cdn.example/a.jpg",
                                      "sections": [], "ctas": [{"label": "Lien",
                                                                "url": "https://x.example"}]})
    assert legacy["blocks"] == [{"type": "image", "url": "https://cdn.example/a.jpg", "alt": ""},
                                {"type": "button", "label": "Lien", "url": "https://x.example"}]


def test_saving_a_document_replaces_the_older_fields_and_compiles_at_freeze(app):
    clock.set_now(paris(2027, 1, 2, 10))
    edition = cf.edition(cf.issue())
    stored = images.store(_images.png())
    editions.update_content(edition, {"title": "Titre", "teaser": "",
                                      "body": json.dumps(_document(stored.name))},
                            factories.user())
    db.session.commit()
    assert edition.body["blocks"][0]["type"] == "heading"
    assert (edition.intro_html, edition.sections, edition.ctas, edition.image_url) == \
        ("", [], [], "")
    edition.status = "approved"
    ctx = content.frozen_context(edition, FIGURES)
    assert ctx["body_html"] == "" and "{{ member.first_name }}" in ctx[rendering.BODY_MJML]
    assert ctx["montant_part"] == "16\u00a0€" and ctx["nombre_cooperateurs"] == "1\u00a0750"
    assert f"http://127.0.0.1/medias/{stored.name}" in ctx[rendering.BODY_MJML]
    assert "Une part coûte 16\u00a0€, nous sommes 1\u00a0750" in ctx["archive_html"]
    assert "Votre résidence : <strong>votre résidence</strong>" in ctx["archive_html"]
    # Back to the older shape through the service: the document goes.
    editions.update_content(edition, {"title": "T", "intro_html": "<p>x</p>"}, factories.user())
    assert edition.body is None and edition.intro_html == "<p>x</p>"


def test_the_edition_reaches_each_member_with_their_own_values(issues, smtp_server, client):
    tick(paris(2026, 12, 1))
    stored = images.store(_images.jpeg(1600, 800))
    edition = db.session.scalars(db.select(Edition).where(Edition.year == 2027)
                                 .order_by(Edition.send_dt)).first()
    editions.update_content(edition, {"title": "La lettre de janvier", "teaser": "À lire",
                                      "body": json.dumps(_document(stored.name))},
                            factories.user())
    editions.approve(edition, factories.user())
    db.session.commit()
    hab = factories.entity(code="HAB")
    tilleuls = factories.residence(hab, name="Les Tilleuls")
    coop(date(2026, 5, 1), entity_=hab, reference="004512", residence=tilleuls,
         email="claire@exemple.test", first_name="Claire")
    coop(date(2026, 5, 1), email="jo@exemple.test", first_name="<Jo>")
    at = paris(2027, 1, 15, 9, 5)
    tick(at)
    with clock.frozen(at):
        assert run_job("sending.flush", at).ok
    [claire] = smtp_server.received_by("claire@exemple.test")
    html = claire.email.get_body(("html",)).get_content()
    text = claire.email.get_body(("plain",)).get_content()
    assert "Bienvenue Claire" in html and "Les Tilleuls" in html and "HAB 004512" in html
    assert "Une part coûte 16\u00a0€" in html and f'src="http://127.0.0.1/medias/{stored.name}"' \
        in html
    assert 'alt="Le jardin partagé"' in html and 'href="https://coop.example/rsvp"' in html
    assert "&#123;&#123; config }}" in html and "SECRET" not in html
    assert "Bienvenue Claire" in text and "Je réponds : https://coop.example/rsvp" in text
    assert "Venez à l'AG (https://coop.example/ag) {{ config }}" in text
    assert "Lire en ligne : http://127.0.0.1/lettres/2027/1" in text
    [jo] = smtp_server.received_by("jo@exemple.test")
    assert "Bienvenue &lt;Jo&gt;" in jo.email.get_body(("html",)).get_content()

    clock.set_now(at)
    page = client.get("/lettres/2027/1").get_data(as_text=True)  # the public archive
    assert "Bienvenue" in page and "Votre résidence : <strong>votre résidence</strong>" in page
    assert f'<img src="http://127.0.0.1/medias/{stored.name}" alt="Le jardin partagé"' in page
    assert "Claire" not in page and "Tilleuls" not in page


def test_the_edit_page_offers_the_menu_and_the_converted_document(client, referent):
    clock.set_now(paris(2027, 1, 2, 10))
    edition = cf.edition(cf.issue())
    login(client, referent)
    html = client.get(f"/lettres-d-information/editions/{edition.id}/modifier").get_data(
        as_text=True)
    assert "data-block-editor" in html and "/static/vendor/quill/quill.js" in html
    assert "Nombre de coopérateurs (au jour de l&#39;envoi)" in html or \
        "Nombre de coop\\u00e9rateurs" in html
    assert 'name="body"' in html and "data-placeholder" in html
    assert "<script>" not in html.split("<body>", 1)[1]  # no inline script
    admin = client.application.test_client()
    login(admin, factories.user(role="admin"))
    page = admin.get(f"/lettres-d-information/numeros/{edition.issue_id}/modifier")
    assert page.status_code == 200 and "data-block-editor" in page.get_data(as_text=True)
