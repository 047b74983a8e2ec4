"""Settings, read from COOPCRM_* environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _database_url(raw: str | None, instance_path: str) -> str:
    if not raw:
        return "sqlite:///" + os.path.join(instance_path, "coopcrm.db")
    # Operators paste libpq-style URLs; SQLAlchemy needs the driver named.
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


def _secret_key(instance_path: str) -> str:
    """COOPCRM_SECRET_KEY, else a random key kept in instance/ (never in the repo)."""
    key = os.environ.get("COOPCRM_SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load(instance_path: str) -> dict:
    """The configuration mapping for create_app, from the environment."""
    env = os.environ.get
    return {
        "SQLALCHEMY_DATABASE_URI": _database_url(env("COOPCRM_DATABASE_URL"), instance_path),
        "SECRET_KEY": _secret_key(instance_path),
        "BASE_URL": env("COOPCRM_BASE_URL", "http://127.0.0.1:5000"),
        "SMTP_URL": env("COOPCRM_SMTP_URL", "smtp://127.0.0.1:1025"),
        "MAIL_FROM": env("COOPCRM_MAIL_FROM", "Vie coopérative <vie-cooperative@coop.example>"),
        "COOP_NAME": env("COOPCRM_COOP_NAME", "La Coop"),
        # Sending (coopcrm.sending): replies, pace, bounces, where the MJML sources live.
        "MAIL_REPLY_TO": env("COOPCRM_MAIL_REPLY_TO", ""),
        "SMTP_RATE": float(env("COOPCRM_SMTP_RATE", "0")),  # messages/s, 0 = unlimited
        "BOUNCE_SOFT_LIMIT": int(env("COOPCRM_BOUNCE_SOFT_LIMIT", "3")),
        "OUTBOX_BATCH_SIZE": int(env("COOPCRM_OUTBOX_BATCH_SIZE", "200")),
        "OUTBOX_MAX_ATTEMPTS": int(env("COOPCRM_OUTBOX_MAX_ATTEMPTS", "8")),
        "LOGO_URL": env("COOPCRM_LOGO_URL", ""),
        "EMAILS_DIR": env("COOPCRM_EMAILS_DIR", ""),  # empty: emails/ beside the package
        # Journeys, cycle, events: the cooperative's own figures and documents.
        "COURTESY_MONTHLY_TARGET": int(env("COOPCRM_COURTESY_MONTHLY_TARGET", "75")),
        "BOOKLET_URL": env("COOPCRM_BOOKLET_URL", ""),  # the livret d'accueil, for the welcome
        "SHARE_UNIT_AMOUNT": env("COOPCRM_SHARE_UNIT_AMOUNT", "16"),
        "EVENTS_PROXY_LIMIT": int(env("COOPCRM_EVENTS_PROXY_LIMIT", "2")),
        # Task "health": /healthz thresholds in seconds (scheduler heartbeat, oldest queued email).
        "HEALTH_SCHEDULER_MAX_AGE": int(env("COOPCRM_HEALTH_SCHEDULER_MAX_AGE", "300")),
        "HEALTH_OUTBOX_MAX_AGE": int(env("COOPCRM_HEALTH_OUTBOX_MAX_AGE", "1800")),
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "MEMBERS_PER_PAGE": 50,
        # Imports: anything bigger is refused before parsing (a member file of
        # 100,000 rows is ~15 MB as CSV).
        "MAX_CONTENT_LENGTH": int(env("COOPCRM_MAX_UPLOAD_MB", "40")) * 1024 * 1024,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "PASSWORD_MIN_LENGTH": 12,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead; forms stay open for a while
    }
