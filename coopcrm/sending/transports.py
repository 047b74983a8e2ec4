"""Where messages go: an SMTP server (COOPCRM_SMTP_URL), or a folder for development.

    smtp://host:port                  plain (a local relay, the mail catcher)
    smtp://user:pass@host:587?starttls=1
    smtp://user:pass@host:587?starttls=1&cafile=/etc/ssl/relay-ca.pem   (a private CA)
    smtps://user:pass@host:465        implicit TLS
    file:///path/to/folder            one .eml file per message, nothing sent

SMTP failures are sorted into the two kinds the outbox cares about:
TemporaryFailure (4xx, connection lost: retry later) and PermanentFailure
(5xx: never retry; `hard_bounce` when the server refused the recipient's
address itself).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Enhanced status codes that are about the address (RFC 3463 X.1.x mailbox/address,
# X.2.1 mailbox disabled): the only 5xx that say "this address is bad".
_ADDRESS_CODES = re.compile(r"^5\.(1\.\d+|2\.1)$")


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
    return TemporaryFailure(code, message)


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
        return ssl.create_default_context(cafile=self.cafile or None)

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


class SMTPConnection:
    """One open SMTP session; `send` may be called many times."""

    def __init__(self, settings: SMTPSettings):
        s = settings
        try:
            if s.implicit_tls:
                self._smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                              context=s.tls_context())
            else:
                self._smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
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
        smtp = getattr(self, "_smtp", None)
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass
        self._smtp = None

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        """Hand one message over; returns when the server accepted it (250 after DATA)."""
        try:
            self._smtp.sendmail(from_addr, [to_addr], raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code, msg = next(iter(exc.recipients.values()))
            raise _failure(code, _text(msg), about_recipient=True) from exc
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

    def close(self) -> None:
        if self._smtp is None:
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


class FileConnection:
    """Writes each message to `<folder>/<n>.eml` (development without a mail server)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> None:
        n = sum(1 for _ in self.folder.glob("*.eml")) + 1
        (self.folder / f"{n:06d}.eml").write_bytes(raw)

    def close(self) -> None:
        pass


class FileTransport:
    def __init__(self, folder: Path):
        self.folder = folder

    def open(self) -> FileConnection:
        return FileConnection(self.folder)


def from_url(url: str):
    """The transport COOPCRM_SMTP_URL names."""
    if url.startswith("file://"):
        return FileTransport(Path(unquote(urlsplit(url).path)))
    return SMTPTransport(SMTPSettings.from_url(url))
