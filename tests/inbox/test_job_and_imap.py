"""The `inbox.ingest` job (time as an input) and the IMAP source, against a loopback server."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.inbox import services, sources
from coopcrm.inbox.models import InboundMessage
from coopcrm.members.models import Member
from coopcrm.scheduler.registry import load_jobs
from tests import factories
from tests.inbox.helpers import list_unsubscribe, reply, sent_bulk_email
from tests.inbox.imap_server import FakeImap, Mailbox
from tests.sending.helpers import dsn

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock(T0)


def _job():
    return load_jobs().get("inbox.ingest")


def test_the_job_does_nothing_without_a_mailbox(app):
    app.config["INBOX_URL"] = ""
    job = _job()
    assert job.every == timedelta(minutes=5)
    assert "aucune boîte" in job.func(T0)
    assert db.session.scalar(select(InboundMessage.id)) is None


def test_the_job_reads_the_configured_mailbox_as_of_its_now(app, smtp_server, tmp_path):
    m = factories.member(newsletter_consent=True)
    mailto = list_unsubscribe(sent_bulk_email(smtp_server, m)[1])[1]
    box = mailbox.Maildir(str(tmp_path / "box"), create=True)
    box.add(reply(mailto, m.email))
    app.config["INBOX_URL"] = str(tmp_path / "box")
    later = T0 + timedelta(hours=3)
    assert "1 désinscription(s)" in _job().func(later)
    db.session.expire_all()
    row = db.session.scalar(select(InboundMessage))
    assert row.recorded_dt == later
    assert db.session.get(Member, m.id).email_status == "unsubscribed"
    assert "1 déjà traité(s)" in _job().func(later + timedelta(minutes=5))


def test_imap_reads_unseen_messages_applies_them_and_flags_them_seen(app, smtp_server):
    m = factories.member(newsletter_consent=True)
    message, data = sent_bulk_email(smtp_server, m)
    mailto = list_unsubscribe(data)[1]
    other = factories.member(newsletter_consent=True)
    box = Mailbox(user="desinscription@coop.example", password='p@ss "w0rd"')
    box.add(b"From: x@y.example\r\nSubject: Deja lu\r\nMessage-ID: <old@x>\r\n\r\nvu\r\n",
            seen=True)
    box.add(reply(mailto, m.email))
    box.add(dsn(other.email, "5.1.1", dsn_id="<d9@mx>"))
    box.add(b"From: curieux@ailleurs.example\r\nSubject: Question\r\n\r\nBonjour\r\n")
    app.config["INBOX_MAX_BYTES"] = 1024
    box.add(b"From: gros@ailleurs.example\r\nSubject: Gros\r\n\r\n" + b"B" * 50_000)
    with FakeImap(box) as server:
        url = (f"imap://{quote(box.user)}:{quote(box.password)}@127.0.0.1:{server.port}"
               "/INBOX")
        report = services.ingest(url)
        assert (report.read, report.unsubscribed, report.bounces, report.other) == (4, 1, 1, 2)
        assert all("\\Seen" in flags for flags in box.flags)
        assert "EXPUNGE" not in box.commands and len(box.messages) == 5
        # The next run sees no unseen message; one marked unseen again is in the ledger.
        assert services.ingest(url).read == 0
        box.flags[1].clear()
        assert services.ingest(url).already == 1
    db.session.expire_all()
    assert db.session.get(Member, m.id).email_status == "unsubscribed"
    assert db.session.get(Member, other.id).email_status == "bounced"
    rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert all(box.password not in r.source and "127.0.0.1" in r.source for r in rows)
    big = rows[-1]
    assert big.subject == "Gros" and big.size > 50_000 and "volumineux" in big.detail


def test_imap_failures_are_one_french_line(app):
    box = Mailbox(user="u", password="right")
    with FakeImap(box) as server:
        with pytest.raises(sources.SourceError, match="connexion IMAP refusée pour u"):
            services.ingest(f"imap://u:wrong@127.0.0.1:{server.port}/INBOX")
        with pytest.raises(sources.SourceError, match="dossier Autre"):
            services.ingest(f"imap://u:right@127.0.0.1:{server.port}/Autre")
    with pytest.raises(sources.SourceError, match="injoignable") as caught:
        services.ingest(f"imap://u:secret@127.0.0.1:{server.port}/INBOX")
    assert "secret" not in str(caught.value)
