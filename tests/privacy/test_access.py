"""Subject-access export and the anonymisation page: complete, scoped, behind their rights."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from sqlalchemy import select

from coopcrm.auth.models import SecurityEvent
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.privacy import access
from coopcrm.privacy.models import AuditEntry
from tests import factories
from tests.factories.privacy import SCAN, touched_by_every_domain
from tests.helpers import PASSWORD, login, post
from tests.letters._pdf import texts

# Sections the rich member has rows in (every domain that holds personal data).
EXPECTED = {"members", "member_entities", "share_movements", "moments", "consent_records",
            "outbox_messages", "email_bounces", "survey_invitations", "survey_responses",
            "event_invitations", "event_attendances", "audit_entries", "member_tokens"}


def _zip(body: bytes) -> tuple[dict, str]:
    """The JSON, and the readable PDF's text (its pages joined)."""
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert {n for n in zf.namelist() if not n.startswith(("preuves/", "tableaux/"))} == {
            "donnees.json", "donnees.pdf"}
        return json.loads(zf.read("donnees.json")), "\n".join(texts(zf.read("donnees.pdf")))


def test_every_table_naming_a_member_is_a_titled_section(app):
    """A new table with a member key cannot be left out of the export, nor left untitled."""
    for model, columns in access.sources():
        assert columns, model
        assert getattr(model, "access_title", None), (
            f"{model.__name__}: say what its rows are with access_title (privacy/access.py)")


def test_the_export_holds_every_domain_and_no_secret(app, admin):
    member, survey = touched_by_every_domain(admin)
    result = access.archive(member)
    document, readable = _zip(result.content)
    sections = document["sections"]
    filled = {key for key, section in sections.items() if section["rows"]}
    assert EXPECTED <= filled, EXPECTED - filled
    assert sections["members"]["rows"][0]["last_name"] == "Quaxworth"
    # A foreign key shows what it names: the survey's title, not its id.
    assert sections["survey_invitations"]["rows"][0]["survey_id"] == survey.title
    text = json.dumps(document)
    assert "token_hash" not in text and '"context"' not in text
    assert result.rows == sum(len(s["rows"]) for s in sections.values())
    assert "Registre des parts sociales" in readable and survey.title in readable
    # The paper form's scan, under the name its consent row gives.
    (proof,) = [r["proof_file"] for r in sections["consent_records"]["rows"] if r["proof_file"]]
    with zipfile.ZipFile(io.BytesIO(result.content)) as zf:
        assert zf.read(f"preuves/{proof}") == SCAN


def test_long_sections_print_their_latest_rows_and_ship_every_row_as_a_spreadsheet(app):
    """Twenty years of mail would fill sixty pages: the PDF keeps the latest rows, the
    section's CSV (opened by any office suite) and the JSON keep them all."""
    member = factories.member(last_name="Vétéran")
    total = access.PDF_ROWS + 7
    kind = next(t for t in factories.moment_types().values() if t.repeatable)
    for n in range(total):
        factories.moment(member, kind, notes=f"=Note n°{n:02d}")
    result = access.archive(member)
    document, readable = _zip(result.content)
    assert len(document["sections"]["moments"]["rows"]) == total
    assert f"Les {access.PDF_ROWS} plus récents sur {total}" in readable
    assert f"Note n°{total - 1:02d}" in readable and "Note n°00" not in readable
    with zipfile.ZipFile(io.BytesIO(result.content)) as zf:
        text = zf.read("tableaux/moments.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows) == total + 1  # the French header, then every moment
    notes = [cell for row in rows[1:] for cell in row if "Note n°" in cell]
    # A stored value entering a spreadsheet cannot be a formula.
    assert len(notes) == total and all(c.startswith("'=") for c in notes)
    assert "Catégories sans donnée vous concernant" in readable


def test_stored_values_are_escaped_in_the_readable_document(app):
    member = factories.member(last_name="<script>alert(1)</script>", first_name="</td>")
    _, readable = _zip(access.archive(member).content)
    # Text in the PDF, as typed: not markup that ran, nor entities shown.
    assert "<script>alert(1)</script>" in readable and "&lt;" not in readable


def test_export_over_http_is_audited_and_needs_the_right(app, client, admin):
    entity, other = factories.entity("MFLA"), factories.entity("GHT")
    member = factories.member(entity, last_name="Dubreuil")
    outside = factories.member(other, last_name="Lointain")
    referent = factories.user(role="referent", password=PASSWORD, entities=[entity])
    url = f"/membres/{member.id}/donnees-personnelles.zip"

    login(client, referent)
    assert client.get(url).status_code == 403
    assert "Exporter ses données" not in client.get(f"/membres/{member.id}").get_data(True)
    post(client, "/deconnexion", token_from="/membres")

    login(client, admin)
    page = f"/admin/utilisateurs/{referent.id}"
    response = post(client, page, {"email": referent.email, "name": referent.name,
                                   "role": "referent", "entities": [str(entity.id)],
                                   "rights": ["export_data"]})
    assert response.status_code == 302, response.get_data(True)
    post(client, "/deconnexion", token_from="/membres")

    login(client, referent)
    assert "Exporter ses données" in client.get(f"/membres/{member.id}").get_data(True)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    document, _ = _zip(response.get_data())
    assert document["sections"]["members"]["rows"][0]["last_name"] == "Dubreuil"
    assert client.get(f"/membres/{outside.id}/donnees-personnelles.zip").status_code == 404
    assert client.get(f"/membres/{member.id}/anonymiser").status_code == 403

    logged = db.session.scalars(select(SecurityEvent).where(
        SecurityEvent.kind == "export", SecurityEvent.user_id == referent.id)).all()
    assert len(logged) == 1 and logged[0].detail.startswith("donnees-")
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.member_id == member.id, AuditEntry.action == "access_export")).one()
    assert entry.user_id == referent.id


def test_anonymise_page_names_what_goes_and_asks_for_a_reason(app, as_admin, admin):
    member = factories.member(last_name="Quaxworth", first_name="Zéphyrine")
    factories.share(member)
    url = f"/membres/{member.id}/anonymiser"
    page = as_admin.get(url).get_data(True)
    assert "Registre des parts sociales" in page and "R228-8" in page
    assert "définitive" in page

    response = post(as_admin, url, {"reason": "", "confirm": ""})
    assert response.status_code == 422
    body = response.get_data(True)
    assert "Indiquez le motif" in body and "Cochez la case" in body
    db.session.expire_all()
    assert db.session.get(Member, member.id).anonymised_dt is None

    response = post(as_admin, url, {"reason": "Demande reçue le 2 décembre", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(Member, member.id)
    assert row.anonymised_dt is not None and row.last_name.startswith("Anonyme ")
    # The member is gone from the pages: their file answers 404 like an unknown id.
    assert as_admin.get(f"/membres/{member.id}").status_code == 404
    assert as_admin.get(url).status_code == 404
