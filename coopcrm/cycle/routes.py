"""Referent pages of the newsletter cycle: the cycle at a glance, edit, preview, approve."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coopcrm import clock, fr, ui
from coopcrm.auth.access import admin_required, editor_required
from coopcrm.blocks import editor as blocks_editor
from coopcrm.cycle import content as content_mod
from coopcrm.cycle import due, schedule
from coopcrm.cycle import editions as svc
from coopcrm.cycle.forms import ActionForm, ContentForm, IssueForm
from coopcrm.cycle.models import Edition, NewsletterIssue
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.members.query import name_matches
from coopcrm.members.scoping import get_changeable, get_member, get_owned
from coopcrm.params import int_arg
from coopcrm.security_headers import email_frame
from coopcrm.views import transaction

bp = Blueprint("cycle", __name__)

TEMPLATE = "newsletter_edition"


def _member_history(member) -> dict:
    """The member's cycle history: each edition, its state and why."""
    return {"cycle_lines": due.member_history(member, clock.now())}


ui.register_member_panel(bp, "lettres", "cycle/_member_history.html", _member_history, order=20)
ui.register_nav(bp, "cycle.index", "Lettres", order=50)


@bp.route("/lettres-d-information")
@login_required
def index():
    now = clock.now()
    # Idempotent: the page always shows this year's and next year's editions.
    with transaction():
        schedule.ensure_editions(now)
    rows: list[dict] = []  # issue, its pending edition, its reach
    for issue in schedule.issues():
        upcoming = schedule.pending_edition(issue, current_user)
        rows.append({"issue": issue, "edition": upcoming,
                     "reach": due.reach(upcoming) if upcoming is not None else None})
    # Soonest send first: the page reads as "what goes out next".
    rows.sort(key=lambda r: (r["edition"] is None, r["edition"].send_dt if r["edition"] else 0,
                             r["issue"].number))
    past = schedule.past_editions(user=current_user)
    counts = {e.id: due.edition_counts(e) for e in past}
    return render_template("cycle/index.html", rows=rows, past=past, counts=counts,
                           status_label=svc.status_label, months=fr.MONTHS, now=now,
                           form=ActionForm())


def _editor(errors: dict) -> dict:
    """The block editor's data for the content form: the newsletter's placeholders."""
    return blocks_editor.settings(errors, user=current_user,
                                  allowed=content_mod.PLACEHOLDERS_ALLOWED, field=svc.BODY_FIELD)


@bp.route("/lettres-d-information/editions/<id:edition_id>/modifier", methods=["GET", "POST"])
@editor_required
def edit(edition_id: int):
    edition = get_changeable(Edition, edition_id, current_user)
    if not edition.editable:
        flash(svc.FROZEN_MESSAGE, "error")
        return redirect(url_for(".preview", edition_id=edition.id))
    form = ContentForm()
    errors = {}
    if form.validate_on_submit():
        was_approved = edition.status == "approved"
        with transaction(form, fallback=None, flash_rest=False) as saved:
            svc.update_content(edition, form.to_data(), current_user)
        if saved.ok:
            flash("Édition enregistrée." + (
                " Elle repasse en brouillon : relisez l'aperçu puis approuvez-la à nouveau."
                if was_approved else " Relisez l'aperçu puis approuvez-la."), "success")
            return redirect(url_for(".preview", edition_id=edition.id))
        errors = saved.rest
    elif request.method == "GET":
        form.fill(edition.content())
    return render_template("cycle/edit.html", edition=edition, form=form, errors=errors,
                           placeholders=content_mod.PLACEHOLDERS, editor=_editor(errors))


def _preview_context(edition: Edition, version: str, member: Member | None) -> dict:
    from coopcrm.sending.preview import preview_context

    source = edition.issue.content() if version == "permanent" else edition.content()
    data = content_mod.context_for(edition, source, content_mod.live_figures())
    if edition.frozen_content:
        data.update(edition.frozen_content)  # what was sent; computed keys fill any gap
    return preview_context(data, member)


def _chosen_version() -> str:
    """The content the page previews: the edition's, or the issue's permanent one."""
    return "permanent" if request.values.get("version") == "permanent" else "edition"


def _chosen_member() -> Member | None:
    member_id = int_arg("membre") or int_arg("member_id")
    return get_member(current_user, member_id) if member_id else None


def _rendered(edition: Edition, version: str, member: Member | None):
    """The edition's email as the member (or the sample member) would receive it."""
    from coopcrm.sending import rendering

    context = _preview_context(edition, version, member)
    return rendering.render(rendering.for_context(TEMPLATE, context), context)


@bp.route("/lettres-d-information/editions/<id:edition_id>")
@login_required
def preview(edition_id: int):
    edition = get_owned(Edition, edition_id, current_user)
    version = _chosen_version()
    member = _chosen_member()
    q = (request.args.get("q") or "").strip()
    matches = name_matches(current_user, q) if q else []
    rendered = _rendered(edition, version, member)
    reach = due.reach(edition) if edition.editable else None
    frame_url = url_for(".preview_html", edition_id=edition.id,
                        membre=member.id if member else None,
                        version=version if version == "permanent" else None)
    return render_template("cycle/preview.html", edition=edition, rendered=rendered,
                           frame_url=frame_url,
                           member=member, version=version, q=q, matches=matches, reach=reach,
                           status_label=svc.status_label, form=ActionForm(
                               member_id=member.id if member else ""))


@bp.route("/lettres-d-information/editions/<id:edition_id>/html")
@login_required
def preview_html(edition_id: int):
    """The edition's email HTML, for the sandboxed frame of its preview page."""
    edition = get_owned(Edition, edition_id, current_user)
    return email_frame(_rendered(edition, _chosen_version(), _chosen_member()).html)


@bp.route("/lettres-d-information/editions/<id:edition_id>/test", methods=["POST"])
@editor_required
def send_test(edition_id: int):
    from coopcrm.sending import services

    edition = get_owned(Edition, edition_id, current_user)  # to oneself: the edition stays
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    member = _chosen_member()
    version = _chosen_version()
    context = _preview_context(edition, version, member)
    for key in list(services.system_context()):
        context.pop(key, None)  # the engine adds them back when it renders
    context["is_test"] = True
    with transaction() as saved:
        services.enqueue(TEMPLATE, None, context, services.test_key(current_user), bulk=False,
                         to=(current_user.email, current_user.name), user=current_user)
    if saved.ok:
        flash(f"Lettre de test mise en file d'envoi pour {current_user.email} ; "
              "elle part à la prochaine minute.", "success")
    return redirect(url_for(".preview", edition_id=edition.id, membre=member.id if member else None,
                            version=version if version == "permanent" else None))


def _act(edition_id: int, action, message: str):
    edition = get_changeable(Edition, edition_id, current_user)
    if not ActionForm().validate_on_submit():
        abort(400)
    with transaction() as saved:
        action(edition, current_user)
    if saved.ok:
        flash(message, "success")
    return redirect(url_for(".preview", edition_id=edition_id))


@bp.route("/lettres-d-information/editions/<id:edition_id>/approuver", methods=["POST"])
@editor_required
def approve(edition_id: int):
    return _act(edition_id, svc.approve,
                "Édition approuvée : c'est ce contenu qui partira à la date prévue.")


@bp.route("/lettres-d-information/editions/<id:edition_id>/rouvrir", methods=["POST"])
@editor_required
def reopen(edition_id: int):
    return _act(edition_id, svc.reopen,
                "Édition repassée en brouillon. Sans nouvelle approbation, "
                "c'est le contenu permanent qui partira.")


@bp.route("/lettres-d-information/numeros/<id:issue_id>/modifier", methods=["GET", "POST"])
@admin_required
def edit_issue(issue_id: int):
    issue = db.get_or_404(NewsletterIssue, issue_id)
    form = IssueForm()
    errors = {}
    if form.validate_on_submit():
        with transaction(form, fallback=None, flash_rest=False) as saved:
            svc.update_issue(issue, form.to_data(), current_user)
        if saved.ok:
            flash(f"Lettre N°{issue.number} enregistrée. Les éditions pas encore parties suivent "
                  "la nouvelle date ; leur contenu déjà modifié est conservé.", "success")
            return redirect(url_for(".index"))
        errors = saved.rest
    elif request.method == "GET":
        form.fill_issue(issue)
    return render_template("cycle/edit_issue.html", issue=issue, form=form, errors=errors,
                           placeholders=content_mod.PLACEHOLDERS, editor=_editor(errors))
