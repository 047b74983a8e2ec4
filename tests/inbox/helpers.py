"""Messages as they reach the unsubscribe mailbox: the app's own email, and the replies to it."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.sending import services
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage

SURVEY = {"survey_title": "Sondage", "intro": "", "survey_url": "https://coop.example/s/a"}


def sent_bulk_email(smtp_server, member, key: str = "") -> tuple[OutboxMessage, bytes]:
    """A bulk email (a survey invitation) queued and sent to the SMTP sink: its row, its bytes."""
    services.enqueue("survey_invitation", member, SURVEY, key or f"inbox:{member.id}")
    db.session.commit()
    before = len(smtp_server.messages)
    assert flush().sent == 1
    data = smtp_server.messages[before].data
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.member_id == member.id).order_by(OutboxMessage.id.desc()))
    return message, data


def list_unsubscribe(data: bytes) -> tuple[str, str]:
    """The https and mailto URIs of a message's List-Unsubscribe header."""
    from email import message_from_bytes
    from email.policy import default

    header = str(message_from_bytes(data, policy=default)["List-Unsubscribe"])
    https, mailto = re.findall(r"<([^>]+)>", header)
    assert https.startswith("http") and mailto.startswith("mailto:")
    return https, mailto


def reply(mailto: str, sender: str, *, body: str = "", subject: str | None = None,
          message_id: str | None = None) -> bytes:
    """What a mail client sends for a `mailto:` URI: to its address, with its subject."""
    parts = urlsplit(mailto)
    query = parse_qs(parts.query)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = unquote(parts.path)
    msg["Subject"] = query["subject"][0] if subject is None else subject
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = message_id or make_msgid(domain="mua.example")
    msg.set_content(body or query.get("body", [""])[0] or "\n")
    return msg.as_bytes()


def token_of(mailto: str) -> str:
    """The signed token a mailto's subject carries."""
    return parse_qs(urlsplit(mailto).query)["subject"][0].split()[-1]
