"""« Messages reçus »: what the unsubscribe mailbox received, for referents.

Text only: a message's subject and excerpt are stored as plain text
(inbox/reading.py) and autoescaped; nothing received is rendered as HTML.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coopcrm import ui
from coopcrm.auth.access import editor_required
from coopcrm.extensions import db
from coopcrm.inbox import services
from coopcrm.inbox.forms import HandledForm
from coopcrm.inbox.models import KINDS, InboundMessage
from coopcrm.pagination import paginate
from coopcrm.params import int_arg
from coopcrm.views import transaction

bp = Blueprint("inbox", __name__)
ui.register_nav(bp, "inbox.index", "Messages reçus", order=85)

PER_PAGE = 50


def _visible(inbound_id: int) -> InboundMessage:
    message = services.seen_by(current_user, inbound_id)
    if message is None:
        abort(404)
    return message


@bp.route("/messages-recus")
@login_required
def index():
    kind = request.args.get("type", "")
    kind = kind if kind in KINDS else ""
    pending = request.args.get("a_traiter") == "1"
    page = paginate(db.session, services.listing(current_user, kind, pending),
                    int_arg("page", 1) or 1, PER_PAGE)
    return render_template("inbox/index.html", page=page, kinds=KINDS, kind=kind,
                           pending=pending, form=HandledForm(),
                           pending_count=services.pending_count(current_user))


@bp.route("/messages-recus/<id:inbound_id>")
@login_required
def show(inbound_id: int):
    return render_template("inbox/show.html", message=_visible(inbound_id), form=HandledForm())


@bp.route("/messages-recus/<id:inbound_id>/traite", methods=["POST"])
@editor_required
def handled(inbound_id: int):
    message = _visible(inbound_id)
    form = HandledForm()
    if form.validate_on_submit():
        with transaction() as saved:
            changed = services.mark_handled(message, current_user)
        if saved.ok:
            flash("Message marqué comme traité." if changed else "Ce message était déjà traité.",
                  "success")
    else:
        flash("Le formulaire a expiré : recommencez.", "error")
    return redirect(url_for(".show", inbound_id=message.id))
