"""What every page reached by a member's personal link sends back."""

from __future__ import annotations

from email.utils import parseaddr

from flask import current_app


def contact_email() -> str:
    """The address a member is told to write to (COOPCRM_CONTACT_EMAIL, else the sender's)."""
    config = current_app.config
    return config.get("CONTACT_EMAIL") or parseaddr(config["MAIL_FROM"])[1]


def private_link_headers(response):
    """`after_request` for link pages: the token is in the URL, so keep it out of caches,
    search engines and Referer headers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
