"""MIME bytes for one message, assembled directly.

`email.message.EmailMessage(...).as_bytes()` costs 2–5 ms a message (its
generator re-folds and re-encodes everything); this writes the same
multipart/alternative structure (text/plain then text/html, UTF-8,
quoted-printable) in a few tens of microseconds. Only headers that can hold
non-ASCII text (display names, subject) go through the stdlib encoders.
No stored value can add a header line: every header value has its control
characters replaced (`one_line`), addresses holding one are refused, and
each header line is checked once more before it is written (`_header`).
The result parses back with `email.message_from_bytes` (see the tests).
With attachments (an event's .ics), the alternative part is wrapped in a
multipart/mixed and each attachment follows it, base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import unicodedata
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr
from urllib.parse import quote

from coopcrm.plaintext import CONTROLS

CRLF = "\r\n"
# What no header text may carry raw: what no one-line value holds (plaintext.CONTROLS:
# C0, DEL, C1, the Unicode line and paragraph separators). Refused on the way in; replaced
# here again, whatever is stored.
_CONTROLS = CONTROLS
# What an address (addr-spec) written in To:/From: never holds: controls, spaces, and the
# characters that would end it or start another address.
_NOT_IN_ADDRESS = re.compile(r'[\x00-\x20\x7f-\x9f\u2028\u2029<>,;:"()\[\]\\]')
# Our own folding (CRLF then a space or tab) is the only line break a header may hold.
_FOLD = re.compile(r"\r\n[ \t]")


def one_line(value: str) -> str:
    """`value` as header text: every control character and line separator becomes a space."""
    return _CONTROLS.sub(" ", value)


def _encode_header(value: str) -> str:
    value = one_line(value)
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8", header_name="Subject").encode(linesep=CRLF)


def address(name: str, addr: str) -> str:
    """'Name <addr>' with the name RFC 2047-encoded when needed.

    A name holding a line break or another control character is written with
    spaces in their place; an address holding one (or a space, `<`, `,`…) is
    refused with ValueError: it could only be a forged one.
    """
    if _NOT_IN_ADDRESS.search(addr):
        raise ValueError(f"adresse email invalide : {addr!r}")
    name = one_line(name).strip()
    return formataddr((name, addr), charset="utf-8") if name else addr


def _header(name: str, value: str) -> str:
    """One header line; ValueError if its value still holds a control character.

    The last guard, whatever a caller passed: the rule of the stdlib's
    `email.policy` (a header value never holds CR or LF), made stricter (no
    control character at all) and applied after undoing our own folding,
    without the header registry's parsing (~0.4 ms a header).
    """
    if _CONTROLS.search(_FOLD.sub(" ", value)):
        raise ValueError(f"en-tête {name} refusé : caractère de contrôle dans la valeur")
    return f"{name}: {value}"


def _qp(text: str) -> bytes:
    body = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)
    return body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def build(*, from_header: str, to_header: str, subject: str, message_id: str, date: datetime,
          text: str, html: str, reply_to: str = "", list_unsubscribe: tuple[str, ...] = (),
          extra: dict[str, str] | None = None,
          attachments: list[dict] | tuple = ()) -> bytes:
    """The whole message (headers and both parts) as CRLF-terminated bytes.

    `attachments`: dicts with `filename`, `content_type` and `data` (text or bytes) or
    `encoded` (base64 lines, see sending.attachments.loaded); the name and type are
    cleaned here again, whatever the caller stored.
    """
    boundary = "=_coopcrm_" + secrets.token_hex(12)
    headers = [
        _header("From", from_header),
        _header("To", to_header),
        _header("Subject", _encode_header(subject)),
        _header("Date", format_datetime(date)),
        _header("Message-ID", message_id),
    ]
    if reply_to:
        headers.append(_header("Reply-To", reply_to))
    if list_unsubscribe:
        # RFC 2369 + RFC 8058: the https URI first (one-click POST), then mailto.
        headers.append(_header("List-Unsubscribe", ("," + CRLF + " ").join(
            f"<{one_line(uri)}>" for uri in list_unsubscribe)))
        headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    for name, value in (extra or {}).items():
        headers.append(_header(name, one_line(value)))
    headers.append("MIME-Version: 1.0")
    part = (
        "Content-Type: text/{sub}; charset=\"utf-8\"" + CRLF
        + "Content-Transfer-Encoding: quoted-printable" + CRLF + CRLF
    )
    sep = f"{CRLF}--{boundary}{CRLF}".encode()
    alternative = b"".join((
        f'Content-Type: multipart/alternative; boundary="{boundary}"'.encode(),
        CRLF.encode(), CRLF.encode(),
        b"This is a multipart message in MIME format.",
        sep, part.format(sub="plain").encode(), _qp(text),
        sep, part.format(sub="html").encode(), _qp(html),
        f"{CRLF}--{boundary}--{CRLF}".encode(),
    ))
    head = CRLF.join(headers).encode("ascii") + CRLF.encode()
    if not attachments:
        return head + alternative
    mixed = "=_coopcrm_m_" + secrets.token_hex(12)
    msep = f"{CRLF}--{mixed}{CRLF}".encode()
    pieces = [head, f'Content-Type: multipart/mixed; boundary="{mixed}"'.encode(),
              CRLF.encode(), CRLF.encode(), b"This is a multipart message in MIME format.",
              msep, alternative]
    for item in attachments:
        pieces += [msep, _attachment(item)]
    pieces.append(f"{CRLF}--{mixed}--{CRLF}".encode())
    return b"".join(pieces)


# A content type as we write it; anything else is sent as application/octet-stream.
_CONTENT_TYPE = re.compile(r"^[a-z]+/[a-z0-9][a-z0-9.+-]{0,90}(?:; ?[a-z-]+=[A-Za-z0-9._-]+)*$")
_ASCII_NAME = re.compile(r"[^A-Za-z0-9._ ()-]")
_NAME_MAX = 80  # characters: percent-encoded, a header line stays far below 998 bytes


def filename_params(filename: str) -> tuple[str, str]:
    """(ASCII fallback, RFC 2231 `filename*` value or "") for a file name, whatever it holds:
    no control character, quote, backslash or semicolon reaches the header."""
    name = "".join(" " if unicodedata.category(c) == "Cf" else c  # bidi overrides, too
                   for c in unicodedata.normalize("NFC", one_line(filename or "")))
    name = " ".join(name.split())[:_NAME_MAX]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = _ASCII_NAME.sub("_", ascii_name).strip() or "piece-jointe"
    if ascii_name == name or not name:
        return ascii_name, ""
    return ascii_name, "utf-8''" + quote(name, safe="")


def _attachment(item: dict) -> bytes:
    """One attached file: `encoded` (base64 lines, already) or `data` (text or bytes)."""
    fallback, extended = filename_params(item["filename"])
    content_type = item.get("content_type", "")
    if not _CONTENT_TYPE.match(content_type):
        content_type = "application/octet-stream"
    data = item.get("encoded")
    if data is None:
        raw = item["data"]
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
        data = base64.encodebytes(raw).replace(b"\n", b"\r\n")
    # A non-ASCII name as RFC 2231 alone (as the stdlib writes it: where both are given,
    # readers differ on which wins); the ASCII fallback in Content-Type for old readers.
    disposition = f"filename*={extended}" if extended else f'filename="{fallback}"'
    return b"".join((
        f"Content-Type: {content_type}; name=\"{fallback}\"{CRLF}".encode(),
        f"Content-Disposition: attachment;{CRLF} {disposition}{CRLF}".encode(),
        f"Content-Transfer-Encoding: base64{CRLF}{CRLF}".encode(),
        data,
    ))
