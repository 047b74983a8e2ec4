"""The public web archive of published newsletter editions (no login)."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, render_template
from markupsafe import Markup
from sqlalchemy import select

from coopcrm import clock
from coopcrm.cycle.content import clean_html
from coopcrm.cycle.models import Edition, NewsletterIssue
from coopcrm.extensions import db

bp = Blueprint("archive", __name__)


def _published():
    """Editions whose content is frozen and whose send time has come, newest first."""
    return (select(Edition).join(Edition.issue)
            .where(Edition.frozen_dt.is_not(None), Edition.frozen_content.is_not(None),
                   Edition.send_dt <= clock.now())
            .order_by(Edition.send_dt.desc()))


def _not_found():
    return render_template("archive/404.html"), 404


@bp.route("/lettres")
def index():
    editions = list(db.session.scalars(_published()))
    years = [(year, list(group)) for year, group in groupby(editions, key=lambda e: e.year)]
    return render_template("archive/index.html", years=years)


@bp.route("/lettres/<int(min=1, max=9999):year>/<int(min=1, max=99):number>")
def show(year: int, number: int):
    edition = db.session.scalar(_published().where(Edition.year == year,
                                                   NewsletterIssue.number == number))
    if edition is None:
        return _not_found()
    content = edition.frozen_content or {}
    # Sanitised when frozen; cleaned again here so the page never trusts stored HTML. A block
    # document left its page in `archive_html` (the email's body is a template, not a page).
    body = Markup(clean_html(content.get("archive_html") or content.get("body_html")))
    others = [e for e in db.session.scalars(_published()) if e.id != edition.id]
    return render_template("archive/show.html", edition=edition, content=content,
                           body=body, others=others)
