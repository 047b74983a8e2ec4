"""Delivery status notifications (RFC 3464) read into one line per recipient.

Parsing only, no database: `sending.bounces` applies the lines, `sending.plainbounces`
reads the plain-text bounces into the same lines.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from typing import cast


@dataclass(frozen=True)
class DeliveryReport:
    """One recipient's line of a DSN."""

    dsn_id: str
    recipient: str
    action: str
    status: str
    diagnostic: str
    original_message_id: str | None
    plain: bool = False  # read from a plain-text bounce (sending.plainbounces), not a DSN


def _addr(value: str | None) -> str:
    # "rfc822; jo@example.org" -> "jo@example.org"
    value = (value or "").strip()
    if ";" in value:
        value = value.split(";", 1)[1]
    return value.strip().strip("<>").lower()


def parse_dsn(raw: bytes) -> list[DeliveryReport]:
    """The per-recipient reports of an RFC 3464 message; [] when it is not one."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    dsn_id = (msg.get("Message-ID") or "").strip() or message_digest(raw)
    status_part, original = None, None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            status_part = part
        elif ctype in ("text/rfc822-headers", "message/rfc822") and original is None:
            original = part
    if status_part is None:
        return []
    original_id = original_message_id(original)
    blocks = status_part.get_payload()
    if not isinstance(blocks, list):
        return []
    reports = []
    # A delivery-status payload is a list of header blocks, parsed as Messages; the first
    # block is about the message, the rest per recipient.
    for block in cast("list[Message]", blocks)[1:]:
        recipient = _addr(block.get("Final-Recipient") or block.get("Original-Recipient"))
        if not recipient:
            continue
        reports.append(DeliveryReport(
            dsn_id=dsn_id,
            recipient=recipient,
            action=(block.get("Action") or "").strip().lower(),
            status=(block.get("Status") or "").strip(),
            diagnostic=" ".join((block.get("Diagnostic-Code") or "").split()),
            original_message_id=original_id,
        ))
    return reports


def message_digest(raw: bytes) -> str:
    """A report's identity when it has no Message-ID."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def original_message_id(part) -> str | None:
    """The Message-ID of the message a report quotes (message/rfc822 or its headers)."""
    if part is None:
        return None
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        headers = payload[0]
    elif isinstance(payload, str):
        headers = HeaderParser().parsestr(payload)
    else:
        return None
    value = headers.get("Message-ID")
    return value.strip() if value else None
