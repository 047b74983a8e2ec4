"""Settings: every key the code reads, from a COOPCRM_* environment variable.

`SETTINGS` is the one list of them: `load()` builds the Flask config from it,
`coopcrm config check` prints it, and the README's table is checked against it
(tests/test_config.py). A value that cannot be read raises ConfigError with a
French message naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A setting that cannot be used; the message is French and names the variable."""


def printable(text: str) -> str:
    """`text` on one line: a value quoted in a message cannot forge a second line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# -- readers: one per kind of value ------------------------------------------

def _text(raw: str) -> str:
    return raw.strip()


def _integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def read(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"nombre entier attendu, pas « {raw} »") from None
        if value < minimum:
            raise ValueError(f"au moins {minimum} attendu, pas {value}")
        if maximum is not None and value > maximum:
            raise ValueError(f"au plus {maximum} attendu, pas {value}")
        return value
    return read


# The retention periods' bounds (least, most), one place for the setting read here and
# for the admin page that changes them (privacy/periods.py). The legal records' least
# is what the law asks: ten years for the share register (Code de commerce L123-22),
# the last three years' assemblies for the AG attendance sheets (R225-95).
RETENTION_BOUNDS: dict[str, tuple[int, int]] = {
    "RETENTION_SHARE_REGISTER_YEARS": (10, 50),
    "RETENTION_AG_ATTENDANCE_YEARS": (3, 50),
    "RETENTION_PROSPECT_YEARS": (1, 10),
    "RETENTION_FORMER_YEARS": (1, 30),
    "RETENTION_UNREACHABLE_YEARS": (1, 30),
    "RETENTION_OUTBOX_MONTHS": (1, 120),
    "RETENTION_INBOX_MONTHS": (1, 120),
    "RETENTION_READS_DAYS": (30, 3650),
    "RETENTION_AUDIT_YEARS": (1, 30),
}


def _retention(key: str) -> Callable[[str], int]:
    return _integer(*RETENTION_BOUNDS[key])


def _number(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"nombre attendu, pas « {raw} »") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"nombre positif ou nul attendu, pas « {raw} »")
    return value


def flag(raw: str) -> bool:
    """A yes/no value: 1/true/yes/oui/on or 0/false/no/non/off (empty: no)."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "oui", "on"):
        return True
    if value in ("", "0", "false", "no", "non", "off"):
        return False
    raise ValueError(f"1 ou 0 attendu, pas « {raw} »")


def _key_list(raw: str) -> list[str]:
    return [key.strip() for key in raw.split(",") if key.strip()]


def _http_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"adresse http:// ou https:// attendue, pas « {raw} »")
    return raw.strip().rstrip("/")


def _optional_http_url(raw: str) -> str:
    return _http_url(raw) if raw.strip() else ""


SMTP_SCHEMES = ("smtp", "smtps", "file")


def _smtp_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in SMTP_SCHEMES:
        raise ValueError(f"schéma « {parts.scheme or '(aucun)'} » inconnu : attendu "
                         + ", ".join(f"{s}://" for s in SMTP_SCHEMES))
    if parts.scheme != "file" and not parts.hostname:
        raise ValueError(f"serveur manquant dans « {raw} »")
    return raw.strip()


def _inbox_url(raw: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    scheme = urlsplit(value).scheme.lower()
    if scheme in ("imap", "imaps"):
        if not urlsplit(value).hostname:
            raise ValueError("serveur manquant dans l'adresse IMAP")
    elif "://" in value:
        raise ValueError(f"schéma « {scheme} » inconnu : attendu imap://, imaps:// ou un chemin")
    return value


def _database_url(raw: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL: SQLite in the instance folder by default, psycopg 3 for PostgreSQL."""
    if not raw:
        return "sqlite:///" + os.path.join(instance_path, "coopcrm.db")
    raw = raw.strip()
    # Operators paste libpq-style URLs; SQLAlchemy needs the driver named.
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in ("sqlite", "postgresql+psycopg"):
        raise ValueError(f"base « {scheme or raw} » non prise en charge : attendu "
                         "sqlite:///chemin ou postgresql://utilisateur@serveur/base")
    return raw


# The legal rules the colleges' shares of the votes follow (events/votes/statutes.py).
VOTE_STATUTES = ("", "scic", "scp_hlm")


def _vote_statutes(raw: str) -> str:
    value = raw.strip().lower()
    if value not in VOTE_STATUTES:
        raise ValueError(f"« {raw} » inconnu : scic, scp_hlm ou vide")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in LOG_LEVELS:
        raise ValueError(f"niveau « {raw} » inconnu : DEBUG, INFO, WARNING, ERROR ou CRITICAL")
    return value


# -- the settings --------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """One COOPCRM_* variable: the config key it fills, its default and its reader."""

    env: str
    key: str
    default: str
    read: Callable[[str], Any]
    doc: str
    secret: bool = False
    shown_default: str = ""  # for the README when the default is computed

    def value(self, environ: dict[str, str]) -> Any:
        raw = environ.get(self.env)
        if raw is None or (raw.strip() == "" and self.default != ""):
            raw = self.default
        try:
            return self.read(raw)
        except ValueError as exc:
            raise ConfigError(printable(f"{self.env} : {exc}.")) from None


def _mb_to_bytes(raw: str) -> int:
    return _integer(1)(raw) * 1024 * 1024


SETTINGS: tuple[Setting, ...] = (
    # Where things are.
    Setting("COOPCRM_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "", str,
            "e.g. `postgresql://user@host/coopcrm`", secret=True,
            shown_default="SQLite in the instance folder (`coopcrm.db`)"),
    Setting("COOPCRM_BASE_URL", "BASE_URL", "http://127.0.0.1:5000", _http_url,
            "public address used in emails; `https://…` turns on secure cookies"),
    # Secrets.
    Setting("COOPCRM_SECRET_KEY", "SECRET_KEY", "", _text,
            "signs sessions and links; required in production", secret=True,
            shown_default="random, kept in the instance folder (`secret_key`)"),
    Setting("COOPCRM_SECRET_KEY_FALLBACKS", "SECRET_KEY_FALLBACKS", "", _key_list,
            "former keys, comma-separated, still accepted during a key rotation", secret=True,
            shown_default="none"),
    # Mail.
    Setting("COOPCRM_SMTP_URL", "SMTP_URL", "smtp://127.0.0.1:1025", _smtp_url,
            "`smtp://user:pass@host:587?starttls=1`, `smtps://…`, `file:///dir` (see below)",
            secret=True),
    Setting("COOPCRM_MAIL_FROM", "MAIL_FROM", "Vie coopérative <vie-cooperative@coop.example>",
            _text, "sender of every message"),
    Setting("COOPCRM_MAIL_REPLY_TO", "MAIL_REPLY_TO", "", _text,
            "Reply-To of every message", shown_default="none"),
    Setting("COOPCRM_CONTACT_EMAIL", "CONTACT_EMAIL", "", _text,
            "address members are told to write to on public pages",
            shown_default="the address of `COOPCRM_MAIL_FROM`"),
    Setting("COOPCRM_UNSUBSCRIBE_MAILTO", "UNSUBSCRIBE_MAILTO", "", _text,
            "mailbox of the `List-Unsubscribe` mailto",
            shown_default="the address of `COOPCRM_MAIL_FROM`"),
    Setting("COOPCRM_SMTP_RATE", "SMTP_RATE", "0", _number,
            "messages per second sent by the outbox (`0`: unlimited)"),
    Setting("COOPCRM_OUTBOX_BATCH_SIZE", "OUTBOX_BATCH_SIZE", "200", _integer(1),
            "messages sent over one SMTP connection"),
    Setting("COOPCRM_OUTBOX_MAX_ATTEMPTS", "OUTBOX_MAX_ATTEMPTS", "8", _integer(1),
            "delivery attempts before a message is given up"),
    Setting("COOPCRM_BOUNCE_SOFT_LIMIT", "BOUNCE_SOFT_LIMIT", "3", _integer(1),
            "soft bounces before an address is suppressed"),
    Setting("COOPCRM_INBOX_URL", "INBOX_URL", "", _inbox_url,
            "the unsubscribe mailbox the `inbox.ingest` job reads every 5 minutes: "
            "`imaps://user:pass@host/INBOX`, `imap://…` or a maildir/mbox path",
            secret=True, shown_default="none (the job does nothing)"),
    Setting("COOPCRM_INBOX_MAX_BYTES", "INBOX_MAX_BYTES", "10485760", _integer(1024),
            "most of one received message that is read; beyond, its first bytes only"),
    Setting("COOPCRM_LOGO_URL", "LOGO_URL", "", _optional_http_url,
            "logo shown at the top of every email", shown_default="none"),
    Setting("COOPCRM_EMAILS_DIR", "EMAILS_DIR", "", _text,
            "folder of MJML templates replacing the shipped ones",
            shown_default="the shipped ones"),
    # Member links.
    Setting("COOPCRM_LINK_UNSUBSCRIBE_MAX_AGE_DAYS", "LINK_UNSUBSCRIBE_MAX_AGE_DAYS", "730",
            _integer(1), "days an unsubscribe link stays valid"),
    Setting("COOPCRM_LINK_PREFERENCES_MAX_AGE_DAYS", "LINK_PREFERENCES_MAX_AGE_DAYS", "90",
            _integer(1), "days a preferences link stays valid"),
    Setting("COOPCRM_LINK_PREFERENCES_REQUESTED_MAX_AGE_DAYS",
            "LINK_PREFERENCES_REQUESTED_MAX_AGE_DAYS", "7", _integer(1),
            "days a preferences link a member asks for from the unsubscribe page stays valid"),
    # The cooperative's own figures and documents.
    Setting("COOPCRM_COOP_NAME", "COOP_NAME", "La Coop", _text,
            "shown in the interface and emails"),
    Setting("COOPCRM_PRIVACY_NOTICE", "PRIVACY_NOTICE", "", _text,
            "the sentence ending every bulk email and member-link page: who processes the "
            "data, how to exercise one's rights", shown_default="a sentence naming the "
            "cooperative and the sender address"),
    Setting("COOPCRM_BOOKLET_URL", "BOOKLET_URL", "", _optional_http_url,
            "the livret d'accueil; the welcome email on move-in stays off until it is set",
            shown_default="none"),
    Setting("COOPCRM_COURTESY_MONTHLY_TARGET", "COURTESY_MONTHLY_TARGET", "75", _integer(0),
            "courtesy visits a month (also editable on the *Visites* page)"),
    Setting("COOPCRM_SHARE_UNIT_AMOUNT", "SHARE_UNIT_AMOUNT", "16", _text,
            "share amount quoted by newsletter N°1 when no share movement gives it"),
    Setting("COOPCRM_EVENTS_PROXY_LIMIT", "EVENTS_PROXY_LIMIT", "2", _integer(0),
            "proxies one present member may hold at an AG (the chair: no limit)"),
    Setting("COOPCRM_CONSENT_PROOF_MAX_MB", "CONSENT_PROOF_MAX_MB", "10", _integer(1),
            "largest scan of a paper consent form (PDF, JPEG or PNG), in MB"),
    Setting("COOPCRM_EVENTS_ONLINE_VOTE", "EVENTS_ONLINE_VOTE", "0", flag,
            "`1` when the statutes allow voting electronically: the member's personal link "
            "offers the postal voting form online, changeable until the deadline"),
    Setting("COOPCRM_EVENTS_COLLEGE_SHARES", "EVENTS_COLLEGE_SHARES", "", _text,
            "each college's share of an AG's votes in percent, by college code "
            "(`locataires=40,salaries=30,partenaires=30`); empty: one person, one vote",
            shown_default="none"),
    Setting("COOPCRM_EVENTS_VOTE_STATUTES", "EVENTS_VOTE_STATUTES", "", _vote_statutes,
            "rules the college shares must follow when the vote opens: `scic` (at least "
            "three colleges, none above 50 %), `scp_hlm` (users' colleges at least 51 %) "
            "or empty (they add up to 100 %)", shown_default="none"),
    Setting("COOPCRM_EVENTS_USERS_COLLEGES", "EVENTS_USERS_COLLEGES", "locataires,accedants",
            _text, "codes of the users' colleges, for the `scp_hlm` rule"),
    # Web.
    Setting("COOPCRM_MAX_UPLOAD_MB", "MAX_CONTENT_LENGTH", "40", _mb_to_bytes,
            "largest upload accepted, in MB (a 100,000-row member CSV is about 15 MB)"),
    # Member import (what a file may hold; beyond, it is refused with a French message).
    Setting("COOPCRM_IMPORT_MAX_ROWS", "IMPORT_MAX_ROWS", "200000", _integer(1),
            "member lines one import file may hold"),
    Setting("COOPCRM_IMPORT_MAX_COLUMNS", "IMPORT_MAX_COLUMNS", "200", _integer(1),
            "columns one import file may have"),
    Setting("COOPCRM_IMPORT_MAX_CELL_CHARS", "IMPORT_MAX_CELL_CHARS", "1000", _integer(1),
            "characters one cell of an import file may hold"),
    Setting("COOPCRM_IMPORT_MAX_XLSX_MB", "IMPORT_MAX_XLSX_MB", "500", _integer(1),
            "size of an imported workbook once decompressed, in MB (checked before it is "
            "opened; a member 250 times smaller compressed is refused too)"),
    Setting("COOPCRM_LOG_LEVEL", "LOG_LEVEL", "INFO", _log_level,
            "`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`, for the web process and the "
            "scheduler (stderr, one format)"),
    Setting("COOPCRM_BEHIND_PROXY", "BEHIND_PROXY", "0", flag,
            "`1`: trust `X-Forwarded-For/-Proto/-Host/-Prefix` from exactly one reverse proxy "
            "(nginx)", shown_default="`0` (off)"),
    Setting("COOPCRM_WEB_WORKERS", "WEB_WORKERS", "2", _integer(1),
            "gunicorn worker processes of `coopcrm serve` (4 threads each)"),
    # Staff accounts.
    Setting("COOPCRM_SESSION_IDLE_MINUTES", "SESSION_IDLE_MINUTES", "60", _integer(1),
            "minutes without a request after which a staff session ends (it ends anyway "
            "12 hours after sign-in)"),
    Setting("COOPCRM_ADMIN_2FA", "ADMIN_2FA", "0", flag,
            "`1`: administrators must use a second factor (TOTP app); one without is sent "
            "to enrolment after the password", shown_default="`0` (off)"),
    # Privacy: how long a legal record keeps an anonymised member's identity.
    Setting("COOPCRM_RETENTION_SHARE_REGISTER_YEARS", "RETENTION_SHARE_REGISTER_YEARS", "10",
            _retention("RETENTION_SHARE_REGISTER_YEARS"),
            "years the share register keeps an anonymised member's name and address "
            "(Code de commerce L123-22, R228-8)"),
    Setting("COOPCRM_RETENTION_AG_ATTENDANCE_YEARS", "RETENTION_AG_ATTENDANCE_YEARS", "3",
            _retention("RETENTION_AG_ATTENDANCE_YEARS"),
            "years AG attendance sheets and proxies keep an anonymised member's name "
            "(Code de commerce R225-95: the last three years' assemblies)"),
    # Privacy: retention by status (privacy/retention.py; nothing erased without approval).
    Setting("COOPCRM_RETENTION_PROSPECT_YEARS", "RETENTION_PROSPECT_YEARS", "3",
            _retention("RETENTION_PROSPECT_YEARS"),
            "years after the last contact before a prospect is proposed for anonymisation"),
    Setting("COOPCRM_RETENTION_FORMER_YEARS", "RETENTION_FORMER_YEARS", "5",
            _retention("RETENTION_FORMER_YEARS"),
            "years after the last reimbursement of shares before a former coopérateur is "
            "proposed for anonymisation"),
    Setting("COOPCRM_RETENTION_UNREACHABLE_YEARS", "RETENTION_UNREACHABLE_YEARS", "5",
            _retention("RETENTION_UNREACHABLE_YEARS"),
            "years without change before a non-coopérateur with no valid email nor postal "
            "address is proposed for anonymisation"),
    Setting("COOPCRM_RETENTION_OUTBOX_MONTHS", "RETENTION_OUTBOX_MONTHS", "12",
            _retention("RETENTION_OUTBOX_MONTHS"),
            "months after which a sent message keeps only its date, subject and status "
            "(its merge data is cleared)"),
    Setting("COOPCRM_RETENTION_INBOX_MONTHS", "RETENTION_INBOX_MONTHS", "12",
            _retention("RETENTION_INBOX_MONTHS"),
            "months after which a message of the unsubscribe mailbox keeps only its kind and "
            "dates (sender, subject and text are cleared)"),
    Setting("COOPCRM_RETENTION_READS_DAYS", "RETENTION_READS_DAYS", "365",
            _retention("RETENTION_READS_DAYS"),
            "days the journal of who opened which member file is kept (CNIL: access logs "
            "6 months to 1 year)"),
    Setting("COOPCRM_RETENTION_AUDIT_YEARS", "RETENTION_AUDIT_YEARS", "6",
            _retention("RETENTION_AUDIT_YEARS"),
            "years the history of changes to member files (the audit trail) is kept before "
            "the monthly retention job deletes its older entries"),
    # Health (GET /healthz).
    Setting("COOPCRM_HEALTH_SCHEDULER_MAX_AGE", "HEALTH_SCHEDULER_MAX_AGE", "300", _integer(1),
            "seconds without a scheduler heartbeat before `/healthz` answers 503"),
    Setting("COOPCRM_HEALTH_OUTBOX_MAX_AGE", "HEALTH_OUTBOX_MAX_AGE", "1800", _integer(1),
            "seconds a sendable email may wait in the outbox before `/healthz` answers 503"),
)

# Fixed rules, not settings: the same for every cooperative.
CONSTANTS: dict[str, Any] = {
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
    "MEMBERS_PER_PAGE": 50,
    # Sign-in throttling (coopcrm.auth.throttle): failures per LOGIN_LOCK_MINUTES, then
    # a lock of as long, for one account from one address, one address, one account.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_CLIENT_MAX_FAILURES": 20,
    "LOGIN_ACCOUNT_MAX_FAILURES": 50,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_CODE_MINUTES": 5,  # to type the TOTP code once the password was right
    "PASSWORD_MIN_LENGTH": 12,  # CNIL 2022-100, password as the only factor
    "RESET_VALID_MINUTES": 30,  # a "mot de passe oublié" link
    "RESET_MAX_REQUESTS": 3,  # links sent to one address per LOGIN_LOCK_MINUTES
    "RESET_CLIENT_MAX_REQUESTS": 10,  # requests from one client address, same window
    "SECURITY_LOG_DAYS": 365,  # the Journal de sécurité's depth (CNIL: 6 to 12 months)
    "SESSION_MAX_HOURS": 12,  # a staff session ends this long after sign-in, used or not
    # The signed cookie itself expires then too (Flask's default is 31 days).
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead; forms stay open for a while
}


def instance_path() -> str | None:
    """Where this installation keeps its data (COOPCRM_INSTANCE_PATH).

    None leaves Flask's choice: `instance/` beside a checkout, and
    `<venv>/var/coopcrm-instance` for an installed package.
    """
    configured = os.environ.get("COOPCRM_INSTANCE_PATH", "").strip()
    return os.path.abspath(configured) if configured else None


def _secret_key(configured: str, instance: str) -> str:
    """COOPCRM_SECRET_KEY, else a random key kept in the instance folder (never in the repo)."""
    if configured:
        return configured
    path = Path(instance) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load(instance: str, environ: dict[str, str] | None = None) -> dict:
    """The configuration mapping for create_app, from the environment."""
    environ = dict(os.environ if environ is None else environ)
    values = {s.key: s.value(environ) for s in SETTINGS}
    try:
        values["SQLALCHEMY_DATABASE_URI"] = _database_url(
            values["SQLALCHEMY_DATABASE_URI"], instance)
    except ValueError as exc:
        raise ConfigError(printable(f"COOPCRM_DATABASE_URL : {exc}.")) from None
    values["SECRET_KEY"] = _secret_key(values["SECRET_KEY"], instance)
    # Secure cookies follow an https BASE_URL: coopcrm.serving.init_app, after overrides.
    return {**CONSTANTS, **values}


def is_local(base_url: str) -> bool:
    """True when the public address is this machine (a demo or a developer's copy)."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def problems(environ: dict[str, str] | None = None) -> list[str]:
    """What `coopcrm config check` refuses beyond unreadable values (French, one line each)."""
    environ = dict(os.environ if environ is None else environ)
    found = []
    base_url = environ.get("COOPCRM_BASE_URL") or "http://127.0.0.1:5000"
    if not is_local(base_url):
        if not environ.get("COOPCRM_SECRET_KEY", "").strip():
            found.append("COOPCRM_SECRET_KEY manque : en production (COOPCRM_BASE_URL "
                         f"{base_url}), fixez une clé longue et secrète.")
        elif len(environ["COOPCRM_SECRET_KEY"].strip()) < 32:
            found.append("COOPCRM_SECRET_KEY est trop courte : au moins 32 caractères.")
        try:
            behind = flag(environ.get("COOPCRM_BEHIND_PROXY", ""))
        except ValueError:
            behind = True  # already reported as an unreadable value
        if urlsplit(base_url).scheme == "https" and not behind:
            # coopcrm serve speaks plain http: an https address means a proxy in front.
            # Without the setting every client is the proxy's address, and the sign-in
            # throttle, counting failures per address, would lock everyone out at once.
            found.append("COOPCRM_BASE_URL est en https, donc derrière un proxy (nginx) : "
                         "fixez COOPCRM_BEHIND_PROXY=1, sinon tous les clients ont l'adresse "
                         "du proxy et le blocage des connexions les bloquerait tous ensemble.")
    return found


def effective(config: dict) -> list[tuple[str, str]]:
    """(variable, value shown) for every setting, secrets masked."""
    rows = []
    for s in SETTINGS:
        value = config.get(s.key)
        if s.key == "MAX_CONTENT_LENGTH":
            value = config[s.key] // (1024 * 1024)  # always set (bytes), shown in MB
        if isinstance(value, list):
            shown = f"{len(value)} clé(s)" if s.secret else ", ".join(value)
        elif s.secret and value:
            shown = _mask(s.env, str(value))
        else:
            shown = "" if value is None else str(value)
        rows.append((s.env, shown or "(vide)"))
    return rows


def _mask(env: str, value: str) -> str:
    if env in ("COOPCRM_DATABASE_URL", "COOPCRM_SMTP_URL"):
        parts = urlsplit(value)
        if parts.password:
            netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return value
    return "***"
