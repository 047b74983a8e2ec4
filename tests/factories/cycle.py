"""The newsletter cycle: issues and their standing content, editions, receipts, readers."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from coopcrm import clock
from coopcrm.cycle.models import Edition, NewsletterIssue, Receipt
from coopcrm.extensions import db
from tests.factories._base import saved
from tests.factories.members import member

STANDING = {
    "title": "C'est quoi la COOP ?",
    "teaser": "Nous sommes {{ nombre_cooperateurs }} coopérateurs.",
    "intro_html": "<p>Bonjour ! Nous sommes <strong>{{ nombre_cooperateurs }}</strong>.</p>",
    "sections": [{"heading": "Pourquoi {{ montant_part }} ?",
                  "body_html": "<p>Une part coûte {{montant_part}}.</p>"}],
    "image_url": "",
    "ctas": [{"label": "Nous écrire", "url": "https://coop.example/contact"}],
}

ISSUE_DATES = {1: 1, 2: 6, 3: 9}  # number -> month, all on the 15th at 09:00 Paris


def issue(number=1, month=1, day=15, commit=True, **kw) -> NewsletterIssue:
    content = {**STANDING, **kw.pop("content", {})}
    row = NewsletterIssue(number=number, theme=kw.pop("theme", f"Thème {number}"),
                          send_month=month, send_day=day, send_hour=kw.pop("hour", 9),
                          send_minute=kw.pop("minute", 0), **content, **kw)
    return saved(row, commit)


def issues() -> dict[int, NewsletterIssue]:
    """N°1, N°2, N°3 on ISSUE_DATES with short standing content, by number."""
    made = {}
    for number, month in ISSUE_DATES.items():
        row = NewsletterIssue(number=number, theme=f"Thème {number}", send_month=month,
                              send_day=15, send_hour=9, send_minute=0,
                              title=f"La lettre N°{number}", teaser="À lire",
                              intro_html=f"<p>Contenu permanent du N°{number}.</p>",
                              sections=[], ctas=[], image_url="")
        db.session.add(row)
        made[number] = row
    db.session.commit()
    return made


def edition(issue_, year=2027, send_dt=None, commit=True, **kw) -> Edition:
    """An edition copying the issue's standing content (what ensure_editions does)."""
    if send_dt is None:
        # 09:00 Paris in winter/summer; exactness does not matter to these tests.
        send_dt = datetime(year, issue_.send_month, issue_.send_day, 8, 0, tzinfo=UTC)
    content = {**issue_.content(), **kw.pop("content", {})}
    row = Edition(issue=issue_, year=year, send_dt=send_dt, status=kw.pop("status", "draft"),
                  **content, **kw)
    return saved(row, commit)


def receipt(edition_, member_, outcome="sent", decided_dt=None, commit=True, **kw) -> Receipt:
    """The cycle's decision for one member and one edition (sent, or missed and why)."""
    row = Receipt(edition_id=edition_.id, member_id=member_.id, outcome=outcome,
                  decided_dt=decided_dt or clock.now(), **kw)
    return saved(row, commit)


def coop(signed_on, commit=True, **kw):
    """A coopérateur who signed on `signed_on`, with consent and a valid address.

    Returns a plain reference (`.id`): the job's session ends with each tick,
    so ORM objects from before it cannot be read after.
    """
    kw.setdefault("status", "cooperateur")
    kw.setdefault("share_count", 1)
    kw.setdefault("newsletter_consent", True)
    row = member(reservation_signed_on=signed_on, commit=commit, **kw)
    if not commit:
        db.session.flush()
    return SimpleNamespace(id=row.id)
