"""The catcher's mailbox: a maildir, so messages survive restarts and any mail tool can read it."""

from __future__ import annotations

import mailbox
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

ENVELOPE_FROM = "X-Mailcatcher-Mail-From"
ENVELOPE_TO = "X-Mailcatcher-Rcpt-To"
# Python's maildir keys start "<seconds>.M<microseconds>P<pid>Q<counter>".
_KEY = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)\.")
KEY_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class Summary:
    key: str
    received: datetime
    sender: str
    to: str
    subject: str


def _order(key: str) -> tuple[int, int, int]:
    match = _KEY.match(key)
    if match is None:
        return (0, 0, 0)
    a, b, c = (int(g) for g in match.groups())
    return a, b, c


def _header(msg, name: str) -> str:
    try:
        return str(msg.get(name, "") or "")
    except Exception:  # a malformed header must not hide the message
        return "(illisible)"


class MailStore:
    """Thread-safe wrapper around one maildir (the SMTP thread writes, the web thread reads)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._maildir = mailbox.Maildir(path, create=True)
        self._lock = threading.Lock()

    def add(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        """Store a received message, envelope first (Bcc recipients only appear there)."""
        envelope = (
            f"{ENVELOPE_FROM}: {mail_from}\r\n{ENVELOPE_TO}: {', '.join(rcpt_tos)}\r\n"
        ).encode("utf-8", "replace")
        with self._lock:
            return self._maildir.add(envelope + raw)

    def keys(self) -> list[str]:
        """Message keys, newest first."""
        with self._lock:
            keys = self._maildir.keys()
        return sorted(keys, key=_order, reverse=True)

    def __len__(self) -> int:
        with self._lock:
            return len(self._maildir)

    def summary(self, key: str) -> Summary:
        """Sender, recipients and subject, read from the headers only."""
        with self._lock:
            fp = self._maildir.get_file(key)
        with fp:
            # A Maildir _ProxyFile is a binary file; typeshed does not say it.
            msg = BytesParser(policy=policy.default).parse(fp, headersonly=True)  # type: ignore[arg-type]
        return Summary(
            key=key,
            received=datetime.fromtimestamp(_order(key)[0], UTC),
            sender=_header(msg, "From") or _header(msg, ENVELOPE_FROM),
            to=_header(msg, "To") or _header(msg, ENVELOPE_TO),
            subject=_header(msg, "Subject"),
        )

    def page(self, number: int, per_page: int) -> tuple[list[Summary], int]:
        """One page of summaries, newest first, and the total count."""
        keys = self.keys()
        start = (max(number, 1) - 1) * per_page
        return [self.summary(k) for k in keys[start:start + per_page]], len(keys)

    def raw(self, key: str) -> bytes:
        """The message as received (KeyError if unknown)."""
        with self._lock:
            return self._maildir.get_bytes(key)

    def message(self, key: str) -> EmailMessage:
        """The parsed message (KeyError if unknown)."""
        return BytesParser(policy=policy.default).parsebytes(self.raw(key))

    def clear(self) -> int:
        """Delete every message; returns how many."""
        with self._lock:
            keys = self._maildir.keys()
            for key in keys:
                self._maildir.discard(key)
        return len(keys)
