"""Attachments: 5 MB in all, recognised by content, the name cleaned for the MIME header,
stored once and referenced by the send (not copied into each outbox row), received whole
through the SMTP sink."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.campaigns import attachments, services
from coopcrm.campaigns.models import CampaignAttachment
from coopcrm.extensions import db
from coopcrm.sending import attachments as store
from coopcrm.sending import mime
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage, SharedContext
from tests import factories
from tests.helpers import post

LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)
MB = 1024 * 1024


def _pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + os.urandom(size - 9)


def _upload(client, campaign, data: bytes, name: str):
    url = f"/campagnes/{campaign.id}/pieces-jointes"
    return post(client, url, {"file": (io.BytesIO(data), name)},
                content_type="multipart/form-data")


@pytest.fixture
def campaign(admin):
    for i in range(3):
        factories.member(newsletter_consent=True, email=f"pj{i}@exemple.test")
    return factories.campaign(admin, factories.segment(user=admin))


def test_the_limit_is_5_mb_in_all_with_a_french_error(as_admin, campaign):
    page = as_admin.get(f"/campagnes/{campaign.id}/pieces-jointes").get_data(as_text=True)
    assert "Préférez un lien" in page and "5 Mo" in page
    assert _upload(as_admin, campaign, _pdf(3 * MB), "a.pdf").status_code == 302
    refused = _upload(as_admin, campaign, _pdf(3 * MB), "b.pdf")
    assert refused.status_code == 422
    assert "dépassent 5 Mo au total : préférez un lien" in refused.get_data(as_text=True)
    alone = _upload(as_admin, campaign, _pdf(6 * MB), "c.pdf")
    assert alone.status_code == 422 and "dépassent 5 Mo" in alone.get_data(as_text=True)
    assert [a.filename for a in attachments.listed(campaign)] == ["a.pdf"]


def test_the_type_is_read_from_the_content(as_admin, campaign):
    exe = _upload(as_admin, campaign, b"MZ\x90\x00" + os.urandom(100), "rapport.pdf")
    assert exe.status_code == 422 and "pas accepté : PDF" in exe.get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(100)
    assert _upload(as_admin, campaign, png, "plan.pdf").status_code == 302
    macros = io.BytesIO()
    with zipfile.ZipFile(macros, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/vbaProject.bin", b"\x00")
    refused = _upload(as_admin, campaign, macros.getvalue(), "ordre.docm")
    assert refused.status_code == 422
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    assert _upload(as_admin, campaign, odt.getvalue(), "../../etc/passwd").status_code == 302
    rows = attachments.listed(campaign)
    assert [(a.filename, a.content_type) for a in rows] == [
        ("plan.png", "image/png"), ("passwd.odt", "application/vnd.oasis.opendocument.text")]
    # Taken off the draft: the row and the stored file go.
    removed = post(as_admin, f"/campagnes/{campaign.id}/pieces-jointes",
                   {"retirer": str(rows[0].id)})
    assert removed.status_code == 302
    assert [a.filename for a in attachments.listed(campaign)] == ["passwd.odt"]
    assert not (attachments.store.folder() / rows[0].stored_name).exists()


def test_the_file_is_referenced_once_and_arrives_in_every_raw_message(
        as_admin, campaign, smtp_server):
    data = _pdf(2 * MB)
    name = "Compte rendu AG été;\u202e fdp.exe.pdf"  # a right-to-left override, too
    assert _upload(as_admin, campaign, data, name).status_code == 302
    services.launch(campaign, LAUNCH)
    db.session.commit()
    at = LAUNCH + timedelta(minutes=1)
    services.run_due(at)
    # The send's shared context holds a reference (a few bytes), no outbox row the file.
    [shared] = db.session.scalars(select(SharedContext)).all()
    assert len(str(shared.data["attachments"])) < 300
    assert all(len(str(m.context)) < 2000 for m in db.session.scalars(select(OutboxMessage)))
    flush(now=at)
    assert len(smtp_server.messages) == 3
    for received in smtp_server.messages:
        raw = received.data
        assert b"\r\n\r\n" in raw and b'name="Compte rendu AG ete fdp.exe.pdf"' in raw
        [part] = list(received.email.iter_attachments())
        assert part.get_content_type() == "application/pdf"
        assert part.get_content() == data
        # The name is the cleaned one, whatever was uploaded: no semicolon, no override.
        assert part.get_filename() == "Compte rendu AG été fdp.exe.pdf"
    stored = db.session.scalars(select(CampaignAttachment)).one()
    assert stored.size == len(data)


def test_the_mime_filename_never_carries_a_header_or_a_parameter():
    fallback, extended = mime.filename_params('a"\r\nBcc: x@evil.example; b\\c.pdf')
    assert "\r" not in fallback + extended and "\n" not in fallback + extended
    assert '"' not in fallback and ";" not in fallback and "\\" not in fallback
    assert ";" not in extended
    assert mime.filename_params("été.pdf") == ("ete.pdf", "utf-8''%C3%A9t%C3%A9.pdf")
    assert mime.filename_params("") == ("piece-jointe", "")
    assert "\u202e" not in "".join(mime.filename_params("a\u202efdp.exe"))
    assert store.clean_filename('C:\\x\\"Bilan"; 2026\u202e.txt', "pdf") == "Bilan 2026.pdf"
