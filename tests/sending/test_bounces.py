"""Delivery status notifications (RFC 3464) and the `bounces ingest` command."""

from __future__ import annotations

import mailbox

from sqlalchemy import func, select

from coopcrm.extensions import db
from coopcrm.privacy.models import AuditEntry
from coopcrm.sending import bounces, services
from coopcrm.sending.cli import bounces as bounces_cli
from coopcrm.sending.cli import outbox as outbox_cli
from coopcrm.sending.flush import flush
from coopcrm.sending.models import Bounce, OutboxMessage
from tests import factories
from tests.sending.helpers import dsn

SURVEY = {"survey_title": "Sondage", "intro": "", "survey_url": "https://coop.example/s/a"}


def _sent_message(smtp_server, member):
    services.enqueue("survey_invitation", member, SURVEY, f"s:{member.id}")
    db.session.commit()
    flush()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.member_id == member.id))


def test_parse_dsn():
    (report,) = bounces.parse_dsn(dsn("Jo@Example.org", "5.1.1", "<12.ab@coop.example>"))
    assert (report.recipient, report.action, report.status) == ("jo@example.org", "failed",
                                                                "5.1.1")
    assert report.original_message_id == "<12.ab@coop.example>"
    assert bounces.parse_dsn(b"Subject: hello\r\n\r\nnot a report") == []


def test_hard_bounce_from_a_dsn_file(cli, tmp_path, smtp_server):
    m = factories.member()
    msg = _sent_message(smtp_server, m)
    assert msg.status == "sent"
    (tmp_path / "a.eml").write_bytes(dsn(m.email.upper(), "5.1.1", msg.message_id))
    (tmp_path / "b.eml").write_bytes(b"Subject: pas un avis\r\n\r\nbonjour")
    result = cli.invoke(bounces_cli, ["ingest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 rejet(s) définitif(s)" in result.output
    assert "1 message(s) qui ne sont" in result.output
    db.session.expire_all()
    assert db.session.get(OutboxMessage, msg.id).status == "bounced"
    assert m.email_status == "bounced"
    assert db.session.scalar(select(AuditEntry.actor).where(
        AuditEntry.member_id == m.id, AuditEntry.action == "update")) == "envoi"
    # The same file again changes nothing.
    again = bounces.ingest(tmp_path)
    assert again.already == 1 and again.hard == 0
    assert db.session.scalar(select(func.count()).select_from(Bounce)) == 1


def test_soft_bounces_suppress_at_the_limit_from_a_maildir(app, tmp_path):
    app.config["BOUNCE_SOFT_LIMIT"] = 3
    m = factories.member()
    box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
    for i in range(2):
        box.add(dsn(m.email, "4.2.2", dsn_id=f"<soft{i}@mx>"))
    box.add(dsn(m.email, "4.4.7", dsn_id="<delayed@mx>", action="delayed"))
    result = bounces.ingest(tmp_path / "bounces")
    assert (result.soft, result.ignored, result.members_bounced) == (2, 1, 0)
    db.session.refresh(m)
    assert m.email_status == "valid"
    box.add(dsn(m.email, "4.2.2", dsn_id="<soft3@mx>"))
    result = bounces.ingest(tmp_path / "bounces")
    assert (result.soft, result.already, result.members_bounced) == (1, 2, 1)
    db.session.refresh(m)
    assert m.email_status == "bounced"


def test_outbox_cli(cli, smtp_server):
    m = factories.member()
    services.enqueue("survey_invitation", m, SURVEY, "k")
    db.session.commit()
    assert "En attente : 1" in cli.invoke(outbox_cli, ["status"]).output
    result = cli.invoke(outbox_cli, ["flush"])
    assert result.exit_code == 0 and "1 envoyé(s)" in result.output
    assert len(smtp_server.messages) == 1
