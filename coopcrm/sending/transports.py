"""Where messages go: an SMTP server (COOPCRM_SMTP_URL), a folder, or a list in memory.

    smtp://host:port                  plain (a local relay, the mail catcher)
    smtp://user:pass@host:587?starttls=1
    smtp://user:pass@host:587?starttls=1&cafile=/etc/ssl/relay-ca.pem   (a private CA)
    smtps://user:pass@host:465        implicit TLS
    file:///path/to/folder            one .eml file per message, nothing sent
    memory://                         kept in this process (`MEMORY`), for tests

`memory://` is not accepted from the environment (config.SMTP_SCHEMES): in a
real process the messages would be marked sent and vanish with it.

The flusher needs a `Transport` (`open()` a `Connection`) and drives the
connection with `start`/`finish` per message, `announce` ahead when it
`pipelining`, and `close`; a transport without pipelining just `send`s
(`_OneAtATime`).

On a reused connection, when the server offers PIPELINING (RFC 2920), a
message's MAIL, RCPT and DATA go in one write, sent right behind the previous
message's body (`announce`), and its body follows once their replies are
read: one wait per message instead of four. Nothing else is sent per message
(no RSET after a refused body, no EHLO).

SMTP failures are sorted into the two kinds the outbox cares about:
TemporaryFailure (4xx, connection lost: retry later) and PermanentFailure
(5xx: never retry; `hard_bounce` when the server refused the recipient's
address itself).
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Enhanced status codes that are about the address (RFC 3463 X.1.x mailbox/address,
# X.2.1 mailbox disabled): the only 5xx that say "this address is bad".
_ADDRESS_CODES = re.compile(r"^5\.(1\.\d+|2\.1)$")


class Connection(Protocol):
    """One open session with the mail server, as the outbox's flusher drives it."""

    @property
    def pipelining(self) -> bool:
        """Whether `announce` may send the next envelope before this message's reply."""

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        """Hand one message over; returns once it is accepted, raises TransportError if not."""

    def start(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        """Send the envelope and the body; `finish` reads the verdict."""

    def finish(self) -> None:
        """The verdict on the message `start` sent: returns if accepted."""

    def announce(self, from_addr: str, to_addr: str, size: int) -> None:
        """Send the next message's envelope ahead (only when `pipelining`)."""

    def drop_announced(self) -> bool:
        """Give up an announced message (hang up); False if none was announced."""

    def close(self) -> None:
        """End the session (a no-op once closed)."""


class Transport(Protocol):
    """Where the outbox sends: each `open()` is one connection (one per batch)."""

    def open(self) -> Connection:
        """A new connection (SMTP: connected and authenticated; ConnectFailure if not)."""


class TransportError(Exception):
    def __init__(self, code: int | None, message: str):
        super().__init__(f"{code or ''} {message}".strip())
        self.code = code
        self.message = message


class TemporaryFailure(TransportError):
    """Try again later; `reconnect` when the connection itself is gone."""

    def __init__(self, code, message, reconnect: bool = False):
        super().__init__(code, message)
        self.reconnect = reconnect


class PermanentFailure(TransportError):
    """Refused for good; `hard_bounce` when the recipient's address is the reason."""

    def __init__(self, code, message, hard_bounce: bool = False):
        super().__init__(code, message)
        self.hard_bounce = hard_bounce


class ConnectFailure(TemporaryFailure):
    """The server could not be reached or refused us (TLS, authentication)."""


def _text(msg) -> str:
    return msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)


def enhanced_status(message: str) -> str:
    """'5.1.1' from a server reply, or ''."""
    match = _ENHANCED.search(message or "")
    return ".".join(match.groups()) if match else ""


def _failure(code: int, message: str, about_recipient: bool) -> TransportError:
    if code >= 500:
        status = enhanced_status(message)
        bounce = about_recipient and (not status or bool(_ADDRESS_CODES.match(status)))
        return PermanentFailure(code, message, hard_bounce=bounce)
    # 421: the server is closing the connection (smtplib has closed it): open a new one.
    return TemporaryFailure(code, message, reconnect=code == 421)


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    cafile: str = ""  # trust this CA instead of the system's (a relay with a private CA)

    def tls_context(self) -> ssl.SSLContext:
        return _tls_context(self.cafile)

    @classmethod
    def from_url(cls, url: str) -> SMTPSettings:
        """Parse COOPCRM_SMTP_URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"COOPCRM_SMTP_URL : schéma non pris en charge « {parts.scheme} »")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (465 if implicit else 25),
            implicit_tls=implicit,
            starttls=query.get("starttls", "0").lower() in ("1", "true", "yes"),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            timeout=float(query.get("timeout", 30)),
            cafile=query.get("cafile", ""),
        )


@lru_cache(maxsize=8)
def _tls_context(cafile: str) -> ssl.SSLContext:
    """One context per CA file for the process: loading the CA bundle costs more than
    a handshake, and a long-running sender builds it once, not per connection."""
    return ssl.create_default_context(cafile=cafile or None)


@lru_cache(maxsize=1)
def _local_hostname() -> str:
    """Our name in EHLO, looked up once: smtplib would resolve it for every connection."""
    return socket.getfqdn()


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _angle(addr: str) -> str:
    """<addr> for MAIL/RCPT; smtplib.quoteaddr's full parse only when it is not bare."""
    return smtplib.quoteaddr(addr) if "<" in addr or '"' in addr else f"<{addr}>"


def _refused(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal, as smtplib does: 421 means the server is closing, else RSET."""
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass  # shows at the next send


class SMTPConnection:
    """One open SMTP session; `send` may be called many times."""

    def __init__(self, settings: SMTPSettings):
        s = settings
        self._announced: tuple[str, str] | None = None
        self._smtp: smtplib.SMTP  # SMTP_SSL or SMTP
        try:
            if s.implicit_tls:
                self._smtp = smtplib.SMTP_SSL(s.host, s.port, local_hostname=_local_hostname(),
                                              timeout=s.timeout, context=s.tls_context())
            else:
                self._smtp = smtplib.SMTP(s.host, s.port, local_hostname=_local_hostname(),
                                          timeout=s.timeout)
            self._smtp.ehlo()
            if s.starttls:
                self._smtp.starttls(context=s.tls_context())
                self._smtp.ehlo()
            if s.username:
                self._smtp.login(s.username, s.password)
        except smtplib.SMTPResponseException as exc:
            self._abandon()
            raise ConnectFailure(exc.smtp_code, _text(exc.smtp_error), reconnect=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._abandon()
            raise ConnectFailure(None, f"{s.host}:{s.port} injoignable ({exc})",
                                 reconnect=True) from exc

    def _abandon(self) -> None:
        self._announced = None
        smtp = getattr(self, "_smtp", None)
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass
        self._smtp = None  # type: ignore[assignment]  # abandoned: no use after this

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        """Hand one message over; returns when the server accepted it (250 after DATA)."""
        self.start(from_addr, to_addr, raw)
        self.finish()

    @property
    def pipelining(self) -> bool:
        """Whether the server takes several commands per write (RFC 2920 PIPELINING)."""
        return self._smtp is not None and bool(self._smtp.has_extn("pipelining"))

    def announce(self, from_addr: str, to_addr: str, size: int) -> None:
        """Send the next message's MAIL, RCPT, DATA now, before the pending body's reply.

        Only with PIPELINING; the server answers them after that reply, and no
        content goes until `start` (same addresses) has read them. Nothing is
        delivered if the connection is dropped in between.
        """
        with self._mapped_errors():
            self._smtp.send(self._envelope_line(self._smtp, from_addr, to_addr, size))
            self._announced = (from_addr, to_addr)

    def drop_announced(self) -> bool:
        """Give up an announced message by hanging up (the server may wait for its body)."""
        if self._announced is None:
            return False
        self._abandon()
        return True

    def start(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        """Send the envelope and the body; `finish` reads the server's verdict on it.

        Between the two the caller may prepare its next message while the server
        reads this one; it must not send anything else on this connection
        (`announce` excepted).
        """
        with self._mapped_errors():
            smtp = self._smtp
            if smtp is None:
                raise smtplib.SMTPServerDisconnected("connexion fermée")
            announced, self._announced = self._announced, None
            if announced is not None:
                if announced != (from_addr, to_addr):
                    raise ValueError("start() does not match the announced envelope")
                self._envelope_replies(smtp, from_addr, to_addr)
            elif smtp.has_extn("pipelining"):
                smtp.send(self._envelope_line(smtp, from_addr, to_addr, len(raw)))
                self._envelope_replies(smtp, from_addr, to_addr)
            else:
                self._envelope(smtp, from_addr, to_addr, len(raw))
            body = _LEADING_DOT.sub(b"..", raw)
            smtp.send(body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"))

    def finish(self) -> None:
        """Wait for the reply to the body sent by `start`: returns if it was accepted (250)."""
        with self._mapped_errors():
            smtp = self._smtp
            if smtp is None:
                raise smtplib.SMTPServerDisconnected("connexion fermée")
            code, message = smtp.getreply()
            if code != 250:
                # The reply to the body ends the transaction either way (RFC 5321 §4.1.1.4):
                # no RSET, which would land in an announced message's body.
                if code == 421:
                    self._announced = None
                    smtp.close()
                raise smtplib.SMTPDataError(code, message)

    @contextmanager
    def _mapped_errors(self):
        """smtplib's exceptions as the two kinds of failure the outbox cares about."""
        try:
            yield
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _failure(code, _text(reply), about_recipient=True) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise _failure(exc.smtp_code, _text(exc.smtp_error), about_recipient=False) from exc
        except smtplib.SMTPDataError as exc:
            # A 5xx after DATA is a bounce only when its status names the address
            # (5.7.1 "rejected as spam" says nothing about the mailbox).
            msg = _text(exc.smtp_error)
            if exc.smtp_code >= 500 and _ADDRESS_CODES.match(enhanced_status(msg)):
                raise PermanentFailure(exc.smtp_code, msg, hard_bounce=True) from exc
            raise _failure(exc.smtp_code, msg, about_recipient=False) from exc
        except smtplib.SMTPServerDisconnected as exc:
            self._abandon()
            raise TemporaryFailure(None, f"connexion perdue ({exc})", reconnect=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise _failure(exc.smtp_code, _text(exc.smtp_error), about_recipient=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._abandon()
            raise TemporaryFailure(None, f"erreur de connexion ({exc})", reconnect=True) from exc

    @staticmethod
    def _envelope(smtp: smtplib.SMTP, from_addr: str, to_addr: str, size: int) -> None:
        """MAIL, RCPT, DATA one at a time (a server without PIPELINING), as smtplib does."""
        code, resp = smtp.mail(from_addr, [f"SIZE={size}"] if smtp.has_extn("size") else [])
        if code != 250:
            _refused(smtp, code)
            raise smtplib.SMTPSenderRefused(code, resp, from_addr)
        code, resp = smtp.rcpt(to_addr)
        if code not in (250, 251):
            _refused(smtp, code)
            raise smtplib.SMTPRecipientsRefused({to_addr: (code, resp)})
        smtp.putcmd("data")
        code, resp = smtp.getreply()
        if code != 354:
            _refused(smtp, code)
            raise smtplib.SMTPDataError(code, resp)

    @staticmethod
    def _envelope_line(smtp: smtplib.SMTP, from_addr: str, to_addr: str, size: int) -> str:
        option = f" SIZE={size}" if smtp.has_extn("size") else ""
        return (f"MAIL FROM:{_angle(from_addr)}{option}\r\nRCPT TO:{_angle(to_addr)}\r\n"
                "DATA\r\n")

    @staticmethod
    def _envelope_replies(smtp: smtplib.SMTP, from_addr: str, to_addr: str) -> None:
        """The three replies to a pipelined MAIL, RCPT, DATA (RFC 2920)."""
        mail, rcpt, data = smtp.getreply(), smtp.getreply(), smtp.getreply()
        accepted = mail[0] == 250 and rcpt[0] in (250, 251)
        if data[0] == 354 and not accepted:
            # A server may open DATA even though it refused the envelope: end it empty.
            smtp.send(b".\r\n")
            smtp.getreply()
        if not accepted or data[0] != 354:
            _refused(smtp, 421 if 421 in (mail[0], rcpt[0], data[0]) else 0)
        if mail[0] != 250:
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], from_addr)
        if rcpt[0] not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to_addr: rcpt})
        if data[0] != 354:
            raise smtplib.SMTPDataError(*data)

    def close(self) -> None:
        if self._smtp is None:
            return
        if self._announced is not None:  # the server may wait for a body: QUIT would be one
            self._abandon()
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        self._abandon()


class SMTPTransport:
    def __init__(self, settings: SMTPSettings):
        self.settings = settings

    def open(self) -> SMTPConnection:
        return SMTPConnection(self.settings)


class _OneAtATime:
    """A connection without pipelining: `start` is the whole `send`, `finish` reads nothing."""

    pipelining = False

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        raise NotImplementedError

    def start(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        self.send(from_addr, to_addr, raw)

    def finish(self) -> None:
        pass

    def announce(self, from_addr: str, to_addr: str, size: int) -> None:
        raise NotImplementedError("no pipelining on this connection")

    def drop_announced(self) -> bool:
        return False

    def close(self) -> None:
        pass


class FileConnection(_OneAtATime):
    """Writes each message to `<folder>/<n>.eml` (development without a mail server)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        n = sum(1 for _ in self.folder.glob("*.eml")) + 1
        (self.folder / f"{n:06d}.eml").write_bytes(raw)


class FileTransport:
    def __init__(self, folder: Path):
        self.folder = folder

    def open(self) -> FileConnection:
        return FileConnection(self.folder)


@dataclass(frozen=True)
class SentMessage:
    """One message a MemoryTransport accepted: its envelope and its bytes as they would go."""

    mail_from: str
    rcpt_to: str
    raw: bytes

    @property
    def email(self) -> EmailMessage:
        """The message parsed (modern policy: `msg["Subject"]`, `msg.get_body()`)."""
        import email
        import email.policy

        return email.message_from_bytes(self.raw, policy=email.policy.default)


class MemoryConnection(_OneAtATime):
    def __init__(self, transport: MemoryTransport):
        self.transport = transport

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        refusals = self.transport.refusals.get(to_addr.lower())
        if refusals:
            raise refusals.pop(0)
        self.transport.sent.append(SentMessage(from_addr, to_addr, bytes(raw)))


@dataclass
class MemoryTransport:
    """Keeps every message it is given, in order, with its envelope (tests)."""

    sent: list[SentMessage] = field(default_factory=list)
    connections: int = 0
    refusals: dict[str, list[TransportError]] = field(default_factory=dict)

    def open(self) -> MemoryConnection:
        self.connections += 1
        return MemoryConnection(self)

    def refuse(self, address: str, *errors: TransportError) -> None:
        """The next messages to `address` fail with these, in order; then it accepts."""
        self.refusals.setdefault(address.lower(), []).extend(errors)

    def clear(self) -> None:
        self.sent.clear()
        self.refusals.clear()
        self.connections = 0

    def to(self, address: str) -> list[SentMessage]:
        """The messages sent to `address`."""
        return [m for m in self.sent if m.rcpt_to == address]


MEMORY = MemoryTransport()  # what `memory://` names: one per process


def from_url(url: str) -> Transport:
    """The transport COOPCRM_SMTP_URL names."""
    if url.startswith("memory://"):
        return MEMORY
    if url.startswith("file://"):
        return FileTransport(Path(unquote(urlsplit(url).path)))
    return SMTPTransport(SMTPSettings.from_url(url))
