"""Newsletter content: sanitising, placeholders, the context frozen when an edition goes out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from coopcrm.cycle import content
from coopcrm.extensions import db
from coopcrm.members.models import ShareMovement
from tests import factories
from tests.factories import cycle as cf

FIGURES = {"nombre_cooperateurs": "1750", "montant_part": "16 €"}


def test_clean_html_removes_scripts_and_handlers():
    dirty = ('<p onclick="steal()">Bonjour<script>alert(1)</script></p>'
             '<a href="javascript:x()">x</a>')
    clean = content.clean_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert "Bonjour" in clean


def test_placeholders_substituted_and_no_template_injection():
    body = content.compose_body_html({
        "intro_html": "<p>{{ nombre_cooperateurs }} membres, {{config}} et {{ 7*7 }}</p>",
        "sections": [{"heading": "Part à {{ montant_part }}", "body_html": "<p>{{ config }}</p>"}],
        "ctas": [{"label": "Voir", "url": "https://coop.example/x"},
                 {"label": "Piège", "url": "javascript:alert(1)"}],
    }, FIGURES)
    assert "1750 membres" in body
    assert "<h2>Part à 16 €</h2>" in body
    assert "{{config}}" in body and "{{ config }}" in body and "{{ 7*7 }}" in body
    assert "49" not in body and "SECRET" not in body
    assert 'href="https://coop.example/x"' in body and "javascript" not in body


def test_placeholder_values_are_escaped_in_html():
    body = content.compose_body_html({"intro_html": "<p>{{ montant_part }}</p>"},
                                     {"montant_part": "<b>16</b>"})
    assert "<b>" not in body and "&lt;b&gt;" in body


def test_live_figures_count_cooperateurs_and_last_share_amount(app):
    factories.member(status="cooperateur")
    factories.member(status="cooperateur")
    factories.member(status="cooperateur", anonymised_dt=datetime(2026, 1, 1, tzinfo=UTC))
    factories.member(status="prospect")
    assert content.live_figures() == {"nombre_cooperateurs": "2", "montant_part": "16\u00a0€"}
    m = factories.member(status="cooperateur")
    for day, amount in ((date(2026, 1, 1), "15.00"), (date(2026, 3, 1), "20.50")):
        db.session.add(ShareMovement(member=m, kind="subscription", quantity=1,
                                     unit_amount=Decimal(amount), occurred_on=day,
                                     created_dt=datetime(2026, 3, 1, tzinfo=UTC)))
    db.session.commit()
    assert content.live_figures()["montant_part"] == "20,50\u00a0€"


def test_frozen_context_uses_standing_content_until_approved(app):
    issue = cf.issue(number=1)
    edition = cf.edition(issue, 2027, content={"title": "Édition revue",
                                               "intro_html": "<p>Texte revu</p>"})
    ctx = content.frozen_context(edition, FIGURES)
    assert ctx["title"] == "C'est quoi la COOP ?"
    assert ctx["teaser"] == "Nous sommes 1750 coopérateurs."
    assert "<strong>1750</strong>" in ctx["body_html"]
    assert ctx["issue_number"] == 1 and ctx["year"] == 2027
    assert ctx["archive_url"] == "http://127.0.0.1/lettres/2027/1"
    assert ctx["archive_index_url"] == "http://127.0.0.1/lettres"

    edition.status = "approved"
    ctx = content.frozen_context(edition, FIGURES)
    assert ctx["title"] == "Édition revue" and "Texte revu" in ctx["body_html"]
    assert "Bonjour" not in ctx["body_html"]


def test_frozen_context_renders_with_the_email_template(app):
    from coopcrm.sending import rendering, services

    edition = cf.edition(cf.issue(number=2, month=6), 2027)
    frozen = services.clean_context(content.frozen_context(edition))
    context = {**services.system_context(), **frozen,
               "member": {"first_name": "Camille", "last_name": "", "civility": "",
                          "full_name": "Camille"},
               "unsubscribe_url": "http://127.0.0.1/u/x", "preferences_url": "http://127.0.0.1/p/x"}
    rendered = rendering.render(rendering.get("newsletter_edition"), context)
    assert "C&#39;est quoi la COOP ?" in rendered.html or "C'est quoi la COOP ?" in rendered.html
    assert "http://127.0.0.1/lettres/2027/2" in rendered.html
    assert "<h2>" in rendered.html
    assert "N°2" in rendered.subject
