"""Follow-up rules (admin) and the courtesy-visit planning page (thin views)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coopcrm import clock, fr, ui
from coopcrm.auth.access import admin_required, editor_required
from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys import courtesy as visits
from coopcrm.journeys.followups import services as followups
from coopcrm.journeys.followups.forms import (
    PlanForm,
    RuleForm,
    TargetForm,
    owner_choices,
    posted_int,
)
from coopcrm.journeys.models import FOLLOWUP_ACTIONS, FOLLOWUP_STATUSES, FollowUpRule
from coopcrm.members.models import TRACKS
from coopcrm.members.scoping import check_change_group
from coopcrm.params import int_arg
from coopcrm.views import Outcome, render_form, transaction

bp = Blueprint("followups", __name__)
ui.register_nav(bp, "followups.courtesy", "Visites", order=40)
ui.register_nav(bp, "followups.rules", "Relances", order=110, visible=ui.admins)


# --- courtesy visits -------------------------------------------------------------


@bp.route("/visites-de-courtoisie")
@login_required
def courtesy():
    form = PlanForm(formdata=None, occurs_on=None,
                    owner_id=str(current_user.id) if current_user.can_edit else "")
    return _render_courtesy(form, TargetForm(formdata=None, target=visits.monthly_target()))


@bp.route("/visites-de-courtoisie/planifier", methods=["GET", "POST"])
@editor_required
def plan():
    if request.method == "GET":  # the pager of a page re-shown after an error
        query: dict = request.args.to_dict()  # first values, as **request.args gave them
        return redirect(url_for("followups.courtesy", **query))
    form = PlanForm()
    form.owner_id.choices = owner_choices()
    raw_ids = request.form.getlist("member_ids")
    ids = [i for i in (posted_int(v) for v in raw_ids) if i is not None and i > 0]
    if form.validate_on_submit():
        with transaction(form, fallback=None, flash_rest=False) as saved:
            owner = _owner(form.owner_id.data)
            planned = visits.plan_visits(ids, form.occurs_on.data, owner, current_user)
        _keep_other_errors(form, saved)
        if saved.ok:
            day = form.occurs_on.data
            flash(f"{len(planned)} visite(s) de courtoisie planifiée(s) le {fr.date(day)}.",
                  "success")
            return redirect(url_for("followups.courtesy", **_filters()))
    flash("Aucune visite n'a été planifiée : corrigez le formulaire.", "error")
    target = TargetForm(formdata=None, target=visits.monthly_target())
    return _render_courtesy(form, target, selected=set(ids)), 422


@bp.route("/visites-de-courtoisie/objectif", methods=["POST"])
@editor_required
def target():
    check_change_group(current_user)  # one target for the whole group
    form = TargetForm()
    if form.validate_on_submit():
        with transaction() as saved:
            value = visits.set_monthly_target(posted_int(form.target.data))
        if saved.ok:
            flash(f"Objectif mensuel : {value} visites.", "success")
    return redirect(url_for("followups.courtesy"))


def _filters() -> dict:
    return {k: int_arg(k) for k in ("residence", "entity") if int_arg(k)}


def _render_courtesy(plan_form: PlanForm, target_form: TargetForm, selected=frozenset()):
    today = clock.today()
    filters = _filters()
    page = visits.to_visit(current_user, request.args.get("page", 1, type=int),
                           residence_id=filters.get("residence"), entity_id=filters.get("entity"))
    plan_form.owner_id.choices = owner_choices()
    done, planned, goal = visits.month_progress(today, current_user)
    residences, entities = visits.residences_and_entities(current_user)
    return render_template(
        "followups/courtesy.html", page=page, form=plan_form, target_form=target_form,
        done=done, planned=planned, target=goal, month_label=fr.month_year(today),
        planned_visits=visits.planned_this_month(today, current_user),
        residences=residences, entities=entities, filters=filters, selected=selected,
        visit_type=visits.visit_type(),
    )


# --- follow-up rules (admin) -----------------------------------------------------------


@bp.route("/admin/relances")
@admin_required
def rules():
    return render_template("followups/rules.html", rules=followups.rules(),
                           counts=followups.counts_by_rule(), actions=FOLLOWUP_ACTIONS,
                           statuses=FOLLOWUP_STATUSES, tracks=TRACKS)


@bp.route("/admin/relances/nouvelle", methods=["GET", "POST"])
@admin_required
def new_rule():
    return _edit(None)


@bp.route("/admin/relances/<id:rule_id>/modifier", methods=["GET", "POST"])
@admin_required
def edit_rule(rule_id: int):
    return _edit(db.get_or_404(FollowUpRule, rule_id))


@bp.route("/admin/relances/<id:rule_id>/activation", methods=["POST"])
@admin_required
def toggle_rule(rule_id: int):
    rule = db.get_or_404(FollowUpRule, rule_id)
    form = TargetForm()  # CSRF only
    if not form.validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    with transaction() as saved:
        cancelled = followups.set_active(rule, active)
    if saved.ok:
        if active:
            flash(f"« {rule.label} » est active : elle s'applique aux prochains moments notés.",
                  "success")
        else:
            flash(f"« {rule.label} » est désactivée ; {cancelled} relance(s) en attente "
                  "annulée(s).", "success")
    return redirect(url_for("followups.rules"))


def _edit(rule: FollowUpRule | None):
    if rule is None:
        form = RuleForm()
    else:
        form = RuleForm(obj=rule, formdata=None) if request.method == "GET" else RuleForm()
        if request.method == "GET":
            for name in ("trigger_type_id", "survey_id", "plan_type_id", "delay_days",
                         "max_late_days"):
                value = getattr(rule, name)
                getattr(form, name).data = "" if value is None else str(value)
    form.fill_choices()
    if form.validate_on_submit():
        with transaction(form, fallback=None, flash_rest=False) as outcome:
            saved = followups.save_rule(rule, form.to_input(), current_user)
        _keep_other_errors(form, outcome)
        if outcome.ok:
            flash(f"Règle « {saved.label} » enregistrée.", "success")
            return redirect(url_for("followups.rules"))
    return render_form("followups/edit.html", form, rule=rule)


# --- helpers ----------------------------------------------------------------------------


def _owner(value) -> User | None:
    user_id = posted_int(value)
    if user_id is None:
        return None
    owner = db.session.get(User, user_id) if user_id > 0 else None
    if owner is None:
        raise ValidationFailed({"owner_id": "Choisissez la personne qui suit les visites."})
    return owner


def _keep_other_errors(form, outcome: Outcome) -> None:
    """The service's messages no field took, kept in `form.other_errors` for the page."""
    form.other_errors = [*getattr(form, "other_errors", []), *outcome.rest.values()]
