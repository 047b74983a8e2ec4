"""Segments: saved member filters, listed with their current size."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coopcrm import ui
from coopcrm.auth.access import editor_required
from coopcrm.members.query import audience_filter
from coopcrm.members.scoping import get_changeable, get_owned
from coopcrm.segments import services
from coopcrm.segments.forms import NewSegmentForm, SegmentNameForm
from coopcrm.segments.models import Segment
from coopcrm.views import render_form, transaction

bp = Blueprint("segments", __name__)
ui.register_nav(bp, "segments.index", "Segments", order=30)


@bp.route("/segments")
@login_required
def index():
    rows = [(s, services.count(s, current_user), services.describe(s.filters))
            for s in services.visible_segments(current_user)]
    return render_template("segments/index.html", rows=rows)


@bp.route("/segments/nouveau", methods=["GET", "POST"])
@editor_required
def new():
    # The filter travels in the query string, exactly as on the members list.
    f = audience_filter(request.args)
    form = NewSegmentForm()
    form.entity_id.fill(current_user)
    if form.validate_on_submit():
        with transaction(form, fallback=form.name) as saved:
            segment = services.create(form.name.data, f, current_user, form.entity_id.data)
        if saved.ok:
            flash(f"Segment « {segment.name} » enregistré.", "success")
            return redirect(url_for("segments.index"))
    probe = Segment(filters=f.to_dict(), entity_id=form.entity_id.data)
    return render_form("segments/new.html", form, f=f, criteria=services.describe(probe.filters),
                       count=services.count(probe, current_user))


@bp.route("/segments/<id:segment_id>", endpoint="open")
@login_required
def open_segment(segment_id: int):
    segment = get_owned(Segment, segment_id, current_user)
    return redirect(url_for("members.index", **segment.filters))


@bp.route("/segments/<id:segment_id>/renommer", methods=["GET", "POST"])
@editor_required
def rename(segment_id: int):
    segment = get_changeable(Segment, segment_id, current_user)
    form = SegmentNameForm(obj=segment)
    if form.validate_on_submit():
        with transaction(form, fallback=form.name) as saved:
            services.rename(segment, form.name.data)
        if saved.ok:
            flash("Segment renommé.", "success")
            return redirect(url_for("segments.index"))
    return render_form("segments/rename.html", form, segment=segment)


@bp.route("/segments/<id:segment_id>/supprimer", methods=["GET", "POST"])
@editor_required
def delete(segment_id: int):
    segment = get_changeable(Segment, segment_id, current_user)
    if request.method == "POST":
        name = segment.name
        with transaction() as saved:
            services.delete(segment)
        if saved.ok:
            flash(f"Segment « {name} » supprimé. Les coopérateurs ne sont pas touchés.", "success")
        return redirect(url_for("segments.index"))
    return render_template("segments/delete.html", segment=segment,
                           count=services.count(segment, current_user),
                           criteria=services.describe(segment.filters))
