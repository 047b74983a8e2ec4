"""No stored value can add a header line: the raw bytes the SMTP server receives.

Names come from the member form, the importer or a staff account; whatever
they hold (CR, LF, NUL, NEL, U+2028…), each message keeps exactly its own
headers. Refusing such names at input is the forms' and the importer's job;
this is the output side, which must hold even if one slips through.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.sending import mime, services
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage
from tests import factories

T0 = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
INJECTIONS = [
    "\r\nBcc: x@evil.test",
    "\nBcc: x@evil.test",
    "\rBcc: x@evil.test",
    "\x00\r\nBcc: x@evil.test",
    "\x85Bcc: x@evil.test",
    "\u2028Bcc: x@evil.test",
    "é\r\nBcc: x@evil.test",  # non-ASCII: the RFC 2047 path
    "\r\nBcc: x@evil.test\r\n\r\nCorps remplacé",
]


def _header_lines(raw: bytes) -> list[bytes]:
    """The header block's lines, as a reader splits them (on CRLF, LF or bare CR)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return head.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")


def _names(raw: bytes) -> list[str]:
    """The header names, in order (continuation lines start with white space)."""
    return [line.split(b":", 1)[0].decode().lower() for line in _header_lines(raw)
            if line and line[:1] not in b" \t"]


def _assert_one_of_each(raw: bytes):
    names = _names(raw)
    assert "bcc" not in names and "cc" not in names
    assert names.count("to") == 1 and names.count("subject") == 1
    assert names.count("content-type") == 1  # the body was not replaced by another one
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.defects == []
    assert parsed["Bcc"] is None and len(parsed.get_all("To")) == 1
    return parsed


@pytest.mark.parametrize("tail", INJECTIONS)
def test_a_member_name_never_adds_a_header(smtp_server, tail):
    if "\x00" in tail and db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL stores no NUL in text: such a name never reaches the outbox")
    clock.set_now(T0)
    m = factories.member(first_name="Zoé" + tail, last_name="Dupré")
    services.enqueue("welcome", m, {"booklet_url": "https://coop.example/livret.pdf"},
                     f"welcome:{m.id}")
    db.session.commit()
    assert flush().sent == 1
    [received] = smtp_server.messages
    assert received.rcpt_tos == [m.email]
    parsed = _assert_one_of_each(received.data)
    # The name is still there, on one line, spaces where the controls were.
    [to] = parsed["To"].addresses
    assert to.addr_spec == m.email and to.display_name.startswith("Zoé")
    assert "\r" not in str(parsed["Subject"]) and "\n" not in str(parsed["Subject"])
    assert str(parsed["Subject"]).startswith("Bienvenue chez vous, Zoé")


def test_a_staff_name_never_adds_a_header(smtp_server):
    user = factories.user(name="Agnès\r\nBcc: x@evil.test\r\nReply-To: x@evil.test")
    services.send_test(user, "test_message")
    db.session.commit()
    assert flush().sent == 1
    [received] = smtp_server.messages
    assert received.rcpt_tos == [user.email]
    parsed = _assert_one_of_each(received.data)
    assert "reply-to" not in _names(received.data)
    assert parsed["To"].addresses[0].addr_spec == user.email


def test_an_address_holding_a_line_break_is_never_sent(smtp_server):
    m = factories.member()
    services.enqueue("welcome", m, {"booklet_url": "https://coop.example/l.pdf"}, "w:1")
    db.session.commit()
    # As if a stored address had slipped past every check.
    m.email = "jo@exemple.test\r\nBcc: x@evil.test"
    db.session.commit()
    assert flush().failed == 1
    assert smtp_server.messages == []
    db.session.expire_all()
    [row] = db.session.query(OutboxMessage).all()
    assert row.status == "failed" and "adresse email invalide" in row.last_error


@pytest.mark.parametrize("value", ["a@b.test\r\nBcc: x", "a\nb", "a\rb", "a\x00b", "a@b.test\r\n"])
def test_the_last_guard_refuses_a_header_value_it_is_handed_raw(value):
    with pytest.raises(ValueError, match="caractère de contrôle"):
        mime.build(from_header="a@b.test", to_header=value, subject="s", message_id="<1@b>",
                   date=T0, text="t", html="<p>t</p>")


def test_subject_and_extra_headers_are_made_one_line():
    raw = mime.build(from_header="a@b.test", to_header="c@d.test",
                     subject="Bonjour\r\nBcc: x@evil.test", message_id="<1@b>", date=T0,
                     text="t", html="<p>t</p>", extra={"Precedence": "bulk\r\nBcc: x"})
    names = _names(raw)
    assert "bcc" not in names and names.count("subject") == 1
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Bonjour  Bcc: x@evil.test"
