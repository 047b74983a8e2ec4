"""Segments: saved member filters, listed with their current size."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coopcrm.auth.access import editor_required
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.query import audience_filter
from coopcrm.segments import services
from coopcrm.segments.forms import SegmentNameForm
from coopcrm.segments.models import Segment

bp = Blueprint("segments", __name__)


@bp.route("/segments")
@login_required
def index():
    rows = [(s, services.count(s, current_user), services.describe(s.filters))
            for s in services.all_segments()]
    return render_template("segments/index.html", rows=rows)


@bp.route("/segments/nouveau", methods=["GET", "POST"])
@editor_required
def new():
    # The filter travels in the query string, exactly as on the members list.
    f = audience_filter(request.args)
    form = SegmentNameForm()
    if form.validate_on_submit():
        try:
            segment = services.create(form.name.data, f, current_user)
            db.session.commit()
        except ValidationFailed as failed:
            db.session.rollback()
            form.name.errors = [*form.name.errors, *failed.errors.values()]
        else:
            flash(f"Segment « {segment.name} » enregistré.", "success")
            return redirect(url_for("segments.index"))
    probe = Segment(filters=f.to_dict())
    return render_template(
        "segments/new.html", form=form, f=f, criteria=services.describe(probe.filters),
        count=services.count(probe, current_user),
    ), 422 if form.errors else 200


@bp.route("/segments/<id:segment_id>", endpoint="open")
@login_required
def open_segment(segment_id: int):
    segment = _get(segment_id)
    return redirect(url_for("members.index", **segment.filters))


@bp.route("/segments/<id:segment_id>/renommer", methods=["GET", "POST"])
@editor_required
def rename(segment_id: int):
    segment = _get(segment_id)
    form = SegmentNameForm(obj=segment)
    if form.validate_on_submit():
        try:
            services.rename(segment, form.name.data)  # type: ignore[arg-type]  # validated: a str
            db.session.commit()
        except ValidationFailed as failed:
            db.session.rollback()
            form.name.errors = [*form.name.errors, *failed.errors.values()]
        else:
            flash("Segment renommé.", "success")
            return redirect(url_for("segments.index"))
    return render_template("segments/rename.html", form=form, segment=segment), \
        422 if form.errors else 200


@bp.route("/segments/<id:segment_id>/supprimer", methods=["GET", "POST"])
@editor_required
def delete(segment_id: int):
    segment = _get(segment_id)
    if request.method == "POST":
        name = segment.name
        services.delete(segment)
        db.session.commit()
        flash(f"Segment « {name} » supprimé. Les coopérateurs ne sont pas touchés.", "success")
        return redirect(url_for("segments.index"))
    return render_template("segments/delete.html", segment=segment,
                           count=services.count(segment, current_user),
                           criteria=services.describe(segment.filters))


def _get(segment_id: int) -> Segment:
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        abort(404)
    return segment
