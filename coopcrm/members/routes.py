"""Member list and member page (thin views over members.query and services)."""

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from coopcrm.extensions import db
from coopcrm.members import lookups
from coopcrm.members.models import EMAIL_STATUSES, STATUSES, TRACKS
from coopcrm.members.query import MemberFilter, members_query, paginate
from coopcrm.members.scoping import get_member

bp = Blueprint("members", __name__)


@bp.route("/membres")
@login_required
def index():
    f, errors = MemberFilter.parse(request.args)
    page = paginate(
        db.session,
        members_query(current_user, f),
        request.args.get("page", 1, type=int),
        current_app.config["MEMBERS_PER_PAGE"],
    )
    return render_template(
        "members/index.html",
        f=f,
        errors=errors,
        page=page,
        entities=lookups.entities_for(current_user),
        residences=lookups.residences_for(current_user),
        colleges=lookups.colleges(),
        tracks=TRACKS,
        statuses=STATUSES,
    )


@bp.route("/membres/<int:member_id>")
@login_required
def show(member_id: int):
    member = get_member(current_user, member_id)
    return render_template(
        "members/show.html",
        member=member,
        tracks=TRACKS,
        statuses=STATUSES,
        email_statuses=EMAIL_STATUSES,
    )


@bp.route("/import")
@login_required
def import_upload():
    return "Import"
