"""Campaign pages anyone may open (no login): the public archive, and the click counter.

The archive lists the campaigns a referent published; an unpublished one answers 404,
the same page as one that never existed. `/c/<campaign>/<n>` counts a click on link n
of a launched campaign's body and redirects to it (campaigns.clicks): only the
addresses of that body are reachable, and nothing says who clicked.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request
from markupsafe import Markup

from coopcrm.campaigns import archive, clicks
from coopcrm.extensions import db

bp = Blueprint("campaign_public", __name__)

# Link numbers in a redirect: a body holds far fewer links (blocks.document.MAX_BLOCKS).
MAX_LINK = 10_000


@bp.route("/archives/campagnes")
def index():
    return render_template("campaign_public/index.html",
                           campaigns=list(db.session.scalars(archive.published())))


@bp.route("/archives/campagnes/<id:campaign_id>")
def show(campaign_id: int):
    campaign = archive.find(campaign_id)
    if campaign is None:
        return render_template("campaign_public/404.html"), 404
    # Built from escaped, checked parts by blocks.compiling.web_html: no stored HTML as is.
    body = Markup(archive.page_html(campaign))
    return render_template("campaign_public/show.html", campaign=campaign, body=body)


@bp.route(f"/c/<id:campaign_id>/<int(min=1, max={MAX_LINK}):position>")
def follow(campaign_id: int, position: int):
    """One click on a campaign's link, counted (GET only: a HEAD is a robot's check)."""
    url = clicks.follow(campaign_id, position, count=request.method == "GET")
    if url is None:
        abort(404)
    db.session.commit()
    response = redirect(url, code=302)
    # Each click reaches us, none is cached. The Referer the site gets follows the page
    # policy (same-origin: none to another site).
    response.headers["Cache-Control"] = "no-store"
    return response
