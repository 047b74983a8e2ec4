"""Follow-up rules: "when a moment of type X is done → after D days → email / survey / moment Y".

`apply` runs inside `journeys.services._written`, in the transaction that
writes the moment: it writes one FollowUpDue row per rule × trigger moment
(unique), so a follow-up happens at most once however the moment is edited.
The job `journeys.followups` (jobs.py) later acts on the rows that fell due
(`actions.run_due`). A follow-up already due longer ago than the rule's max lateness
when its moment is logged (history imported, a move-in noted two years late)
is written as skipped and never acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

import jinja2
from sqlalchemy import CursorResult, func, select, update

from coopcrm import clock, fr, plaintext, resources
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys.models import (
    FOLLOWUP_ACTIONS,
    FollowUpDue,
    FollowUpRule,
    Moment,
    MomentType,
)
from coopcrm.members.models import TRACKS
from coopcrm.models import text_limit, too_long

SEND_AT = time(9, 0)  # follow-ups fall due at 09:00 Paris time on their day
DELAY_MAX = 3660
LATE_DEFAULT = 30
TRIGGER_CANCELLED = "Le moment déclencheur a été annulé."


# --- rules ---------------------------------------------------------------------


@dataclass
class RuleInput:
    """What a rule form holds, already parsed (ids as ints, '' when empty)."""

    label: str
    trigger_type_id: int | None
    delay_days: int | None
    action: str
    template: str = ""
    link_url: str = ""
    survey_id: int | None = None
    plan_type_id: int | None = None
    track: str = ""
    max_late_days: int | None = LATE_DEFAULT
    active: bool = True


def rules() -> list[FollowUpRule]:
    """Every rule, active first, then by trigger moment and delay."""
    return list(db.session.scalars(
        select(FollowUpRule).join(FollowUpRule.trigger_type)
        .order_by(FollowUpRule.active.desc(), MomentType.position, FollowUpRule.delay_days,
                  FollowUpRule.id)))


def counts_by_rule() -> dict[int, dict[str, int]]:
    """How many follow-ups of each rule are in each status."""
    out: dict[int, dict[str, int]] = {}
    rows = db.session.execute(select(FollowUpDue.rule_id, FollowUpDue.status, func.count())
                              .group_by(FollowUpDue.rule_id, FollowUpDue.status))
    for rule_id, status, n in rows:
        out.setdefault(rule_id, {})[status] = n
    return out


def save_rule(rule: FollowUpRule | None, data: RuleInput, user=None) -> FollowUpRule:
    """Create (rule None) or update a rule; ValidationFailed (French) on bad input."""
    errors: dict[str, str] = {}
    label = (data.label or "").strip()
    if not label:
        errors["label"] = "Donnez un nom à la règle."
    elif len(label) > (limit := text_limit(FollowUpRule, "label")):
        errors["label"] = too_long(limit)
    trigger = db.session.get(MomentType, data.trigger_type_id) if data.trigger_type_id else None
    if trigger is None:
        errors["trigger_type_id"] = "Choisissez le moment qui déclenche la relance."
    if data.delay_days is None or not 0 <= data.delay_days <= DELAY_MAX:
        errors["delay_days"] = f"Indiquez un délai entre 0 et {DELAY_MAX} jours."
    if data.max_late_days is not None and not 0 <= data.max_late_days <= DELAY_MAX:
        errors["max_late_days"] = f"Indiquez un nombre de jours entre 0 et {DELAY_MAX}."
    if data.track not in ("", *TRACKS):
        errors["track"] = "Parcours inconnu."
    if data.action not in FOLLOWUP_ACTIONS:
        errors["action"] = "Choisissez ce que fait la relance."
    link = (data.link_url or "").strip()
    if link and not link.startswith(("https://", "http://")):
        errors["link_url"] = "Le lien doit commencer par https:// (ou http://)."
    errors.update(plaintext.problems(lines={"label": label, "link_url": link}))
    survey = plan_type = None
    template = ""
    if data.action == "email":
        template = (data.template or "").strip()
        error = template_error(template, link)
        if error:
            errors["template"] = error
    elif data.action == "survey":
        from coopcrm.surveys.models import Survey

        survey = db.session.get(Survey, data.survey_id) if data.survey_id else None
        if survey is not None and survey.is_template:
            errors["survey_id"] = "Un modèle de sondage ne s'envoie pas : choisissez un sondage."
        elif survey is None and data.active:
            errors["survey_id"] = ("Choisissez le sondage à envoyer (une règle sans sondage "
                                   "doit rester désactivée).")
    elif data.action == "plan_moment":
        plan_type = db.session.get(MomentType, data.plan_type_id) if data.plan_type_id else None
        if plan_type is None:
            errors["plan_type_id"] = "Choisissez le moment à planifier."
        elif trigger is not None and plan_type.id == trigger.id:
            errors["plan_type_id"] = "Le moment planifié doit être différent du déclencheur."
    if errors:
        raise ValidationFailed(errors)
    assert trigger is not None  # refused above when missing
    if rule is None:
        rule = FollowUpRule()
        db.session.add(rule)
    was_active = rule.active
    rule.label = label
    rule.trigger_type = trigger
    rule.delay_days = data.delay_days  # type: ignore[assignment]  # None refused above
    rule.action = data.action
    rule.template = template
    rule.link_url = link
    rule.survey = survey
    rule.plan_type = plan_type
    rule.track = data.track
    rule.max_late_days = data.max_late_days
    rule.active = data.active
    db.session.flush()
    if was_active and not rule.active:
        _cancel_pending(rule)
    return rule


def set_active(rule: FollowUpRule, active: bool) -> int:
    """Switch a rule on or off; switching off cancels its waiting follow-ups (returns how many)."""
    if active and rule.action == "survey" and rule.survey_id is None:
        raise ValidationFailed({"survey_id": "Choisissez d'abord le sondage à envoyer "
                                             "(Modifier la règle)."})
    if active and rule.action == "email":
        error = template_error(rule.template, rule.link_url)
        if error:
            raise ValidationFailed({"template": error + " (Modifier la règle)"})
    rule.active = active
    db.session.flush()
    return 0 if active else _cancel_pending(rule)


def _cancel_pending(rule: FollowUpRule) -> int:
    # Cancelled rather than left waiting: switching the rule on again months later
    # must not send a burst of stale follow-ups.
    result = cast(CursorResult, db.session.execute(
        update(FollowUpDue).where(FollowUpDue.rule_id == rule.id,
                                  FollowUpDue.status == "pending")
        .values(status="cancelled", result="Règle désactivée avant l'échéance.",
                acted_dt=clock.now())))
    return result.rowcount or 0


def followup_context(member, rule: FollowUpRule, moment: Moment | None) -> dict:
    """The variables an email follow-up gives its template, besides `member` and the system ones."""
    residence = getattr(member, "residence", None) if member is not None else None
    link = rule.link_url or ""
    return {
        "residence_name": residence.name if residence is not None else "",
        "booklet_url": link,
        "link_url": link,
        "moment_label": moment.type.label if moment is not None else "",
        "moment_date": moment.occurs_on if moment is not None else "",
    }


PROBE_LINK = "https://exemple.test/lien-de-la-relance"


def template_error(template: str, link_url: str) -> str | None:
    """Why this email template cannot be a follow-up with this link (French), or None."""
    from coopcrm.sending import rendering
    from coopcrm.sending.services import clean_context, member_context, system_context

    if not template:
        return "Choisissez le modèle d'email."
    try:
        tpl = rendering.get(template)
    except rendering.TemplateNotFound:
        return f"Modèle d'email inconnu : « {template} »."
    # Rendered once with a sample member: a template that needs a variable the
    # follow-up cannot give (a survey link…) is refused now, not at 09:00.
    probe = FollowUpRule(link_url=PROBE_LINK)
    context = {**system_context(), **clean_context(followup_context(None, probe, None)),
               "member": member_context(type("Sample", (), {"first_name": "Camille",
                                                              "last_name": "Martin"})())}
    try:
        rendered = rendering.render(tpl, context)
    except jinja2.UndefinedError as e:
        return (f"Ce modèle a besoin d'une information qu'une relance ne fournit pas "
                f"({e.message}) : choisissez-en un autre.")
    if not link_url and PROBE_LINK in rendered.text:
        # A welcome email whose "Lire le livret d'accueil" button leads nowhere.
        return ("Ce modèle affiche un lien : indiquez-le ci-dessous (ex. l'adresse du "
                "livret d'accueil).")
    return None


# --- seeds ---------------------------------------------------------------------


def seed_rules(booklet_url: str | None = None) -> int:
    """Insert the default rules of seeds/followup_rules.json that are missing (idempotent).

    The welcome email shows the livret d'accueil: without its address (`booklet_url`,
    else the BOOKLET_URL setting) that rule is seeded switched off, never with a dead link.
    """
    from flask import current_app

    booklet_url = booklet_url or current_app.config.get("BOOKLET_URL", "")
    rows = resources.seed("followup_rules.json")
    known = set(db.session.scalars(select(FollowUpRule.code).where(FollowUpRule.code.is_not(None))))
    types = {t.code: t for t in db.session.scalars(select(MomentType))}
    added = 0
    for row in rows:
        if row["code"] in known or row["trigger"] not in types:
            continue  # kept as edited; or the catalogue lacks the moment type
        plan = row.get("plan_type")
        if plan is not None and plan not in types:
            continue
        db.session.add(FollowUpRule(
            code=row["code"], label=row["label"], trigger_type=types[row["trigger"]],
            delay_days=row["delay_days"], action=row["action"], template=row.get("template", ""),
            link_url=booklet_url if row.get("needs_booklet") else "",
            plan_type=types.get(plan) if plan else None,
            track=row.get("track", ""), max_late_days=row.get("max_late_days", LATE_DEFAULT),
            active=row.get("active", True) and (bool(booklet_url)
                                                or not row.get("needs_booklet"))))
        added += 1
    db.session.flush()
    return added


# --- the hook in journeys.services._written --------------------------------------


def due_date(rule: FollowUpRule, moment: Moment) -> date:
    return moment.occurs_on + timedelta(days=rule.delay_days)


def due_at(day: date) -> datetime:
    """09:00 Paris on `day`, in UTC."""
    return datetime.combine(day, SEND_AT, tzinfo=clock.PARIS).astimezone(UTC)


def apply(moment: Moment, change: str, user=None, now: datetime | None = None) -> int:
    """Write, move or cancel the follow-ups of a moment that was just written; how many new.

    `now` (a job's) is when; by default, the clock.
    """
    now = now or clock.now()
    if moment.status != "done":
        # A trigger no longer done (cancelled): what was waiting will not happen.
        db.session.execute(
            update(FollowUpDue).where(FollowUpDue.moment_id == moment.id,
                                      FollowUpDue.status == "pending")
            .values(status="cancelled", result=TRIGGER_CANCELLED, acted_dt=now))
        return 0
    member = moment.member
    existing = {d.rule_id: d for d in db.session.scalars(
        select(FollowUpDue).where(FollowUpDue.moment_id == moment.id))}
    rows = db.session.scalars(select(FollowUpRule).where(
        FollowUpRule.trigger_type_id == moment.type_id, FollowUpRule.active.is_(True)))
    today = clock.day_of(now)
    added = 0
    for rule in rows:
        day = due_date(rule, moment)
        status, result = _initial_status(rule, member, day, today)
        due = existing.get(rule.id)
        if due is None:
            added += _insert_due(rule, moment, day, status, result, now)
        elif due.status == "pending" or (due.status, due.result) == ("cancelled",
                                                                     TRIGGER_CANCELLED):
            # Never acted: the moment's date moved, or it is done again after a cancellation.
            due.due_dt, due.status, due.result = due_at(day), status, result
            due.acted_dt = None if status == "pending" else now
    db.session.flush()
    return added


def _initial_status(rule: FollowUpRule, member, day: date, today: date) -> tuple[str, str]:
    late = (today - day).days
    if rule.max_late_days is not None and late > rule.max_late_days:
        return "skipped", (f"Trop ancien : la relance était due le {fr.date(day)}, "
                           f"il y a {late} jours (limite : {rule.max_late_days} jours).")
    reason = member_reason(rule, member)
    if reason:
        return "skipped", reason
    return "pending", ""


def member_reason(rule: FollowUpRule, member) -> str | None:
    """Why this rule must not act for this member (French), or None."""
    if member.anonymised_dt is not None:
        return "Coopérateur anonymisé."
    if rule.track and member.track != rule.track:
        return f"Hors du parcours {TRACKS.get(rule.track, rule.track).lower()} de la règle."
    return None


def _insert_due(rule: FollowUpRule, moment: Moment, day: date, status: str, result: str,
                now: datetime) -> int:
    """INSERT … ON CONFLICT DO NOTHING: a concurrent writer of the same row wins, once."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same API as the PG one
    stmt = insert(FollowUpDue.__table__).values(
        rule_id=rule.id, moment_id=moment.id, member_id=moment.member_id, due_dt=due_at(day),
        status=status, result=result, created_dt=now,
        acted_dt=now if status != "pending" else None,
    ).on_conflict_do_nothing(index_elements=["rule_id", "moment_id"])
    return cast(CursorResult, db.session.execute(stmt)).rowcount or 0


def member_followups(member) -> list[FollowUpDue]:
    """A member's follow-ups, most recent due first (history, support questions)."""
    return list(db.session.scalars(select(FollowUpDue).where(FollowUpDue.member_id == member.id)
                                   .order_by(FollowUpDue.due_dt.desc(), FollowUpDue.id.desc())))
