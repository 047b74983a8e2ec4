"""One received message as the inbox keeps it: hostile bytes in, plain one-line headers and a
short text out.

Whatever arrives (malformed MIME, undecodable charsets, encoded words hiding a
line break, an HTML-only body, megabytes) becomes: a key for the ledger, a
sender, a subject and a date on one line each, and a text excerpt of at most
`EXCERPT_LIMIT` characters with no control character but newlines and tabs.
HTML is reduced to its text here and the pages autoescape it: nothing a
message holds is ever rendered as HTML.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from coopcrm.inbox.models import EXCERPT_LIMIT, InboundMessage
from coopcrm.models import text_limit
from coopcrm.plaintext import CONTROLS, normalise_newlines

_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BLANK_LINES = re.compile(r"\n{3,}")
# Message-IDs longer than this are hashed: a ledger key is a column, not a payload.
_MAX_KEY = 250


@dataclass(frozen=True)
class Received:
    """A message, read."""

    key: str
    from_address: str
    from_name: str
    subject: str
    sent_dt: datetime | None
    size: int
    text: str  # the excerpt
    truncated: bool  # bigger than the cap: only its first bytes were read
    message: Message | None  # None when even the headers could not be parsed


def line(value: str, limit: int) -> str:
    """`value` on one line (controls as spaces, runs of spaces as one), at most `limit` long."""
    return " ".join(CONTROLS.sub(" ", value).split())[:limit]


def text(value: str, limit: int = EXCERPT_LIMIT) -> str:
    """`value` as stored text: newlines and tabs kept, other controls dropped, capped."""
    value = _TEXT_CONTROLS.sub("", normalise_newlines(value))
    value = _BLANK_LINES.sub("\n\n", "\n".join(part.rstrip() for part in value.split("\n")))
    return value.strip()[:limit]


def header(msg: Message | None, name: str) -> str:
    """A header's decoded text (RFC 2047), or its raw text when it does not decode."""
    if msg is None:
        return ""
    try:
        raw = msg.get(name)
    except Exception:  # a header the parser chokes on is no header
        return ""
    if raw is None:
        return ""
    return _decode(raw)


def message_key(msg: Message | None, raw: bytes) -> str:
    """The ledger key: the Message-ID (hashed when long), else a hash of the bytes."""
    message_id = line(header(msg, "Message-ID"), 10_000)
    if not message_id:
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    if len(message_id) > _MAX_KEY:
        return "mid-sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
    return "mid:" + message_id


def _date(msg: Message | None) -> datetime | None:
    value = header(msg, "Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except Exception:  # "Date: tomorrow": no date
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _chunk(data: bytes | str, charset: str | None) -> str:
    if isinstance(data, str):
        return data
    if charset in (None, "unknown-8bit"):  # raw 8-bit text (RFC 6532): UTF-8, else Latin-1
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    try:
        return data.decode(charset, "replace")
    except LookupError:  # an unknown charset
        return data.decode("utf-8", "replace")


def _decode(value) -> str:
    """A header value (str, or compat32's Header for raw 8-bit text) as text."""
    try:
        parts = decode_header(value)
        if not any(isinstance(data, bytes) for data, _ in parts):
            return str(make_header(parts))
        # Words decoded one by one; decode_header drops the spaces between them.
        return "".join(_chunk(data, charset) for data, charset in parts)
    except Exception:  # a broken encoded word: keep what was written
        return str(value)


def _sender(msg: Message | None) -> tuple[str, str]:
    # The address is parsed before the name is decoded: an encoded word cannot
    # smuggle a second address (or a line break) into it.
    try:
        value = msg.get("From") if msg is not None else None
        # Raw 8-bit text comes as a Header: its charset fixed first (no encoded word in it).
        pairs = getaddresses([value if isinstance(value, str) else _decode(value or "")])
    except Exception:
        return "", ""
    if not pairs:
        return "", ""
    name, addr = _decode(pairs[0][0]), pairs[0][1]
    return (line(name, text_limit(InboundMessage, "from_name")),
            line(addr, text_limit(InboundMessage, "from_address")).lower())


class _HTMLText(HTMLParser):
    """The text of an HTML body: tags dropped, scripts and styles with their content."""

    _SKIP = {"script", "style", "head", "title"}
    _BREAK = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body (never to be shown as HTML)."""
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # what the parser cannot read is dropped
        pass
    return re.sub(r"[ \t]+", " ", "".join(parser.parts))


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # an unknown charset
        return payload.decode("utf-8", "replace")


def body_text(msg: Message | None) -> str:
    """The first text/plain part's text, else the first text/html part's text; attachments
    and nested messages are not read."""
    if msg is None:
        return ""
    html = None
    try:
        for part in msg.walk():
            if part.is_multipart() or part.get_content_disposition() == "attachment":
                continue
            ctype = part.get_content_type()
            if ctype == "text/plain":
                return _decoded(part)
            if ctype == "text/html" and html is None:
                html = _decoded(part)
    except Exception:  # malformed MIME: what was read so far
        pass
    return html_to_text(html) if html is not None else ""


def read(raw: bytes, size: int, max_bytes: int) -> Received:
    """Parse one message; beyond `max_bytes` only its first bytes (its headers) are read."""
    truncated = size > max_bytes or len(raw) > max_bytes
    if truncated:
        raw = raw[:max_bytes]
    try:
        msg: Message | None = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:
        msg = None
    from_name, from_address = _sender(msg)
    body = "" if truncated else body_text(msg)
    return Received(
        key=message_key(msg, raw),
        from_address=from_address,
        from_name=from_name,
        subject=line(header(msg, "Subject"), text_limit(InboundMessage, "subject")),
        sent_dt=_date(msg),
        size=size,
        text=text(body),
        truncated=truncated,
        message=msg,
    )
