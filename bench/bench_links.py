"""Cost of the per-recipient links of a bulk email, and of checking one on a click.

Signed links write nothing; this measures the CPU they add to a send of
100,000 emails (compare: building one MIME message costs 2-5 ms).
"""

from __future__ import annotations

import time


def _per_call_us(fn, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i + 1)
    return round((time.perf_counter() - start) / n * 1e6, 2)


def run() -> dict:
    from coopcrm import create_app
    from coopcrm.links import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench"})
    n = 20_000
    with app.app_context():
        links_us = _per_call_us(services.member_links, n)
        url_us = _per_call_us(services.unsubscribe_url, n)
        token = services.sign(42, services.UNSUBSCRIBE)
        verify_us = _per_call_us(lambda _i: services.verify(token, services.UNSUBSCRIBE), n)
    return {
        "unsubscribe_url_us": url_us,
        "member_links_us (3 links, 2 signatures)": links_us,
        "verify_us": verify_us,
        "member_links_for_100k_recipients_s": round(links_us * 100_000 / 1e6, 2),
    }
