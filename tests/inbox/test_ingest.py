"""`inbox ingest`: the app's own bulk email, the replies a mail client sends to its
List-Unsubscribe mailto, delivery reports, and whatever else reaches the mailbox."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from coopcrm.extensions import db
from coopcrm.inbox import services
from coopcrm.inbox.cli import inbox as inbox_cli
from coopcrm.inbox.models import InboundMessage
from coopcrm.links import services as links
from coopcrm.members.models import Member
from coopcrm.privacy.models import AuditEntry, ConsentRecord
from coopcrm.sending.models import Bounce, OutboxMessage
from tests import factories
from tests.inbox.helpers import list_unsubscribe, reply, sent_bulk_email, token_of
from tests.sending.helpers import dsn

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock(T0)


def _member(**kw):
    kw.setdefault("newsletter_consent", True)
    return factories.member(**kw)


def _maildir(tmp_path, *messages: bytes) -> str:
    box = mailbox.Maildir(str(tmp_path / "box"), create=True)
    for raw in messages:
        box.add(raw)
    return str(tmp_path / "box")


def _rows() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def _trail(member_id: int) -> tuple:
    """What an unsubscribe leaves: the member's state, its consent record, its audit entries."""
    db.session.expire_all()
    m = db.session.get(Member, member_id)
    records = db.session.scalars(select(ConsentRecord).where(
        ConsentRecord.member_id == member_id)).all()
    audit = db.session.scalars(select(AuditEntry).where(
        AuditEntry.member_id == member_id, AuditEntry.action == "update")).all()
    return ((m.newsletter_consent, m.email_status, m.newsletter_consent_dt,
             m.newsletter_consent_source),
            [(r.kind, r.granted, r.source, r.wording, r.user_id, r.outbox_message_id)
             for r in records],
            [(a.actor, a.changes) for a in audit])


def test_a_mailto_reply_unsubscribes_exactly_like_the_one_click_post(client, smtp_server,
                                                                      tmp_path):
    by_mail, by_post = _member(), _member()
    _, data = sent_bulk_email(smtp_server, by_mail)
    _, other_data = sent_bulk_email(smtp_server, by_post)
    https, mailto = list_unsubscribe(data)
    assert urlsplit(mailto).path == "vie-cooperative@coop.example"
    box = _maildir(tmp_path, reply(mailto, by_mail.email))

    report = services.ingest(box)
    assert (report.read, report.unsubscribed, report.other, report.errors) == (1, 1, 0, [])
    post_url = list_unsubscribe(other_data)[0].removeprefix("http://127.0.0.1")
    assert client.post(post_url, data="List-Unsubscribe=One-Click").status_code == 200

    mail_trail, post_trail = _trail(by_mail.id), _trail(by_post.id)
    assert mail_trail == post_trail  # the same state, record and audit, field by field
    assert mail_trail[0][:2] == (False, "unsubscribed")
    assert mail_trail[2][0][0] == "membre (lien)"
    (row,) = _rows()
    assert (row.kind, row.member_id, row.from_address) == ("unsubscribe", by_mail.id,
                                                          by_mail.email)
    assert row.recorded_dt == T0 and "appliquée" in row.detail
    # Staff reading the list get no working token.
    assert token_of(mailto) not in row.subject and services.TOKEN_SHOWN in row.subject

    # Read again: nothing changes (no second consent record, audit entry or row).
    again = services.ingest(box)
    assert (again.read, again.already, again.unsubscribed) == (1, 1, 0)
    assert _trail(by_mail.id) == mail_trail and len(_rows()) == 1


def test_the_token_in_the_body_is_enough(smtp_server, tmp_path):
    m = _member()
    _, mailto = list_unsubscribe(sent_bulk_email(smtp_server, m)[1])
    raw = reply(mailto, m.email, subject="Désinscription",
                body=f"Merci de me retirer.\n\nunsubscribe {token_of(mailto)}\n")
    assert services.ingest(_maildir(tmp_path, raw)).unsubscribed == 1
    db.session.expire_all()
    assert db.session.get(Member, m.id).email_status == "unsubscribed"
    assert token_of(mailto) not in _rows()[0].excerpt


def test_an_unsubscribed_member_writing_again_changes_nothing(smtp_server, tmp_path):
    m = _member()
    _, mailto = list_unsubscribe(sent_bulk_email(smtp_server, m)[1])
    services.ingest(_maildir(tmp_path, reply(mailto, m.email)))
    trail = _trail(m.id)
    # A second reply (another Message-ID): applied, and nothing more to change.
    services.ingest(_maildir(tmp_path, reply(mailto, m.email)))
    assert _trail(m.id) == trail
    assert [r.detail for r in _rows()][1] == "Déjà désinscrit : rien n'a changé."


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # bad signature
    lambda t: "MTIz.ZZZZ.bogus",                                  # not ours at all
])
def test_a_forged_token_is_listed_and_not_applied(smtp_server, tmp_path, mangle):
    m = _member()
    _, mailto = list_unsubscribe(sent_bulk_email(smtp_server, m)[1])
    raw = reply(mailto, "attaquant@ailleurs.example",
                subject="unsubscribe " + mangle(token_of(mailto)))
    report = services.ingest(_maildir(tmp_path, raw))
    assert (report.unsubscribed, report.other) == (0, 1)
    db.session.expire_all()
    assert db.session.get(Member, m.id).email_status == "valid"
    (row,) = _rows()
    assert (row.kind, row.member_id) == ("other", None)
    assert "invalide" in row.detail


def test_an_expired_token_is_listed_and_not_applied(smtp_server, tmp_path, app):
    m = _member()
    old = links.sign(m.id, links.UNSUBSCRIBE, now=T0 - timedelta(days=800))
    raw = reply(f"mailto:vie-cooperative@coop.example?subject=unsubscribe%20{old}", m.email)
    services.ingest(_maildir(tmp_path, raw))
    (row,) = _rows()
    assert (row.kind, row.member_id) == ("other", m.id)  # the sender is the member
    assert "expiré" in row.detail
    db.session.expire_all()
    assert db.session.get(Member, m.id).newsletter_consent is True


def test_a_delivery_report_goes_to_the_bounce_handling(smtp_server, tmp_path):
    m = _member()
    message, data = sent_bulk_email(smtp_server, m)
    box = _maildir(tmp_path, dsn(m.email, "5.1.1", message.message_id))
    report = services.ingest(box)
    assert (report.bounces, report.dsn.hard, report.dsn.members_bounced) == (1, 1, 1)
    db.session.expire_all()
    assert db.session.get(Member, m.id).email_status == "bounced"
    assert db.session.get(OutboxMessage, message.id).status == "bounced"
    (row,) = _rows()
    assert (row.kind, row.member_id) == ("bounce", m.id)
    assert m.email in row.detail and "1 adresse(s) passée(s) en erreur" in row.detail
    # The report quotes our List-Unsubscribe: never read as the member's request.
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0
    again = services.ingest(box)
    assert again.already == 1 and again.bounces == 0
    assert db.session.scalar(select(func.count()).select_from(Bounce)) == 1


def test_anything_else_is_kept_as_text_only(tmp_path):
    m = _member(email="jeanne@exemple.test")
    html_only = (
        b"From: =?utf-8?q?Jeanne_=0D=0ABcc=3A_x=40evil?= <Jeanne@Exemple.test>\r\n"
        b"To: vie-cooperative@coop.example\r\n"
        b"Subject: =?utf-8?q?Question_=0D=0AX-Injected=3A_oui?=\r\n"
        b"Date: Mon, 1 Mar 2027 08:00:00 +0100\r\n"
        b"Message-ID: <q1@mua.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style><script>alert(1)</script></head>"
        b"<body><p>Bonjour,</p><p>Quand a lieu l'<b>AG</b> ?\x00</p>"
        b"<img src=x onerror=alert(2)></body></html>\r\n"
    )
    report = services.ingest(_maildir(tmp_path, html_only))
    assert report.other == 1
    (row,) = _rows()
    assert row.member_id == m.id and row.from_address == "jeanne@exemple.test"
    assert "\r" not in row.subject and "\n" not in row.subject and "\n" not in row.from_name
    assert row.subject == "Question X-Injected: oui"
    assert "<" not in row.excerpt and "alert" not in row.excerpt and "\x00" not in row.excerpt
    assert "Bonjour," in row.excerpt and "Quand a lieu l'AG ?" in row.excerpt
    assert row.sent_dt == datetime(2027, 3, 1, 7, 0, tzinfo=UTC)


def test_malformed_huge_and_nameless_messages(app, tmp_path):
    app.config["INBOX_MAX_BYTES"] = 4096
    huge = (b"From: x@ailleurs.example\r\nSubject: Gros\r\nMessage-ID: <big@x>\r\n\r\n"
            + b"A" * 100_000)
    broken = (b"Subject: =?bogus?x?zz?=\r\nContent-Type: multipart/mixed; boundary=\r\n"
              b"Date: demain\r\n\r\n--\r\n\xff\xfe garbage \x00\r\n")
    report = services.ingest(_maildir(tmp_path, huge, broken, b"\x00\x01\x02"))
    assert (report.read, report.other, report.errors) == (3, 3, [])
    rows = {r.subject: r for r in _rows()}
    big = rows["Gros"]
    assert big.size == len(huge) and big.excerpt == "" and "volumineux" in big.detail
    assert len(_rows()) == 3 and all(r.message_key for r in _rows())
    assert [r.message_key.startswith("sha256:") for r in _rows()].count(True) == 2
    again = services.ingest(str(tmp_path / "box"))
    assert again.already == 3 and len(_rows()) == 3


def test_an_mbox_and_a_folder_of_eml(smtp_server, tmp_path):
    m1, m2 = _member(), _member()
    mailto1 = list_unsubscribe(sent_bulk_email(smtp_server, m1)[1])[1]
    mailto2 = list_unsubscribe(sent_bulk_email(smtp_server, m2)[1])[1]
    mbox = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    mbox.add(reply(mailto1, m1.email))
    mbox.add(b"From: a@b.example\r\nSubject: Bonjour\r\n\r\nFrom the start\r\n")
    mbox.flush()
    assert services.ingest(str(tmp_path / "inbox.mbox")).unsubscribed == 1
    folder = tmp_path / "eml"
    folder.mkdir()
    (folder / "1.eml").write_bytes(reply(mailto2, m2.email))
    assert services.ingest(str(folder)).unsubscribed == 1
    db.session.expire_all()
    assert {db.session.get(Member, i).email_status for i in (m1.id, m2.id)} == {"unsubscribed"}
    assert "From the start" in _rows()[1].excerpt


def test_the_command(cli, smtp_server, tmp_path):
    m = _member()
    mailto = list_unsubscribe(sent_bulk_email(smtp_server, m)[1])[1]
    box = _maildir(tmp_path, reply(mailto, m.email))
    result = cli.invoke(inbox_cli, ["ingest", box])
    assert result.exit_code == 0, result.output
    assert "1 désinscription(s)" in result.output
    assert "1 déjà traité(s)" in cli.invoke(inbox_cli, ["ingest", box]).output
    missing = cli.invoke(inbox_cli, ["ingest", str(tmp_path / "absent")])
    assert missing.exit_code == 1 and "introuvable" in missing.output


def test_raw_8bit_headers_are_read_as_utf8_else_latin1(tmp_path):
    raw = (b"From: \xc3\x89lise Gu\xc3\xa9rin <Elise@Exemple.test>\r\n"
           b"Subject: Caf\xe9 du jeudi\r\nMessage-ID: <8bit@mua.example>\r\n"
           b"Content-Type: text/plain; charset=x-inconnu\r\n\r\n\xc3\xa9t\xc3\xa9\r\n")
    services.ingest(_maildir(tmp_path, raw))
    (row,) = _rows()
    assert (row.from_name, row.from_address) == ("Élise Guérin", "elise@exemple.test")
    assert row.subject == "Café du jeudi" and row.excerpt == "été"
