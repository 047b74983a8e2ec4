"""The privacy notice: at the end of every bulk email and of the member-link pages."""

from __future__ import annotations

from coopcrm.sending import rendering, services

DEFAULT_PART = "Pour y accéder, les rectifier"


def _rendered(key: str):
    context = {**services.system_context(), "unsubscribe_url": "https://x.test/u/t",
               **services.clean_context(rendering.samples()[key]),
               "member": {"first_name": "Marie", "full_name": "Mme Marie Curie"}}
    return rendering.render(rendering.get(key), context)


def test_bulk_email_parts_end_with_the_notice(app):
    for key in ("newsletter_edition", "campaign", "convocation"):
        out = _rendered(key)
        assert DEFAULT_PART in out.text, key
        assert DEFAULT_PART in out.html.replace("&#39;", "'"), key
        assert app.config["COOP_NAME"] in out.text


def test_the_setting_replaces_it_and_is_escaped(app):
    app.config["PRIVACY_NOTICE"] = "Délégué : <b>dpo@coop.example</b>"
    out = _rendered("campaign")
    assert "Délégué : <b>dpo@coop.example</b>" in out.text
    assert "&lt;b&gt;dpo@coop.example&lt;/b&gt;" in out.html and DEFAULT_PART not in out.text


def test_member_link_pages_show_it(app, client):
    page = client.get("/u/lien-inconnu").get_data(True)
    assert DEFAULT_PART in page.replace("&#39;", "'")


def test_the_processing_register_reads_the_settings_in_force(app, as_admin):
    app.config["RETENTION_PROSPECT_YEARS"] = 2
    page = as_admin.get("/rgpd/registre-des-traitements").get_data(True)
    assert "Prospect : 2 ans après le dernier contact" in page
    assert "R225-95" in page and app.config["COOP_NAME"] in page
