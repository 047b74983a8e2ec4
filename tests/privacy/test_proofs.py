"""Scans of paper consent forms: taken by their bytes, handed out as attachments in scope,
in the subject-access ZIP, gone with the person."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from coopcrm.auth.models import SecurityEvent
from coopcrm.extensions import db
from coopcrm.privacy import access, erasure, proofs
from coopcrm.privacy.models import ConsentRecord
from tests import factories
from tests.helpers import PASSWORD, csrf_token, login

PDF = b"%PDF-1.4\n% formulaire signe\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
# What a browser would run if it were served inline: it must only ever be refused.
HTML = b"<html><script>alert(document.cookie)</script></html>"


def _record(client, member, scan: bytes | None, name="scan.pdf", granted="oui",
            kind="econvocation"):
    """Record a consent from the member page's form, with a file as the browser sends it."""
    data = {"csrf_token": csrf_token(client, f"/membres/{member.id}"),
            f"{kind}-granted": granted, f"{kind}-source": "bulletin papier signé",
            f"{kind}-wording": "J'accepte"}
    if scan is not None:
        data[f"{kind}-scan"] = (io.BytesIO(scan), name)
    return client.post(f"/membres/{member.id}/consentements/{kind}", data=data,
                       content_type="multipart/form-data")


def _proof(member) -> ConsentRecord:
    return db.session.scalars(select(ConsentRecord).where(
        ConsentRecord.member_id == member.id, ConsentRecord.proof_file.is_not(None))).one()


def test_a_scan_is_stored_and_downloaded_as_an_attachment_of_its_kind(app, as_admin):
    member = factories.member()
    assert _record(as_admin, member, PDF, name="page.html").status_code == 302
    record = _proof(member)
    assert record.proof_bytes == len(PDF) and record.proof_file.endswith(".pdf")
    assert proofs.path(record.proof_file).read_bytes() == PDF
    page = as_admin.get(f"/membres/{member.id}").get_data(True)
    url = f"/membres/{member.id}/consentements/{record.id}/scan"
    assert url in page
    response = as_admin.get(url)
    assert response.status_code == 200 and response.get_data() == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=consentement-{record.id}.pdf")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Handed out like every file: the security log says who took it.
    assert db.session.scalars(select(SecurityEvent).where(
        SecurityEvent.kind == "export")).first() is not None


def test_jpeg_and_png_are_taken_by_their_bytes(app, as_admin):
    for scan, ext, mimetype in ((JPEG, "jpg", "image/jpeg"), (PNG, "png", "image/png")):
        member = factories.member()
        assert _record(as_admin, member, scan, name="scan.pdf").status_code == 302
        record = _proof(member)
        assert record.proof_file.endswith(f".{ext}")
        response = as_admin.get(f"/membres/{member.id}/consentements/{record.id}/scan")
        assert response.mimetype == mimetype and response.get_data() == scan


def test_other_files_empty_ones_and_heavy_ones_are_refused_in_french(app, as_admin):
    member = factories.member()
    app.config["CONSENT_PROOF_MAX_MB"] = 1
    before = set(proofs.folder().iterdir())
    for scan, message in (
            (HTML, "Le scan doit être un PDF, une image JPEG ou PNG."),
            (b"GIF89a" + b"\x00" * 10, "Le scan doit être un PDF, une image JPEG ou PNG."),
            (PDF[:0], None),  # no file chosen: the consent is recorded without a scan
            (b"%PDF-" + b"0" * (1024 * 1024), "Le scan est trop lourd (1 Mo au plus).")):
        response = _record(as_admin, member, scan, name="scan.pdf")
        if message is None:
            assert response.status_code == 302
            continue
        assert response.status_code == 422, scan[:8]
        assert message in response.get_data(True)
    assert db.session.scalars(select(ConsentRecord.proof_file).where(
        ConsentRecord.proof_file.is_not(None))).all() == []
    assert set(proofs.folder().iterdir()) == before


def test_a_scan_proving_no_change_is_refused_and_its_file_not_kept(app, as_admin):
    member = factories.member()
    before = set(proofs.folder().iterdir())
    assert _record(as_admin, member, None, granted="oui").status_code == 302
    refused = _record(as_admin, member, PDF, granted="oui")
    assert refused.status_code == 422
    assert "le scan ne prouverait aucun changement" in refused.get_data(True)
    assert set(proofs.folder().iterdir()) == before


def test_a_failed_transaction_leaves_no_file(app, admin):
    member = factories.member()
    before = set(proofs.folder().iterdir())
    record = factories.consent(member, kind="econvocation", source="papier", commit=False,
                               user=admin, proof=PDF)
    assert proofs.path(record.proof_file) is not None
    db.session.rollback()
    assert set(proofs.folder().iterdir()) == before


def test_out_of_scope_or_foreign_records_answer_404_with_no_name(app, client):
    mine, other = factories.entity("GHT"), factories.entity("MFLA")
    member = factories.member(mine)
    outside = factories.member(other, last_name="Zorglub")
    admin = factories.user(role="admin", password=PASSWORD)
    referent = factories.user(role="referent", password=PASSWORD, entities=[mine])
    db.session.commit()
    theirs = factories.consent(outside, kind="econvocation", source="papier", user=admin,
                               proof=PDF)
    plain = factories.consent(member, kind="newsletter", source="papier", user=admin)
    login(client, referent)
    for url in (f"/membres/{outside.id}/consentements/{theirs.id}/scan",
                f"/membres/{member.id}/consentements/{theirs.id}/scan",  # another's record
                f"/membres/{member.id}/consentements/{plain.id}/scan",  # no scan
                f"/membres/{member.id}/consentements/999999/scan"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Zorglub" not in response.get_data(True)


def test_the_subject_access_zip_holds_the_scan(app, admin):
    member = factories.member()
    record = factories.consent(member, kind="econvocation", source="papier", user=admin,
                               proof=PNG)
    with zipfile.ZipFile(io.BytesIO(access.archive(member).content)) as zf:
        assert zf.read(f"preuves/{record.proof_file}") == PNG
        assert record.proof_file in zf.read("donnees.json").decode()


def test_anonymisation_removes_the_scan_once_committed(app, admin):
    member = factories.member()
    record = factories.consent(member, kind="econvocation", source="papier", user=admin,
                               proof=PDF)
    name = record.proof_file
    erasure.anonymise([member.id], reason="demande", user=admin)
    assert proofs.path(name) is not None  # not yet: the erasure could still roll back
    db.session.rollback()
    assert proofs.path(name) is not None and _proof(member).proof_file == name
    erasure.anonymise([member.id], reason="demande", user=admin)
    db.session.commit()
    assert proofs.path(name) is None
    kept = db.session.get(ConsentRecord, record.id)
    assert kept.proof_file is None and kept.granted  # the record stays, for the counts
