"""What every page reached by a member's personal link sends back."""

from __future__ import annotations


def private_link_headers(response):
    """`after_request` for link pages: the token is in the URL, so keep it out of caches,
    search engines and Referer headers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
