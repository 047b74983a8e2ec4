"""Messages of the unsubscribe mailbox, read by the inbox's own service."""

from __future__ import annotations

from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.inbox import services
from coopcrm.inbox.models import InboundMessage
from tests.factories._base import n


def inbound_message(sender: str = "", subject: str = "", body: str = "Bonjour") -> InboundMessage:
    """A plain message (kind "other") from `sender`: about the member with that address."""
    i = n()
    raw = (f"From: {sender or f'inconnu{i}@ailleurs.example'}\r\n"
           f"Subject: {subject or f'Question {i}'}\r\nMessage-ID: <factory{i}@mua.example>\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
    services.record(raw, "factory")
    return db.session.scalar(select(InboundMessage).where(
        InboundMessage.message_key == f"mid:<factory{i}@mua.example>"))
