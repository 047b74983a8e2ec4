"""Campaigns: writing one, and its states from draft to finished.

At launch the audience (`audience.classified`) is written into
campaign_recipients by one INSERT … SELECT (`freeze`). Pause, cancel and
"annuler l'envoi" take back what waits in the outbox (`feeding.take_back`);
the scheduler's job (`run_due`) launches scheduled campaigns and feeds the
sending ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, case, delete, func, literal, select, update

from coopcrm import plaintext
from coopcrm.campaigns import attachments, clicks
from coopcrm.campaigns.audience import RULES, classified
from coopcrm.campaigns.feeding import (
    TEMPLATE,
    UNDO_DELAY,
    counts,
    feed,
    finish_if_done,
    sync,
    take_back,
)
from coopcrm.campaigns.models import ALL_DAYS, CHANNEL_RULES, Campaign, CampaignRecipient
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.models import Residence
from coopcrm.models import text_limit, too_long
from coopcrm.segments import services as segments

CANCELLED = "Campagne annulée avant l'envoi"


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
    attachments.copy_to(campaign, copy)
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


def send_context(campaign: Campaign, frozen: bool = False) -> dict:
    """The variables every message of the campaign shares: the compiled document (once).

    `frozen` (the launch): links go through the click counter (campaigns.clicks) and
    the attached files are referenced (campaigns.attachments); previews and tests
    keep the plain links.
    """
    from coopcrm.blocks import compiling, placeholders
    from coopcrm.sending.rendering import BODY_MJML, BODY_TEXT
    from coopcrm.sending.services import ATTACHMENTS

    base_url = current_app.config["BASE_URL"]
    body = clicks.track(campaign, base_url) if frozen else campaign.body
    compiled = compiling.compile_email(body, base_url=base_url,
                                       allowed=placeholders.MEMBER_NAMES)
    context = {BODY_MJML: compiled.mjml, BODY_TEXT: compiled.text,
               "campaign_subject": campaign.subject, "preheader": campaign.preheader,
               "campaign_id": campaign.id}
    if frozen and (files := attachments.references(campaign)):
        context[ATTACHMENTS] = files
    return context


def freeze(campaign: Campaign, now: datetime) -> int:
    """Write the audience into the ledger (one INSERT … SELECT); how many rows."""
    from coopcrm.sending.services import share_context

    shared = share_context(send_context(campaign, frozen=True), now=now)
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
    take_back(campaign)
    db.session.execute(delete(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id))
    campaign.state, campaign.launched_at, campaign.scheduled_at = "draft", None, None
    db.session.flush()


def undo_seconds_left(campaign: Campaign, now: datetime) -> int:
    """Seconds left to "annuler l'envoi" (0 when it is too late)."""
    if campaign.state != "sending" or campaign.launched_at is None:
        return 0
    return max(0, int((campaign.launched_at + UNDO_DELAY - now).total_seconds()))


def pause(campaign: Campaign) -> int:
    """Stop feeding and take back what waits in the outbox; how many were taken back."""
    _require(campaign, "sending", action="mettre en pause")
    campaign.state = "paused"
    taken = take_back(campaign)
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
    take_back(campaign)
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
        finished += finish_if_done(campaign, now)
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
