"""Factories for the content-side tests of the cycle (the lead owns tests/cycle/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from coopcrm.cycle.models import Edition, NewsletterIssue
from coopcrm.extensions import db

STANDING = {
    "title": "C'est quoi la COOP ?",
    "teaser": "Nous sommes {{ nombre_cooperateurs }} coopérateurs.",
    "intro_html": "<p>Bonjour ! Nous sommes <strong>{{ nombre_cooperateurs }}</strong>.</p>",
    "sections": [{"heading": "Pourquoi {{ montant_part }} ?",
                  "body_html": "<p>Une part coûte {{montant_part}}.</p>"}],
    "image_url": "",
    "ctas": [{"label": "Nous écrire", "url": "https://coop.example/contact"}],
}


def issue(number=1, month=1, day=15, commit=True, **kw) -> NewsletterIssue:
    content = {**STANDING, **kw.pop("content", {})}
    row = NewsletterIssue(number=number, theme=kw.pop("theme", f"Thème {number}"),
                          send_month=month, send_day=day, send_hour=kw.pop("hour", 9),
                          send_minute=kw.pop("minute", 0), **content, **kw)
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


def edition(issue_, year=2027, send_dt=None, commit=True, **kw) -> Edition:
    """An edition copying the issue's standing content (what ensure_editions does)."""
    if send_dt is None:
        # 09:00 Paris in winter/summer; exactness does not matter to these tests.
        send_dt = datetime(year, issue_.send_month, issue_.send_day, 8, 0, tzinfo=UTC)
    content = {**issue_.content(), **kw.pop("content", {})}
    row = Edition(issue=issue_, year=year, send_dt=send_dt, status=kw.pop("status", "draft"),
                  **content, **kw)
    db.session.add(row)
    if commit:
        db.session.commit()
    return row
