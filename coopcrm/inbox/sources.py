"""Where the inbox reads from: a local mailbox (maildir, mbox, .eml files) or an IMAP folder.

A source yields `Item`s; once the inbox has recorded one, it calls `item.done()`:
an IMAP message is then flagged \\Seen (never deleted: the mailbox stays the
operator's record), a local file is left as it is (the ledger makes a rerun
harmless).
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from coopcrm.sending.bounces import mailbox_messages

IMAP_TIMEOUT = 60  # seconds: a server that stops answering must not hang the job


class SourceError(Exception):
    """A mailbox that cannot be read; the message is French and names no password."""


@dataclass
class Item:
    """One message of a source: its bytes (at most the cap for a big IMAP one) and real size."""

    name: str
    raw: bytes
    size: int
    done: Callable[[], None] = lambda: None


def is_imap(location: str) -> bool:
    """Whether `location` names an IMAP folder (imap:// or imaps://)."""
    return location.lower().startswith(("imap://", "imaps://"))


def describe(location: str) -> str:
    """`location` as it may be shown or stored: an IMAP URL without its password."""
    if not is_imap(location):
        return location
    parts = urlsplit(location)
    user = unquote(parts.username or "")
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user + '@' if user else ''}{host}{port}{parts.path}"


def items(location: str, max_bytes: int) -> Iterator[Item]:
    """Every message of `location` (a path, or an IMAP URL: only those not yet \\Seen)."""
    if is_imap(location):
        yield from _imap_items(location, max_bytes)
        return
    path = Path(location)
    if not path.exists():
        raise SourceError(f"boîte introuvable : {location}")
    for name, raw in mailbox_messages(path):
        yield Item(name, raw, len(raw))


@dataclass(frozen=True)
class ImapLocation:
    """The parts of an imap:// or imaps:// URL."""

    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str


def parse_imap_url(url: str) -> ImapLocation:
    """imap[s]://user:password@host[:port]/FOLDER (user and password percent-encoded)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SourceError(f"adresse IMAP invalide : {describe(url)}") from exc
    secure = parts.scheme.lower() == "imaps"
    if not parts.hostname or parts.username is None:
        raise SourceError("adresse IMAP invalide : imap[s]://utilisateur:motdepasse@hôte"
                          "[:port]/DOSSIER attendu")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapLocation(secure, parts.hostname, port or (993 if secure else 143),
                        unquote(parts.username), unquote(parts.password or ""), folder)


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _check(answer: tuple, what: str) -> list:
    status, data = answer
    if status != "OK":
        raise SourceError(f"le serveur IMAP refuse {what}")
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_items(url: str, max_bytes: int) -> Iterator[Item]:
    where = parse_imap_url(url)
    try:
        if where.secure:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                where.host, where.port, ssl_context=ssl.create_default_context(),
                timeout=IMAP_TIMEOUT)
        else:
            conn = imaplib.IMAP4(where.host, where.port, timeout=IMAP_TIMEOUT)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise SourceError(f"serveur IMAP injoignable ({describe(url)}) : {exc}") from exc
    try:
        try:
            conn.login(where.user, where.password)
        except imaplib.IMAP4.error as exc:
            raise SourceError(f"connexion IMAP refusée pour {where.user}") from exc
        _check(conn.select(_quoted(where.folder)), f"le dossier {where.folder}")
        numbers = _check(conn.search(None, "UNSEEN"), "la recherche")
        for number in (numbers[0] or b"").split():
            yield _imap_item(conn, number.decode(), max_bytes, describe(url))
    except imaplib.IMAP4.error as exc:
        raise SourceError(f"erreur IMAP ({describe(url)}) : {exc}") from exc
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _imap_item(conn: imaplib.IMAP4, number: str, max_bytes: int, where: str) -> Item:
    data = _check(conn.fetch(number, "(RFC822.SIZE)"), "la taille d'un message")
    found = _SIZE.search(data[0] if isinstance(data[0], bytes) else b"")
    size = int(found.group(1)) if found else 0
    # PEEK: reading does not flag it \Seen; only a recorded message is (done()).
    part = "BODY.PEEK[]" if size <= max_bytes else f"BODY.PEEK[]<0.{max_bytes}>"
    data = _check(conn.fetch(number, f"({part})"), "un message")
    raw = b"".join(item[1] for item in data if isinstance(item, tuple))

    def seen() -> None:  # flagged, never deleted: the mailbox stays the operator's record
        _check(conn.store(number, "+FLAGS", "(\\Seen)"), "le marquage")

    return Item(f"{where}#{number}", raw, size or len(raw), done=seen)
