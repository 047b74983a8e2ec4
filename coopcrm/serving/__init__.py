"""Serving: reverse-proxy trust and secure cookies (here), gunicorn (server.py), the
development server (development.py)."""

from __future__ import annotations

from flask import Flask

from coopcrm.config import flag
from coopcrm.logs import StartupError, shown


def parse_flag(name: str, value) -> bool:
    """A yes/no setting read as config.flag reads it (or a bool from the tests)."""
    if isinstance(value, bool):
        return value
    try:
        return flag(str(value or ""))
    except ValueError:
        raise StartupError(
            f"{name} invalide « {shown(value)} » : mettre 1 (oui) ou 0 (non).") from None


def uses_https(app: Flask) -> bool:
    """Whether the public address (COOPCRM_BASE_URL) is https."""
    return str(app.config.get("BASE_URL", "")).lower().startswith("https://")


def init_app(app: Flask) -> None:
    """Secure cookies when the public address is https; ProxyFix when behind a proxy.

    Without COOPCRM_BEHIND_PROXY nothing trusts X-Forwarded-*: anyone can send them,
    and the client address in the access log would be theirs to pick.
    """
    if uses_https(app):
        # Browsers then never send the session over plain http.
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                          PREFERRED_URL_SCHEME="https")
    behind = parse_flag("COOPCRM_BEHIND_PROXY", app.config.get("BEHIND_PROXY"))
    app.config["BEHIND_PROXY"] = behind
    if behind:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Exactly one proxy (nginx on the same machine): trust its last hop only.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # the documented Flask way
            app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)
