"""Referent pages for events and the AG."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from coopcrm import clock, fr, ui
from coopcrm.auth.access import editor_required
from coopcrm.errors import ValidationFailed
from coopcrm.events import checkin, query, quorum, services, timeline
from coopcrm.events.forms import EventForm
from coopcrm.events.models import Event
from coopcrm.letters import services as paper
from coopcrm.members.models import Member
from coopcrm.members.scoping import get_changeable, get_member, get_owned, seen_by
from coopcrm.params import parse_int
from coopcrm.views import download, download_pdf, render_form, transaction

bp = Blueprint("events", __name__)

ui.register_globals(bp, events_now=clock.now)
ui.register_member_panel(bp, "evenements", "events/_member_events.html",
                         lambda member: {"rows": checkin.member_events(member, current_user)},
                         order=40)
ui.register_nav(bp, "events.index", "Événements", order=70)


@bp.app_template_filter("votes_fr")
def _votes_fr(value):
    return quorum.votes_fr(value)


@bp.route("/evenements")
@login_required
def index():
    upcoming, past = query.upcoming_and_past(clock.now(), current_user)
    return render_template("events/index.html", upcoming=upcoming, past=past,
                           series=services.all_series(current_user))


def _save(form: EventForm, event: Event | None):
    data, errors = form.to_data()
    if form.is_submitted() and form.validate():
        with transaction(form, fallback=None,
                         aliases={"starts_dt": "day", "ends_dt": "end_time"}) as outcome:
            if errors:
                raise ValidationFailed(errors)
            saved = services.save(data, current_user, event)
        if outcome.ok:
            flash("Événement enregistré.", "success")
            return redirect(url_for("events.show", event_id=saved.id))
    return None


@bp.route("/evenements/nouveau", methods=["GET", "POST"])
@editor_required
def new():
    form = EventForm()
    form.fill_choices(current_user)
    return _save(form, None) or render_form("events/form.html", form, event=None)


@bp.route("/evenements/<id:event_id>/modifier", methods=["GET", "POST"])
@editor_required
def edit(event_id: int):
    event = get_changeable(Event, event_id, current_user)
    form = EventForm(obj=event)
    form.fill_choices(current_user, event)
    if request.method == "GET":
        form.load(event)
    return _save(form, event) or render_form("events/form.html", form, event=event)


@bp.route("/evenements/<id:event_id>")
@login_required
def show(event_id: int):
    event = get_owned(Event, event_id, current_user)
    invs = query.invitations_seen_by(event, current_user)
    unmatched = [i for i in invs if i.response == "proxy" and not i.proxy_chair
                 and i.proxy_member_id is None]
    return render_template(
        "events/show.html", event=event, steps=timeline.schedule_fr(event),
        counts=services.response_counts(event, current_user), invitations=invs,
        unmatched=unmatched, seen=seen_by(current_user),
        quorum=checkin.quorum_for(event) if event.is_ag else None,
        by_college=checkin.participation_by_college(event, current_user))


@bp.route("/evenements/<id:event_id>/annuler", methods=["GET", "POST"])
@editor_required
def cancel(event_id: int):
    event = get_changeable(Event, event_id, current_user)
    if request.method == "POST":
        with transaction() as saved:
            services.cancel(event)
        if saved.ok:
            flash("Événement annulé : plus aucun envoi ne partira.", "success")
        return redirect(url_for("events.show", event_id=event.id))
    return render_template("events/cancel.html", event=event)


@bp.route("/evenements/<id:event_id>/liste", methods=["POST"])
@editor_required
def prepare_list(event_id: int):
    event = get_changeable(Event, event_id, current_user)
    with transaction() as saved:
        n = services.ensure_invitations(event)
    if saved.ok:
        flash(f"{n} invité(s) ajouté(s) à la liste.", "success")
    return redirect(url_for("events.show", event_id=event.id))


# --- check-in desk ----------------------------------------------------------


@bp.route("/evenements/<id:event_id>/accueil")
@editor_required
def desk(event_id: int):
    # The group's AG too: each entity's referents check in their own members.
    event = get_owned(Event, event_id, current_user)
    q = request.args.get("q", "").strip()
    rows = checkin.search(event, q, current_user) if q else []
    return render_template("events/desk.html", event=event, q=q, rows=rows,
                           present=checkin.present_members(event, current_user),
                           seen=seen_by(current_user),
                           quorum=checkin.quorum_for(event) if event.is_ag else None,
                           limit=checkin.proxy_limit())


@bp.route("/evenements/<id:event_id>/accueil/<id:member_id>", methods=["POST"])
@editor_required
def desk_action(event_id: int, member_id: int):
    event = get_owned(Event, event_id, current_user)  # the members and holders: checkin
    action = request.form.get("action", "")
    member = get_member(current_user, member_id)
    with transaction() as saved:
        if action in ("in_person", "remote"):
            checkin.mark_present(event, member_id, action, current_user)
            where = "sur place" if action == "in_person" else "à distance"
            message = f"{member.full_name} : présent(e) {where}."
        elif action == "proxy":
            holder = request.form.get("holder", "")
            chair = holder == "chair"
            try:
                holder_id = None if chair else parse_int(holder)
            except ValueError:
                holder_id = None  # no such member: the check-in says to choose one
            checkin.mark_represented(event, member_id, holder_id, chair, current_user)
            message = f"{member.full_name} : pouvoir enregistré."
        elif action == "undo":
            checkin.undo(event, member_id, current_user)
            message = f"{member.full_name} : annulé."
        else:
            abort(400)
    if saved.ok:
        flash(message, "success")
    return redirect(url_for("events.desk", event_id=event.id, q=request.form.get("q", "")))


@bp.route("/evenements/<id:event_id>/quorum")
@login_required
def quorum_panel(event_id: int):
    event = get_owned(Event, event_id, current_user)
    if not event.is_ag:
        abort(404)
    return render_template("events/_quorum.html", event=event, quorum=checkin.quorum_for(event))


@bp.route("/evenements/<id:event_id>/clore", methods=["POST"])
@editor_required
def close_sheet(event_id: int):
    event = get_changeable(Event, event_id, current_user)
    if event.starts_dt > clock.now():
        flash("L'événement n'a pas encore eu lieu.", "error")
    else:
        with transaction() as saved:
            n = checkin.record_moments(event, current_user)
        if saved.ok:
            flash(f"{n} participation(s) notée(s) dans le parcours des coopérateurs.", "success")
    return redirect(url_for("events.show", event_id=event.id))


# --- printable documents and exports ----------------------------------------


@bp.route("/evenements/<id:event_id>/feuille-de-presence")
@login_required
def sheet(event_id: int):
    event = get_owned(Event, event_id, current_user)
    rows = checkin.sheet(event, current_user)
    if request.args.get("format") == "csv":
        return _csv(f"feuille-presence-{event.id}.csv",
                    ["Nom", "Prénom", "Adresse", "Parts", "Voix", "Présence", "Signature"],
                    [[r["last_name"], r["first_name"], r["address"], r["shares"],
                      r["votes"], r["status"], ""] for r in rows])
    return render_template("events/sheet.html", event=event, rows=rows,
                           quorum=checkin.quorum_for(event) if event.is_ag else None)


def _letter_members(event: Event) -> list[Member]:
    return query.letter_members(event, current_user, every_channel=request.args.get("tous") == "1")


@bp.route("/evenements/<id:event_id>/courriers")
@login_required
def letters(event_id: int):
    event = get_owned(Event, event_id, current_user)
    return render_template("events/letters.html", event=event, members=_letter_members(event),
                           today=clock.today(), pdf_args=_every_channel_arg())


def _every_channel_arg() -> dict:
    return {"tous": "1"} if request.args.get("tous") == "1" else {}


def _letters(event: Event) -> list:
    """The convocation letters of the page, in postal order (paper.sort_key)."""
    return sorted((paper.letter_for(m, render_template("events/_letter_body.html", m=m,
                                                        event=event))
                   for m in _letter_members(event)), key=paper.sort_key)


@bp.route("/evenements/<id:event_id>/courriers.pdf")
@login_required
def letters_pdf(event_id: int):
    event = get_owned(Event, event_id, current_user)
    found = _letters(event)
    document = paper.merged_pdf(found, title=f"Convocations — {event.title}",
                                dated=clock.today())
    return download_pdf(document, f"courriers-{event.id}.pdf", rows=len(found))


@bp.route("/evenements/<id:event_id>/etiquettes.pdf")
@login_required
def labels_pdf(event_id: int):
    event = get_owned(Event, event_id, current_user)
    found = _letters(event)
    document = paper.labels_pdf([letter.address for letter in found],
                                title=f"Étiquettes — {event.title}")
    return download_pdf(document, f"etiquettes-{event.id}.pdf", rows=len(found))


@bp.route("/evenements/<id:event_id>/etiquettes.csv")
@login_required
def labels(event_id: int):
    event = get_owned(Event, event_id, current_user)
    rows = [[m.civility, m.first_name, m.last_name, m.address, m.postal_code, m.city]
            for m in _letter_members(event)]
    return _csv(f"etiquettes-{event.id}.csv",
                ["Civilité", "Prénom", "Nom", "Adresse", "Code postal", "Ville"], rows)


def _csv(filename: str, header: list[str], rows: list[list]) -> Response:
    return download([header, *rows], filename)


# --- series and participation -----------------------------------------------


@bp.route("/evenements/cycles/<id:series_id>")
@login_required
def series(series_id: int):
    found = services.find_series(current_user, series_id)
    if found is None:
        abort(404)
    sessions, members = checkin.series_participation(found, current_user)
    return render_template("events/series.html", series=found, sessions=sessions,
                           members=members)


@bp.route("/evenements/participation")
@login_required
def participation():
    return render_template("events/participation.html",
                           years=checkin.participation_by_year(user=current_user))


# --- template helpers -------------------------------------------------------


bp.add_app_template_filter(fr.long_datetime, "event_when")
bp.add_app_template_filter(fr.time, "event_time")
bp.add_app_template_filter(fr.long_date, "event_day")


@bp.app_template_filter("quorum_fraction")
def _quorum_fraction(value):
    return quorum.fraction_fr(value)

