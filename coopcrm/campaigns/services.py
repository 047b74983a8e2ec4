"""Campaigns: audience and its breakdown, freezing at launch, states, feeding the outbox.

The audience is one SQL query (`classified`): every member of the segment
(optionally of one residence, minus those who received another campaign) with
the first reason, if any, that keeps them from the email, decided by the rules
of LEFT_OUT and EMAIL_BLOCKED (each a SQL condition and its French label: the
count, the breakdown and the freeze read the same table). At launch the query
is written into campaign_recipients by one INSERT … SELECT: nothing is counted
in Python, so it scales to 100,000 members.

The ledger is fed to the outbox by `run_due` (the scheduler's job) in batches,
only while the campaign is 'sending', its window is open (Paris time) and its
daily cap is not reached, and never more than OUTBOX_HIGH_WATER of its
messages wait in the outbox at once: pausing takes those back (rows still
'queued' in the outbox are deleted, so nothing beyond the SMTP batch being
sent leaves), and resuming feeds them again under the same idempotency key
`campaign:<id>:member:<id>`, which the outbox accepts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from coopcrm import clock, plaintext
from coopcrm.campaigns.models import (
    ALL_DAYS,
    CHANNEL_RULES,
    Campaign,
    CampaignRecipient,
)
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.models import Member, Residence
from coopcrm.models import text_limit, too_long
from coopcrm.segments import services as segments

TEMPLATE = "campaign"
UNDO_DELAY = timedelta(seconds=60)  # "annuler l'envoi": nothing is fed to the outbox before
FEED_BATCH = 500  # ledger rows handed to the outbox at a time
OUTBOX_HIGH_WATER = 1000  # at most this many of a campaign's messages wait in the outbox
CANCELLED = "Campagne annulée avant l'envoi"
WITHDRAWN = "Désinscrit pendant la campagne"


@dataclass(frozen=True)
class Rule:
    """One reason a member does not get the email: its SQL condition and its French label."""

    key: str
    label: str
    condition: Any  # a callable(campaign, candidates_subquery) -> ColumnElement[bool]


def _no_email(c, _cands) -> ColumnElement[bool]:
    return or_(Member.email.is_(None), Member.email == "")


def _duplicate(c, cands) -> ColumnElement[bool]:
    # Another member of the audience with the same address and a smaller id gets it.
    other = aliased(Member)
    return exists(select(other.id).where(
        other.id.in_(select(cands.c.id)), other.email == Member.email, other.id < Member.id,
        other.email_status == "valid", other.newsletter_consent.is_(True)))


def _already(c, _cands) -> ColumnElement[bool]:
    if c.exclude_campaign_id is None:
        return literal(False)
    return Member.id.in_(select(CampaignRecipient.member_id).where(
        CampaignRecipient.campaign_id == c.exclude_campaign_id,
        CampaignRecipient.status.in_(("sent", "letter"))))


# Out of the campaign whatever the channel, in this order.
LEFT_OUT = (
    Rule("anonymised", "Membre anonymisé", lambda c, _: Member.anonymised_dt.is_not(None)),
    Rule("not_cooperateur", "N'est plus coopérateur", lambda c, _: Member.status == "ancien"),
    Rule("already", "A déjà reçu la campagne exclue", _already),
)
# No email; under 'email_else_letter' these get a letter, under 'email_only' nothing.
EMAIL_BLOCKED = (
    Rule("no_email", "Pas d'adresse email", _no_email),
    Rule("bounced", "Adresse en erreur", lambda c, _: Member.email_status == "bounced"),
    Rule("unsubscribed", "Désinscrit des envois groupés",
         lambda c, _: Member.email_status == "unsubscribed"),
    Rule("no_consent", "Pas d'accord pour l'information par email",
         lambda c, _: Member.newsletter_consent.is_not(True)),
)
# Left out (not a letter either): the same address already gets the email.
DUPLICATE = Rule("duplicate", "Adresse email en double (un seul envoi)", _duplicate)
RULES = {r.key: r for r in (*LEFT_OUT, *EMAIL_BLOCKED, DUPLICATE)}


def _owner(campaign: Campaign):
    """Whose view of the segment the audience is (the author; a job has no user)."""
    return campaign.created_by


def candidate_ids(campaign: Campaign) -> Select:
    """The ids of the segment's members (of the residence, when one is chosen)."""
    if campaign.segment is None:
        return select(Member.id).where(literal(False))
    ids = segments.member_ids(campaign.segment, _owner(campaign))
    if campaign.residence_id is not None:
        ids = ids.where(Member.residence_id == campaign.residence_id)
    return ids


def classified(campaign: Campaign) -> Select:
    """(member id, reason key or None, channel or None) for each member of the audience.

    Channel None: left out. The reason is the first rule that applies.
    """
    cands = candidate_ids(campaign).subquery()
    rule = campaign.channel_rule
    whens = [(r.condition(campaign, cands), r.key) for r in LEFT_OUT]
    if rule != "letter_all":
        whens += [(r.condition(campaign, cands), r.key) for r in EMAIL_BLOCKED]
        whens.append((DUPLICATE.condition(campaign, cands), DUPLICATE.key))
    reason = case(*whens, else_=None)
    blocked = [r.key for r in EMAIL_BLOCKED]
    if rule == "letter_all":
        channel = case((reason.is_(None), "letter"), else_=None)
    elif rule == "email_only":
        channel = case((reason.is_(None), "email"), else_=None)
    else:
        channel = case((reason.is_(None), "email"), (reason.in_(blocked), "letter"),
                       else_=None)
    return select(Member.id.label("member_id"), reason.label("reason"),
                  channel.label("channel")).where(Member.id.in_(select(cands.c.id)))


@dataclass
class Breakdown:
    """Who the campaign reaches and who it leaves out, counted."""

    emails: int
    letters: int
    left_out: int  # neither email nor letter
    reasons: dict[str, int]  # every rule's key -> how many it concerns (letters included)

    def lines(self) -> list[tuple[str, str, int]]:
        """(key, French label, count) of every reason that concerns someone."""
        return [(k, RULES[k].label, n) for k, n in self.reasons.items() if n]


def breakdown(campaign: Campaign) -> Breakdown:
    """The audience counted: emails, letters, and how many each reason concerns."""
    sub = classified(campaign).subquery()
    rows = db.session.execute(
        select(sub.c.reason, sub.c.channel, func.count()).group_by(sub.c.reason, sub.c.channel))
    emails = letters = left = 0
    reasons = {key: 0 for key in RULES}
    for reason, channel, n in rows:
        if reason is not None:
            reasons[reason] += n
        if channel == "email":
            emails += n
        elif channel == "letter":
            letters += n
        else:
            left += n
    return Breakdown(emails=emails, letters=letters, left_out=left, reasons=reasons)


def members_for_reason(campaign: Campaign, reason: str) -> Select:
    """The members one reason of the breakdown concerns (the clickable count), by name."""
    if reason not in RULES:
        raise ValidationFailed({"reason": "Motif inconnu."})
    sub = classified(campaign).subquery()
    return (select(Member).join(sub, sub.c.member_id == Member.id)
            .where(sub.c.reason == reason).order_by(Member.last_name, Member.first_name))


# -- writing a campaign --------------------------------------------------------------

EDITABLE = ("name", "subject", "preheader", "sender_name", "body", "segment_id",
            "exclude_campaign_id", "residence_id", "channel_rule", "window_days",
            "window_start_hour", "window_end_hour", "daily_cap")


def senders() -> list[str]:
    """The sender display names one may choose: the configured sender's and the coop's."""
    from email.utils import parseaddr

    config = current_app.config
    names = [parseaddr(config["MAIL_FROM"])[0], config["COOP_NAME"]]
    return [n for i, n in enumerate(names) if n and n not in names[:i]]


def _checked(data: dict, campaign: Campaign | None, user) -> dict:
    errors: dict[str, str] = {}
    out = {k: data[k] for k in EDITABLE if k in data}
    for field in ("name", "subject", "preheader", "sender_name"):
        if field not in out:
            continue
        value = " ".join(str(out[field] or "").split())
        if (problem := plaintext.line_problem(str(data[field] or ""))) is not None:
            errors[field] = problem
        elif len(value) > (limit := text_limit(Campaign, field)):
            errors[field] = too_long(limit)
        out[field] = value
    if "name" in out and not out["name"]:
        errors["name"] = "Donnez un nom à la campagne."
    if out.get("sender_name") and out["sender_name"] not in senders():
        errors["sender_name"] = "Choisissez un expéditeur configuré."
    if "channel_rule" in out and out["channel_rule"] not in CHANNEL_RULES:
        errors["channel_rule"] = "Choisissez une règle d'envoi."
    if "segment_id" in out and out["segment_id"] is not None and user is not None \
            and segments.find_visible(user, out["segment_id"]) is None:
        errors["segment_id"] = "Segment introuvable."
    if out.get("exclude_campaign_id") is not None and (
            campaign is not None and out["exclude_campaign_id"] == campaign.id):
        errors["exclude_campaign_id"] = "Une campagne ne peut pas s'exclure elle-même."
    if out.get("residence_id") is not None and \
            db.session.get(Residence, out["residence_id"]) is None:
        errors["residence_id"] = "Résidence introuvable."
    if "window_days" in out:
        days = "".join(sorted(set(str(out["window_days"] or ""))))
        if not days or any(d not in ALL_DAYS for d in days):
            errors["window_days"] = "Choisissez au moins un jour d'envoi."
        out["window_days"] = days
    start = out.get("window_start_hour", campaign.window_start_hour if campaign else 0)
    end = out.get("window_end_hour", campaign.window_end_hour if campaign else 24)
    if not (0 <= start < end <= 24):
        errors["window_end_hour"] = "La fin de la plage horaire doit suivre son début (0 à 24 h)."
    if out.get("daily_cap") is not None and out["daily_cap"] < 1:
        errors["daily_cap"] = "Le plafond quotidien doit être d'au moins 1 message."
    if "body" in out:
        from coopcrm.blocks import document, placeholders

        try:
            out["body"] = document.validate(out["body"] or document.empty(),
                                            allowed=placeholders.MEMBER_NAMES)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return out


def create(data: dict, user, entity_id: Any = None) -> Campaign:
    """A draft campaign for one of the user's entities or the group (scoping.checked_owner)."""
    owner = scoping.checked_owner(user, entity_id if entity_id is not None
                                  else scoping.default_owner(user)) if user is not None else None
    values = _checked({"name": data.get("name"), **data}, None, user)
    values.setdefault("sender_name", (senders() or [""])[0])
    campaign = Campaign(**values, entity_id=owner, created_by_id=user.id if user else None,
                        state="draft")
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, data: dict, user) -> Campaign:
    """Change a draft (or scheduled) campaign; a launched one is frozen."""
    if campaign.state not in ("draft", "scheduled"):
        raise ValidationFailed({"state": "Une campagne lancée ne se modifie plus : "
                                         "dupliquez-la."})
    for key, value in _checked(data, campaign, user).items():
        setattr(campaign, key, value)
    db.session.flush()
    return campaign


def duplicate(campaign: Campaign, user) -> Campaign:
    """A new draft with the same content and audience ("Copie de …")."""
    data = {k: getattr(campaign, k) for k in EDITABLE}
    limit = text_limit(Campaign, "name")
    data["name"] = f"Copie de {campaign.name}"[:limit]
    copy = Campaign(**data, entity_id=campaign.entity_id,
                    created_by_id=user.id if user else campaign.created_by_id, state="draft")
    db.session.add(copy)
    db.session.flush()
    return copy


# -- states --------------------------------------------------------------------------

def _require(campaign: Campaign, *states: str, action: str) -> None:
    if campaign.state not in states:
        raise ValidationFailed({"state": f"Impossible de {action} une campagne "
                                         f"« {campaign.state_label.lower()} »."})


def _ready(campaign: Campaign) -> None:
    from coopcrm.blocks import document

    errors = {}
    if campaign.segment is None:
        errors["segment_id"] = "Choisissez le segment destinataire."
    if campaign.channel_rule != "letter_all" and not campaign.subject:
        errors["subject"] = "Donnez un objet à l'email."
    if document.is_empty(campaign.body):
        errors["body"] = "Le message est vide."
    if errors:
        raise ValidationFailed(errors)


def schedule(campaign: Campaign, at: datetime, now: datetime) -> None:
    """Launch at `at` (the job does it); a draft only, in the future."""
    _require(campaign, "draft", "scheduled", action="programmer")
    _ready(campaign)
    if at <= now:
        raise ValidationFailed({"scheduled_at": "Choisissez une date à venir."})
    campaign.scheduled_at, campaign.state = at, "scheduled"
    db.session.flush()


def unschedule(campaign: Campaign) -> None:
    """A scheduled campaign back to draft."""
    _require(campaign, "scheduled", action="déprogrammer")
    campaign.scheduled_at, campaign.state = None, "draft"
    db.session.flush()


def send_context(campaign: Campaign) -> dict:
    """The variables every message of the campaign shares: the compiled document (once)."""
    from coopcrm.blocks import compiling, placeholders
    from coopcrm.sending.rendering import BODY_MJML, BODY_TEXT

    compiled = compiling.compile_email(campaign.body, base_url=current_app.config["BASE_URL"],
                                       allowed=placeholders.MEMBER_NAMES)
    return {BODY_MJML: compiled.mjml, BODY_TEXT: compiled.text,
            "campaign_subject": campaign.subject, "preheader": campaign.preheader,
            "campaign_id": campaign.id}


def freeze(campaign: Campaign, now: datetime) -> int:
    """Write the audience into the ledger (one INSERT … SELECT); how many rows."""
    from coopcrm.sending.services import share_context

    shared = share_context(send_context(campaign), now=now)
    campaign.shared_context_id = shared.id
    sub = classified(campaign).subquery()
    labels = case(*[(sub.c.reason == k, r.label) for k, r in RULES.items()], else_="")
    select_rows = select(
        literal(campaign.id), sub.c.member_id, sub.c.channel,
        case((sub.c.channel == "letter", "letter"), else_="queued"),
        labels, literal(0), literal(now, type_=CampaignRecipient.__table__.c.created_dt.type),
    ).where(sub.c.channel.is_not(None))
    table = CampaignRecipient.__table__
    db.session.execute(table.insert().from_select(
        ["campaign_id", "member_id", "channel", "status", "reason", "retries", "created_dt"],
        select_rows))
    # Counted, not the cursor's rowcount: psycopg reports -1 for this INSERT … SELECT.
    return db.session.scalar(select(func.count()).where(
        CampaignRecipient.campaign_id == campaign.id)) or 0


def launch(campaign: Campaign, now: datetime) -> int:
    """Freeze the audience and start sending; the outbox is fed after UNDO_DELAY (at once
    for a scheduled campaign, which the job launches).

    Returns how many recipients were frozen.
    """
    _require(campaign, "draft", "scheduled", action="lancer")
    _ready(campaign)
    frozen = freeze(campaign, now)
    campaign.state, campaign.launched_at = "sending", now
    db.session.flush()
    return frozen


def undo_launch(campaign: Campaign, now: datetime) -> None:
    """"Annuler l'envoi": within UNDO_DELAY of the launch, back to a draft, ledger erased."""
    if campaign.state != "sending" or campaign.launched_at is None \
            or now >= campaign.launched_at + UNDO_DELAY:
        raise ValidationFailed({"state": "Le délai d'annulation (60 secondes) est passé : "
                                         "mettez la campagne en pause ou annulez-la."})
    _take_back(campaign)
    db.session.execute(delete(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id))
    campaign.state, campaign.launched_at, campaign.scheduled_at = "draft", None, None
    db.session.flush()


def undo_seconds_left(campaign: Campaign, now: datetime) -> int:
    """Seconds left to "annuler l'envoi" (0 when it is too late)."""
    if campaign.state != "sending" or campaign.launched_at is None:
        return 0
    return max(0, int((campaign.launched_at + UNDO_DELAY - now).total_seconds()))


def _campaign_outbox_ids(campaign: Campaign) -> Select:
    return select(CampaignRecipient.outbox_message_id).where(
        CampaignRecipient.campaign_id == campaign.id,
        CampaignRecipient.outbox_message_id.is_not(None))


def _take_back(campaign: Campaign) -> int:
    """Delete the campaign's messages still waiting in the outbox; how many.

    A row the flusher has claimed is 'sending', not 'queued': it is left to finish
    (the current SMTP batch), everything behind it is taken back.
    """
    from coopcrm.sending.models import OutboxMessage

    taken = db.session.scalars(
        delete(OutboxMessage)
        .where(OutboxMessage.id.in_(_campaign_outbox_ids(campaign)),
               OutboxMessage.status == "queued")
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)).all()
    if taken:
        db.session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.campaign_id == campaign.id,
                   CampaignRecipient.outbox_message_id.in_(taken))
            .values(outbox_message_id=None, fed_dt=None, status="queued")
            .execution_options(synchronize_session=False))
    return len(taken)


def pause(campaign: Campaign) -> int:
    """Stop feeding and take back what waits in the outbox; how many were taken back."""
    _require(campaign, "sending", action="mettre en pause")
    campaign.state = "paused"
    taken = _take_back(campaign)
    db.session.flush()
    return taken


def resume(campaign: Campaign) -> None:
    """Feed again from where it stopped (the idempotency keys make a re-send impossible)."""
    _require(campaign, "paused", action="reprendre")
    campaign.state = "sending"
    db.session.flush()


def cancel(campaign: Campaign, now: datetime) -> int:
    """Stop for good; how many members had already received it (emails sent + letters)."""
    _require(campaign, "draft", "scheduled", "sending", "paused", action="annuler")
    _take_back(campaign)
    sync(campaign)
    db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id,
               CampaignRecipient.status == "queued",
               CampaignRecipient.outbox_message_id.is_(None))
        .values(status="suppressed", reason=CANCELLED)
        .execution_options(synchronize_session=False))
    campaign.state, campaign.finished_at = "cancelled", now
    db.session.flush()
    return counts(campaign).get("sent", 0)


def retry_failures(campaign: Campaign) -> int:
    """Queue again only the bounced and failed recipients (fed in batches); how many."""
    _require(campaign, "finished", "sending", "paused", action="relancer les échecs de")
    result = cast(CursorResult, db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id,
               CampaignRecipient.status.in_(("bounced", "failed")))
        .values(status="queued", reason="", outbox_message_id=None, fed_dt=None,
                retries=CampaignRecipient.retries + 1)
        .execution_options(synchronize_session=False)))
    n = result.rowcount or 0
    if n and campaign.state == "finished":
        campaign.state, campaign.finished_at = "sending", None
    db.session.flush()
    return n


# -- following the outbox --------------------------------------------------------------

def counts(campaign: Campaign) -> dict[str, int]:
    """Ledger rows by status."""
    rows = db.session.execute(
        select(CampaignRecipient.status, func.count())
        .where(CampaignRecipient.campaign_id == campaign.id)
        .group_by(CampaignRecipient.status))
    return {status: n for status, n in rows}


def failures(campaign: Campaign) -> int:
    c = counts(campaign)
    return c.get("bounced", 0) + c.get("failed", 0)


def state_text(campaign: Campaign) -> str:
    """The state as the pages and the CLI say it: "Terminée avec 12 échecs"."""
    if campaign.state == "finished" and (n := failures(campaign)):
        return f"Terminée avec {n} échec{'s' if n > 1 else ''}"
    return campaign.state_label


def sync(campaign: Campaign) -> None:
    """Bring the ledger in line with the outbox (sent, deferred, bounced, failed…)."""
    from coopcrm.sending.models import OutboxMessage

    mine = and_(CampaignRecipient.campaign_id == campaign.id,
                CampaignRecipient.status.in_(("queued", "deferred")),
                CampaignRecipient.outbox_message_id.is_not(None))
    error = (select(OutboxMessage.last_error)
             .where(OutboxMessage.id == CampaignRecipient.outbox_message_id)
             .scalar_subquery())
    mapping = (
        ("sent", OutboxMessage.status == "sent"),
        ("bounced", OutboxMessage.status == "bounced"),
        ("failed", OutboxMessage.status == "failed"),
        ("suppressed", OutboxMessage.status == "suppressed"),
        ("deferred", and_(OutboxMessage.status == "queued", OutboxMessage.attempts > 0)),
    )
    for status, condition in mapping:
        db.session.execute(
            update(CampaignRecipient)
            .where(mine, CampaignRecipient.status != status,
                   CampaignRecipient.outbox_message_id.in_(
                       select(OutboxMessage.id).where(condition)))
            .values(status=status, reason=case((literal(status == "sent"), ""), else_=error))
            .execution_options(synchronize_session=False))


def window_open(campaign: Campaign, now: datetime) -> bool:
    """Whether `now` (Paris time) is within the campaign's days and hours."""
    local = now.astimezone(clock.PARIS)
    return (str(local.isoweekday()) in campaign.window_days
            and campaign.window_start_hour <= local.hour < campaign.window_end_hour)


def _fed_today(campaign: Campaign, now: datetime) -> int:
    local = now.astimezone(clock.PARIS)
    start = datetime.combine(local.date(), time(0), tzinfo=clock.PARIS)
    return db.session.scalar(
        select(func.count()).where(CampaignRecipient.campaign_id == campaign.id,
                                   CampaignRecipient.fed_dt >= start)) or 0


def _waiting_in_outbox(campaign: Campaign) -> int:
    from coopcrm.sending.models import OutboxMessage

    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.id.in_(_campaign_outbox_ids(campaign)),
               OutboxMessage.status.in_(("queued", "sending")))) or 0


def idempotency_key(campaign_id: int, member_id: int, retries: int = 0) -> str:
    """The outbox key of a recipient's message (a retry of the failed has its own)."""
    key = f"campaign:{campaign_id}:member:{member_id}"
    return f"{key}:retry:{retries}" if retries else key


def _member_rows(ids: Iterable[int]) -> Select:
    """The member columns a message stores and the placeholders read."""
    return (select(Member.id, Member.email, Member.email_status, Member.first_name,
                   Member.last_name, Member.civility, Member.anonymised_dt,
                   Member.newsletter_consent, Member.share_count, Member.share_amount,
                   Residence.name.label("residence_name"), Member.references.label("references"))
            .outerjoin(Residence, Residence.id == Member.residence_id)
            .where(Member.id.in_(list(ids))))


def feed(campaign: Campaign, now: datetime, limit: int | None = None) -> int:
    """Hand the next batch of the ledger to the outbox, within window, cap and high-water.

    A member who withdrew their consent or unsubscribed since the launch is
    marked suppressed here and gets nothing. Returns how many were handed over.
    """
    from coopcrm.sending.models import OutboxMessage, SharedContext
    from coopcrm.sending.services import enqueue_many

    if campaign.state != "sending" or campaign.launched_at is None \
            or not window_open(campaign, now):
        return 0
    if campaign.scheduled_at is None and now < campaign.launched_at + UNDO_DELAY:
        return 0  # launched by hand: the 60 seconds of "annuler l'envoi" are not over
    room = min(FEED_BATCH if limit is None else limit,
               OUTBOX_HIGH_WATER - _waiting_in_outbox(campaign))
    if campaign.daily_cap is not None:
        room = min(room, campaign.daily_cap - _fed_today(campaign, now))
    if room <= 0:
        return 0
    ledger = db.session.execute(
        select(CampaignRecipient.id, CampaignRecipient.member_id, CampaignRecipient.retries)
        .where(CampaignRecipient.campaign_id == campaign.id,
               CampaignRecipient.channel == "email",
               CampaignRecipient.status == "queued",
               CampaignRecipient.outbox_message_id.is_(None))
        .order_by(CampaignRecipient.id).limit(room)).all()
    if not ledger:
        return 0
    by_member = {row.member_id: row for row in ledger}
    members = db.session.execute(_member_rows(by_member)).all()
    withdrawn = [by_member[m.id].id for m in members if not m.newsletter_consent]
    if withdrawn:
        db.session.execute(update(CampaignRecipient)
                           .where(CampaignRecipient.id.in_(withdrawn))
                           .values(status="suppressed", reason=WITHDRAWN)
                           .execution_options(synchronize_session=False))
    going = [m for m in members if m.newsletter_consent]
    keys = {m.id: idempotency_key(campaign.id, m.id, by_member[m.id].retries) for m in going}
    shared = db.session.get(SharedContext, campaign.shared_context_id) \
        if campaign.shared_context_id else None
    enqueue_many(TEMPLATE, going, lambda m: keys[m.id], shared=shared, now=now)
    outbox = dict(db.session.execute(
        select(OutboxMessage.idempotency_key, OutboxMessage.id)
        .where(OutboxMessage.idempotency_key.in_(list(keys.values())))).all())
    links = [{"row_id": by_member[mid].id, "outbox_id": outbox[key]}
             for mid, key in keys.items() if key in outbox]
    if links:
        table = CampaignRecipient.__table__
        db.session.connection().execute(
            table.update().where(table.c.id == bindparam("row_id"))
            .values(outbox_message_id=bindparam("outbox_id"), fed_dt=now), links)
    return len(links)


def _finish_if_done(campaign: Campaign, now: datetime) -> bool:
    if campaign.state != "sending":
        return False
    pending = db.session.scalar(
        select(func.count()).where(CampaignRecipient.campaign_id == campaign.id,
                                   CampaignRecipient.status.in_(("queued", "deferred"))))
    if pending:
        return False
    campaign.state, campaign.finished_at = "finished", now
    return True


def run_due(now: datetime) -> str:
    """The scheduler's job: launch scheduled campaigns that fell due, feed the sending ones,
    follow the outbox, finish those with nothing left. Commits per campaign."""
    launched = fed = finished = 0
    due = db.session.scalars(select(Campaign).where(
        Campaign.state == "scheduled", Campaign.scheduled_at <= now)).all()
    for campaign in due:
        launch(campaign, now)  # scheduled: nobody is there to undo it, feeding starts now
        db.session.commit()
        launched += 1
    active = db.session.scalars(select(Campaign).where(
        Campaign.state.in_(("sending", "paused")))).all()
    for campaign in active:
        sync(campaign)
        fed += feed(campaign, now)
        sync(campaign)  # suppressed at enqueue (unsubscribed since)
        finished += _finish_if_done(campaign, now)
        db.session.commit()
    return f"{launched} lancée(s), {fed} email(s) confiés à l'envoi, {finished} terminée(s)"


# -- tests and previews ----------------------------------------------------------------

def send_test(campaign: Campaign, user, member=None):
    """The campaign to the user's own address, with `member`'s data (or the user's name)."""
    from coopcrm.sending import services as sending

    return sending.send_test(user, TEMPLATE, member, context=send_context(campaign))


def preview(campaign: Campaign, member=None):
    """The campaign rendered as `member` would get it (the sample member by default),
    its links inert: sending.rendering.Rendered (subject, html, text)."""
    from coopcrm.sending import rendering
    from coopcrm.sending.preview import preview_context

    data = preview_context(send_context(campaign), member)
    return rendering.render(rendering.for_context(TEMPLATE, data), data)


# -- the seam for letters ---------------------------------------------------------------

def letter_recipients(campaign: Campaign) -> list[Member]:
    """Members the campaign writes to by letter, by postcode, then residence, then name.

    The letters work (coopcrm/letters) prints these; its ledger rows have status 'letter'.
    """
    return list(db.session.scalars(
        select(Member)
        .join(CampaignRecipient, CampaignRecipient.member_id == Member.id)
        .outerjoin(Residence, Residence.id == Member.residence_id)
        .where(CampaignRecipient.campaign_id == campaign.id,
               CampaignRecipient.channel == "letter")
        .order_by(Member.postal_code, Residence.name, Member.last_name, Member.first_name,
                  Member.id)))


def ledger(campaign: Campaign, status: str | None = None, channel: str | None = None) -> Select:
    """The ledger rows with their member, filtered, in order (for pages and the CLI)."""
    query = (select(CampaignRecipient, Member)
             .join(Member, Member.id == CampaignRecipient.member_id)
             .where(CampaignRecipient.campaign_id == campaign.id)
             .order_by(CampaignRecipient.id))
    if status:
        query = query.where(CampaignRecipient.status == status)
    if channel:
        query = query.where(CampaignRecipient.channel == channel)
    return query


def visible_campaigns(user) -> Select:
    """The campaigns the user may see, newest first."""
    return scoping.owned(select(Campaign), Campaign, user).order_by(Campaign.id.desc())

