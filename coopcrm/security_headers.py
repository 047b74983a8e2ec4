"""Security headers on every response (the app's, and the mail catcher's).

Pages run no inline script and no inline style: the Content-Security-Policy allows
the app's own static files only, so injected markup can neither run nor restyle
anything. An email's HTML (outbox and newsletter previews, the mail catcher) is
untrusted and full of inline styles: it is served on its own, with the email policy,
to the app's sandboxed frames only (`email_frame`).

Headers a view or a blueprint already set win: the member-link pages send their own
`Referrer-Policy: no-referrer` (`coopcrm.links.web`), an email frame its own policy.
"""

from __future__ import annotations

from flask import Flask, Response

PAGE_CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # A newsletter's images live on other sites (its public archive page shows them).
    "img-src 'self' https:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
# No script, no form, no plugin, an opaque origin of its own (sandbox); inline styles
# and remote images only, so that it looks as in the member's mailbox.
EMAIL_CSP = "; ".join((
    "sandbox",
    "default-src 'none'",
    "img-src data: http: https:",
    "style-src 'unsafe-inline'",
    "font-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
))
# One year; no includeSubDomains: other hosts of the cooperative's domain are not ours.
HSTS = "max-age=31536000"


def email_frame(html: str) -> Response:
    """An email's HTML as the response of a page the app frames itself (`<iframe sandbox>`)."""
    return Response(html, mimetype="text/html", headers={
        "Content-Security-Policy": EMAIL_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "no-referrer",
    })


def add_headers(response: Response, *, hsts: bool = False) -> Response:
    """The security headers `response` lacks; `hsts` when the public address is https."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", PAGE_CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers["X-Content-Type-Options"] = "nosniff"
    if hsts:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Send the security headers on every response of `app`."""
    from coopcrm.serving import uses_https

    hsts = uses_https(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        return add_headers(response, hsts=hsts)
