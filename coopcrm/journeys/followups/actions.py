"""Acting on the follow-ups that fell due: the job `journeys.followups` (jobs.py).

Apart from the rules and the hook (services.py) because planning a moment
goes through `journeys.services.record`, which calls that hook: this side
depends on journeys.services, the hook side must not.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coopcrm import clock, fr
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys import services
from coopcrm.journeys.followups.services import (
    TRIGGER_CANCELLED,
    due_date,
    followup_context,
    member_reason,
)
from coopcrm.journeys.models import FollowUpDue, FollowUpRule, Moment

BATCH = 500  # rows acted on per job run at most; the next run takes the rest


def run_due(now: datetime, limit: int = BATCH) -> dict[str, int]:
    """Act on the pending follow-ups due as of `now`; counts by outcome. The runner commits."""
    query = (select(FollowUpDue).join(FollowUpDue.rule)
             .where(FollowUpDue.status == "pending", FollowUpDue.due_dt <= now,
                    FollowUpRule.active.is_(True))
             .order_by(FollowUpDue.due_dt, FollowUpDue.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        # Two schedulers at once: each takes rows the other has not locked.
        query = query.with_for_update(of=FollowUpDue, skip_locked=True)
    counts = {"done": 0, "skipped": 0, "cancelled": 0}
    for due in db.session.scalars(query).unique().all():
        try:
            with db.session.begin_nested():
                status, result = _act(due, now)
        except Exception as e:  # one broken follow-up must not block the others
            status, result = "skipped", f"Échec : {e}"[:1000]
        due.status, due.result, due.acted_dt = status, result, now
        counts[status] += 1
    db.session.flush()
    return counts


def _act(due: FollowUpDue, now: datetime) -> tuple[str, str]:
    rule, moment = due.rule, due.moment
    if moment.status != "done":
        return "cancelled", TRIGGER_CANCELLED
    member = moment.member
    reason = member_reason(rule, member)
    if reason:
        return "skipped", reason
    key = f"followup:{rule.id}:moment:{moment.id}"
    if rule.action == "email":
        from coopcrm.sending.services import enqueue

        message = enqueue(rule.template, member, followup_context(member, rule, moment), key,
                          now=now)
        if message is None:
            return "done", "Email déjà mis en file."
        if message.status == "suppressed":
            return "skipped", f"Email non envoyé : {message.last_error}."
        return "done", f"Email « {rule.template} » mis en file d'envoi."
    if rule.action == "plan_moment":
        return _plan(rule, due, moment, member, now)
    if rule.action == "survey":
        survey = rule.survey
        if survey is None:
            return "skipped", "Aucun sondage choisi pour cette règle."
        if survey.is_template:
            return "skipped", "Le sondage choisi est un modèle : il ne s'envoie pas."
        if not survey.questions:
            return "skipped", f"Le sondage « {survey.title} » n'a pas encore de question."
        if survey.is_closed(now):
            return "skipped", f"Le sondage « {survey.title} » est clos."
        from coopcrm.surveys.services import invite

        sent = invite(survey, [member], key_prefix=key, now=now)
        if sent:
            return "done", f"Invitation au sondage « {survey.title} » mise en file."
        return "done", "Invitation au sondage déjà envoyée ou impossible (pas d'email ?)."
    return "skipped", f"Action inconnue : {rule.action}."


def _plan(rule: FollowUpRule, due: FollowUpDue, moment: Moment, member, now: datetime):
    plan_type = rule.plan_type
    if plan_type is None:
        return "skipped", "Aucun moment à planifier dans cette règle."
    statuses = ("planned",) if plan_type.repeatable else ("planned", "done")
    open_one = db.session.scalar(
        select(Moment).where(Moment.member_id == member.id, Moment.type_id == plan_type.id,
                             Moment.status.in_(statuses)).order_by(Moment.occurs_on).limit(1))
    if open_one is not None:
        state = "réalisé" if open_one.status == "done" else "prévu"
        return "done", (f"Rien à planifier : « {plan_type.label} » déjà {state} "
                        f"le {fr.date(open_one.occurs_on)}.")
    # The later of the due day and today (a late run plans from today, never in the past).
    today = clock.day_of(now)
    owner = moment.owner if moment.owner is not None and moment.owner.active else None
    try:
        planned = services.record(
            member, plan_type, status="planned", occurs_on=max(due_date(rule, moment), today),
            owner=owner, notes=f"Planifié automatiquement (règle « {rule.label} »).", now=now)
    except ValidationFailed as failed:
        return "skipped", "Non planifié : " + " ".join(failed.errors.values())
    return "done", f"« {plan_type.label} » prévu le {fr.date(planned.occurs_on)}."
