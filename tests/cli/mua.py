"""What a member's mail client sends for the `mailto:` of an email's List-Unsubscribe.

Standard library only: tests/cli loads no coopcrm (`make smoke` runs it from the wheel).
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit


def mailto_of(message) -> str:
    """The mailto URI of a parsed message's List-Unsubscribe header."""
    return next(uri for uri in re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
                if uri.startswith("mailto:"))


def mua_reply(message) -> bytes:
    """The reply to `message`'s unsubscribe mailto, from its recipient, as bytes."""
    parts = urlsplit(mailto_of(message))
    reply = EmailMessage(policy=SMTP)
    reply["From"] = str(message["To"])
    reply["To"] = unquote(parts.path)
    reply["Subject"] = parse_qs(parts.query)["subject"][0]
    reply["Message-ID"] = make_msgid(domain="mua.example")
    reply.set_content("\n")
    return reply.as_bytes()
