"""Referent pages of the AG's votes: resolutions, opening the vote, postal forms keyed in,
the room's totals by college (two entries), the results."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from coopcrm import clock
from coopcrm.auth.access import editor_required
from coopcrm.errors import ValidationFailed
from coopcrm.events import query
from coopcrm.events.forms import parse_time
from coopcrm.events.models import Event, Resolution
from coopcrm.events.votes import forms, majority, services
from coopcrm.extensions import db
from coopcrm.letters import services as paper
from coopcrm.members.scoping import get_changeable, get_member, get_owned
from coopcrm.views import download_pdf, render_form, transaction

bp = Blueprint("votes", __name__)


def _ag(event_id: int, change: bool = False) -> Event:
    event = (get_changeable if change else get_owned)(Event, event_id, current_user)
    if not event.is_ag:
        abort(404)
    return event


def _resolution(event: Event, resolution_id: int) -> Resolution:
    found = db.session.get(Resolution, resolution_id)
    if found is None or found.event_id != event.id:
        abort(404)
    return found


@bp.route("/evenements/<id:event_id>/resolutions")
@login_required
def index(event_id: int):
    event = _ag(event_id)
    return render_template("votes/index.html", event=event, deadline_form=forms.DeadlineForm(),
                           deadline=services.postal_deadline(event),
                           voters=services.voter_count(event),
                           postal=services.postal_count(event))


def _save_resolution(event: Event, resolution: Resolution | None):
    form = forms.ResolutionForm(obj=resolution)
    if request.method == "GET" and resolution is None:
        form.majority.data = services.default_majority(event)
    if form.validate_on_submit():
        with transaction(form, fallback=None) as saved:
            services.save_resolution(event, form.to_data(), resolution)
        if saved.ok:
            flash("Résolution enregistrée.", "success")
            return redirect(url_for("votes.index", event_id=event.id))
    return render_form("votes/resolution_form.html", form, event=event, resolution=resolution)


@bp.route("/evenements/<id:event_id>/resolutions/nouvelle", methods=["GET", "POST"])
@editor_required
def new_resolution(event_id: int):
    return _save_resolution(_ag(event_id, change=True), None)


@bp.route("/evenements/<id:event_id>/resolutions/<id:resolution_id>/modifier",
          methods=["GET", "POST"])
@editor_required
def edit_resolution(event_id: int, resolution_id: int):
    event = _ag(event_id, change=True)
    return _save_resolution(event, _resolution(event, resolution_id))


@bp.route("/evenements/<id:event_id>/resolutions/<id:resolution_id>/supprimer",
          methods=["POST"])
@editor_required
def delete_resolution(event_id: int, resolution_id: int):
    event = _ag(event_id, change=True)
    resolution = _resolution(event, resolution_id)
    with transaction() as saved:
        services.delete_resolution(resolution)
    if saved.ok:
        flash("Résolution supprimée.", "success")
    return redirect(url_for("votes.index", event_id=event.id))


@bp.route("/evenements/<id:event_id>/vote/date-limite", methods=["POST"])
@editor_required
def deadline(event_id: int):
    event = _ag(event_id, change=True)
    form = forms.DeadlineForm()
    if form.validate_on_submit():
        when = parse_time(form.at.data)
        with transaction() as saved:
            if form.day.data is None or when is None:
                raise ValidationFailed({"day": "Indiquez le jour (JJ/MM/AAAA) et l'heure."})
            services.set_postal_deadline(event, datetime.combine(
                form.day.data, when, tzinfo=clock.PARIS).astimezone(UTC))
        if saved.ok:
            flash("Date limite enregistrée.", "success")
    return redirect(url_for("votes.index", event_id=event.id))


@bp.route("/evenements/<id:event_id>/vote/ouvrir", methods=["POST"])
@editor_required
def open_vote(event_id: int):
    event = _ag(event_id, change=True)
    with transaction() as saved:
        n = services.open_vote(event, clock.now())
    if saved.ok:
        flash(f"Vote ouvert : {n} coopérateur(s) ont le droit de vote (liste figée).", "success")
    return redirect(url_for("votes.index", event_id=event.id))


# --- postal forms keyed in --------------------------------------------------


def _coded_member(event: Event, code: str):
    """The member of a form's code, if the user may see them; else ValidationFailed, with no
    name (another entity's code reads as unknown)."""
    member_id = services.member_for_code(event, code)
    try:
        return get_member(current_user, member_id)
    except NotFound:
        raise ValidationFailed({"code": "Code inconnu : vérifiez-le sur le formulaire."}) \
            from None


@bp.route("/evenements/<id:event_id>/vote/correspondance", methods=["GET", "POST"])
@editor_required
def postal(event_id: int):
    # The group's AG too: each entity's referents key in their own members' forms.
    event = _ag(event_id)
    form = forms.postal_form(event.resolutions)
    if not form.validate_on_submit():
        return render_form("votes/postal.html", form, event=event, member=None,
                           deadline=services.postal_deadline(event))
    choices = forms.postal_choices(form, event.resolutions)
    member = None
    with transaction(form) as done:
        member = _coded_member(event, form.code.data or "")
        if form.step.data == "save":
            services.record_postal(event, member, choices, clock.now(), "paper", current_user)
        else:
            services.check_postal(event, member, choices, "paper", clock.now())
    if done.ok and form.step.data == "save":
        flash(f"Formulaire de {member.full_name} enregistré.", "success")
        return redirect(url_for("votes.postal", event_id=event.id))
    # The check screen: the same form, read back before it is saved.
    return render_form("votes/postal.html", form, event=event,
                       member=member if done.ok else None, choices=choices,
                       labels=majority.CHOICES, deadline=services.postal_deadline(event))


@bp.route("/evenements/<id:event_id>/vote/formulaires.pdf")
@login_required
def postal_forms_pdf(event_id: int):
    event = _ag(event_id)
    deadline = services.postal_deadline(event)
    members = [m for m in query.letter_members(event, current_user, every_channel=True)
               if m.status == "cooperateur"]
    found = sorted((paper.letter_for(m, render_template(
        "votes/_postal_form_body.html", m=m, event=event, deadline=deadline,
        code=services.postal_code(event, m.id))) for m in members), key=paper.sort_key)
    document = paper.merged_pdf(found, title=f"Votes par correspondance — {event.title}",
                                dated=clock.today())
    return download_pdf(document, f"votes-correspondance-{event.id}.pdf", rows=len(found))


# --- the room's totals and the results --------------------------------------


@bp.route("/evenements/<id:event_id>/resolutions/<id:resolution_id>/salle",
          methods=["GET", "POST"])
@editor_required
def room(event_id: int, resolution_id: int):
    event = _ag(event_id, change=True)
    resolution = _resolution(event, resolution_id)
    colleges = services.colleges(event)
    keys = [c.key for c in colleges]
    form = forms.room_form(keys)
    if form.validate_on_submit():
        entry = 2 if form.entry.data == "2" else 1
        with transaction(form, fallback=None) as saved:
            services.record_tally(resolution, entry, forms.room_totals(form, keys), clock.now(),
                                  current_user)
        if saved.ok:
            flash(f"Saisie n° {entry} enregistrée.", "success")
            return redirect(url_for("votes.room", event_id=event.id,
                                    resolution_id=resolution.id))
    entries = services.tallies(resolution)
    return render_form("votes/room.html", form, event=event, resolution=resolution,
                       colleges=colleges, entries=entries,
                       outcome=next(o for o in services.results(event)
                                    if o.resolution.id == resolution.id))


@bp.route("/evenements/<id:event_id>/resultats")
@login_required
def results(event_id: int):
    event = _ag(event_id)
    return render_template("votes/results.html", event=event, outcomes=services.results(event),
                           voters=services.voter_count(event), labels=majority.CHOICES,
                           votes_fr=majority.votes_fr)
