"""Plain-text bounces through `inbox ingest`: the failed recipient found as in a DSN,
hard or soft from the code, and automatic answers never taken for a bounce."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from coopcrm.extensions import db
from coopcrm.inbox import services
from coopcrm.inbox.models import InboundMessage
from coopcrm.members.models import Member
from coopcrm.privacy.models import ConsentRecord
from coopcrm.sending import bounces, plainbounces
from coopcrm.sending.models import Bounce, OutboxMessage
from tests import factories
from tests.inbox import plain_samples as samples
from tests.inbox.helpers import sent_bulk_email

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock(T0)

RCPT = "Jeanne.Martin@Exemple.test"

# sample, kind of bounce recorded (None: not a bounce), its status, matched by Message-ID
FAILURES = [
    ("POSTFIX", "hard", "5.1.1", True),
    ("EXIM", "hard", "5.1.1", True),
    ("EXIM_MAILBOX_FULL", "soft", "4.2.2", True),
    ("QMAIL", "hard", "5.1.1", True),
    ("SENDMAIL", "hard", "5.1.1", False),
    ("MICROSOFT", "hard", "5.1.10", False),
    ("OUTLOOK_FR", "hard", "5.1.1", True),
    ("GMAIL", "hard", "5.1.1", False),
]
NOT_FAILURES = ["AUTO_REPLY_FR", "OUT_OF_OFFICE", "AUTO_REPLIED_DAEMON", "POSTFIX_DELAYED",
                "MEMBER_REPLY"]


def _raw(name: str, rcpt: str = RCPT, mid: str = "<none@nowhere.test>") -> bytes:
    return getattr(samples, name).format(rcpt=rcpt, mid=mid).replace("\n", "\r\n") \
        .encode("utf-8")


@pytest.mark.parametrize(("name", "kind", "status", "by_id"), FAILURES)
def test_a_plain_text_bounce_is_applied_as_a_dsn_would(smtp_server, name, kind, status, by_id):
    member = factories.member(newsletter_consent=True, email=RCPT)
    message, _data = sent_bulk_email(smtp_server, member)
    (line,) = plainbounces.parse(_raw(name, mid=message.message_id))
    assert (line.recipient, line.action, line.status) == (RCPT.lower(), "failed", status)
    assert line.original_message_id == (message.message_id if by_id else None)

    report = services.record(_raw(name, mid=message.message_id), "boite")
    assert (report.bounces, report.other, report.unsubscribed) == (1, 0, 0)
    db.session.expire_all()
    (bounce,) = db.session.scalars(select(Bounce)).all()
    assert (bounce.kind, bounce.status_code, bounce.member_id, bounce.source) == \
        (kind, status, member.id, "dsn")
    assert (bounce.message_id == message.id) is by_id
    assert db.session.get(Member, member.id).email_status == \
        ("bounced" if kind == "hard" else "valid")
    if kind == "hard" and by_id:
        assert db.session.get(OutboxMessage, message.id).status == "bounced"
    (row,) = db.session.scalars(select(InboundMessage)).all()
    assert (row.kind, row.member_id) == ("bounce", member.id)
    # Read again (the next run of the job): recognised, nothing more.
    assert services.record(_raw(name, mid=message.message_id), "boite").already == 1
    assert db.session.scalar(select(func.count()).select_from(Bounce)) == 1
    # The quoted copy carried our List-Unsubscribe at most: never the member's request.
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0


@pytest.mark.parametrize("name", NOT_FAILURES)
def test_automatic_answers_and_delay_warnings_are_never_bounces(smtp_server, name):
    member = factories.member(newsletter_consent=True, email=RCPT)
    message, _data = sent_bulk_email(smtp_server, member)
    raw = _raw(name, mid=message.message_id)
    assert plainbounces.parse(raw) == [] and bounces.parse_report(raw) == []
    report = services.record(raw, "boite")
    assert (report.bounces, report.other) == (0, 1)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Bounce)) == 0
    assert db.session.get(Member, member.id).email_status == "valid"
    assert db.session.get(OutboxMessage, message.id).status == "sent"
    (row,) = db.session.scalars(select(InboundMessage)).all()
    assert row.kind == "other"  # on « Messages reçus », for a person to read


@pytest.mark.parametrize("name", ["POSTFIX", "MICROSOFT"])
def test_a_bounce_about_nobody_we_know_stays_on_the_received_messages(name):
    member = factories.member(newsletter_consent=True, email="autre@exemple.test")
    raw = _raw(name, rcpt="inconnu@ailleurs.test")
    assert [r.recipient for r in plainbounces.parse(raw)] == ["inconnu@ailleurs.test"]
    assert bounces.parse_report(raw) == []
    report = services.record(raw, "boite")
    assert (report.bounces, report.other) == (0, 1)
    db.session.expire_all()
    (row,) = db.session.scalars(select(InboundMessage)).all()
    assert (row.kind, row.member_id) == ("other", None)
    assert "inconnu@ailleurs.test" in row.detail and "rien n'a été appliqué" in row.detail
    assert db.session.scalar(select(func.count()).select_from(Bounce)) == 0
    assert db.session.get(Member, member.id).email_status == "valid"


def test_a_recipient_is_never_read_from_the_quoted_copy():
    quoted_only = samples.EXIM.format(rcpt="x", mid="<m@coop.example>").replace(
        "  x\n", "\n") + "<jeanne.martin@exemple.test>: 550 5.1.1 in the copy\n"
    factories.member(email=RCPT)
    assert plainbounces.parse(quoted_only.encode()) == []


@pytest.mark.parametrize(("text", "status"), [
    ("said: 550 5.1.1 <a@b.test>: User unknown", "5.1.1"),
    ("host [192.0.2.4] said: 452 4.2.2 Mailbox full", "4.2.2"),
    ("host 5.1.2.3 said: 554 delivery error", "5.0.0"),  # an address is not a code
    ("Remote host said: 421 Try again later", "4.0.0"),
    ("The email account that you tried to reach does not exist", "5.0.0"),
    ("connection lost", "4.0.0"),
])
def test_status_from_the_diagnostic(text, status):
    assert plainbounces.status_of(text) == status


def test_the_bounces_command_reads_them_too(smtp_server, tmp_path):
    member = factories.member(newsletter_consent=True, email=RCPT)
    message, _data = sent_bulk_email(smtp_server, member)
    (tmp_path / "a.eml").write_bytes(_raw("EXIM", mid=message.message_id))
    (tmp_path / "b.eml").write_bytes(_raw("AUTO_REPLY_FR"))
    result = bounces.ingest(tmp_path)
    assert (result.files, result.hard, result.not_dsn, result.members_bounced) == (2, 1, 1, 1)
