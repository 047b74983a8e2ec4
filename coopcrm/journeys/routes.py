"""Moments on the member page: log, plan, mark done, cancel, reschedule (thin views)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coopcrm import clock, fr, ui
from coopcrm.auth.access import editor_required
from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys import services
from coopcrm.journeys.forms import RECORD_STATUSES, DateForm, MomentForm, NotesForm
from coopcrm.journeys.models import CHANNELS, Moment, MomentType
from coopcrm.members.models import TRACKS
from coopcrm.members.scoping import get_member
from coopcrm.params import int_arg
from coopcrm.views import render_form, transaction

bp = Blueprint("journeys", __name__)


def _timeline_panel(member) -> dict:
    """The member page's journey: the timeline as of today (Paris) and a blank
    "Noter un moment" form (done, today, followed by the current user)."""
    return {"tl": services.timeline(member, clock.today()), "form": _blank_form(member)}


ui.register_globals(bp, moment_channels=CHANNELS, member_tracks=TRACKS)
ui.register_member_panel(bp, "moments", "journeys/_timeline.html", _timeline_panel, order=10)


# --- member moments -----------------------------------------------------------


@bp.route("/membres/<id:member_id>/moments/nouveau")
@editor_required
def new(member_id: int):
    """The form alone, prefilled from the timeline ("Planifier" an expected moment)."""
    member = get_member(current_user, member_id)
    form = _blank_form(member)
    type_id = int_arg("type")
    if type_id is not None:
        form.type_id.data = type_id
    if request.args.get("statut") in RECORD_STATUSES:
        form.status.data = request.args["statut"]
    return render_template("journeys/new.html", member=member, form=form)


@bp.route("/membres/<id:member_id>/moments", methods=["POST"])
@editor_required
def record(member_id: int):
    member = get_member(current_user, member_id)
    form = MomentForm()
    form.fill_choices(member.track)
    if form.validate_on_submit():
        with transaction(form) as saved:
            moment = services.record(
                member,
                _moment_type(form.type_id.data),
                status=form.status.data,
                occurs_on=form.occurs_on.data,
                channel=form.channel.data or "",
                owner=_owner(form.owner_id.data),
                notes=form.notes.data or "",
                user=current_user,
            )
        if saved.ok:
            when = fr.date(moment.occurs_on)
            if moment.status == "done":
                flash(f"Moment noté : « {moment.type.label} », réalisé le {when}.", "success")
            else:
                flash(f"Moment prévu : « {moment.type.label} », le {when}.", "success")
            return _back(member)
    flash("Le moment n'a pas été enregistré : corrigez le formulaire.", "error")
    return render_template("journeys/new.html", member=member, form=form), 422


@bp.route("/membres/<id:member_id>/moments/<id:moment_id>/realise", methods=["POST"])
@editor_required
def complete(member_id: int, moment_id: int):
    """One click: the planned moment happened today."""
    member, moment = _moment(member_id, moment_id)
    form = NotesForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as saved:
        services.complete(moment, clock.today(), current_user, notes=form.notes.data)
    if saved.ok:
        flash(f"« {moment.type.label} » marqué comme réalisé aujourd'hui.", "success")
    return _back(member)


@bp.route("/membres/<id:member_id>/moments/<id:moment_id>/annuler", methods=["GET", "POST"])
@editor_required
def cancel(member_id: int, moment_id: int):
    """A confirmation page, then the cancellation."""
    member, moment = _moment(member_id, moment_id)
    form = NotesForm()
    if form.validate_on_submit():
        with transaction() as saved:
            services.cancel(moment, current_user)
        if saved.ok:
            flash(f"« {moment.type.label} » du {fr.date(moment.occurs_on)} annulé.", "success")
        return _back(member)
    if moment.status != "planned":
        flash("Seul un moment prévu peut être annulé.", "error")
        return _back(member)
    return render_template("journeys/cancel.html", member=member, moment=moment, form=form)


@bp.route("/membres/<id:member_id>/moments/<id:moment_id>/reporter", methods=["GET", "POST"])
@editor_required
def reschedule(member_id: int, moment_id: int):
    member, moment = _moment(member_id, moment_id)
    if moment.status != "planned":
        flash("Seul un moment prévu peut être reporté.", "error")
        return _back(member)
    form = DateForm(occurs_on=moment.occurs_on)
    if form.validate_on_submit():
        with transaction(form) as saved:
            services.reschedule(moment, form.occurs_on.data, current_user)
        if saved.ok:
            flash(f"« {moment.type.label} » reporté au {fr.date(moment.occurs_on)}.", "success")
            return _back(member)
    return render_form("journeys/reschedule.html", form, member=member, moment=moment)


# --- helpers ------------------------------------------------------------------


def _blank_form(member) -> MomentForm:
    form = MomentForm(formdata=None, status="done", occurs_on=clock.today(),
                      owner_id=current_user.id if current_user.is_authenticated else None)
    form.fill_choices(member.track)
    return form


def _moment(member_id: int, moment_id: int):
    """The member (scoped: 404 outside the user's entities) and one of their moments."""
    member = get_member(current_user, member_id)
    moment = db.session.get(Moment, moment_id)
    if moment is None or moment.member_id != member.id:
        abort(404)
    return member, moment


def _moment_type(type_id: int | None) -> MomentType | None:
    return db.session.get(MomentType, type_id) if type_id and type_id > 0 else None


def _owner(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    owner = db.session.get(User, user_id) if user_id > 0 else None
    if owner is None:
        raise ValidationFailed({"owner_id": "Choisissez la personne qui suit ce moment."})
    return owner


def _back(member):
    return redirect(url_for("members.show", member_id=member.id, _anchor="moments"))

