"""Campaigns: feeding the outbox and following it.

The ledger is fed to the outbox by `feed` (from the scheduler's job) in batches,
only while the campaign is 'sending', its window is open (Paris time) and its
daily cap is not reached, and never more than OUTBOX_HIGH_WATER of its
messages wait in the outbox at once: pausing takes those back (`take_back`:
rows still 'queued' in the outbox are deleted, so nothing beyond the SMTP batch
being sent leaves), and resuming feeds them again under the same idempotency
key `campaign:<id>:member:<id>`, which the outbox accepts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from sqlalchemy import Select, and_, bindparam, case, delete, func, literal, select, update

from coopcrm import clock
from coopcrm.campaigns.models import Campaign, CampaignRecipient
from coopcrm.extensions import db
from coopcrm.members.models import Member, Residence

TEMPLATE = "campaign"
UNDO_DELAY = timedelta(seconds=60)  # "annuler l'envoi": nothing is fed to the outbox before
FEED_BATCH = 500  # ledger rows handed to the outbox at a time
OUTBOX_HIGH_WATER = 1000  # at most this many of a campaign's messages wait in the outbox
WITHDRAWN = "Désinscrit pendant la campagne"


def _campaign_outbox_ids(campaign: Campaign) -> Select:
    return select(CampaignRecipient.outbox_message_id).where(
        CampaignRecipient.campaign_id == campaign.id,
        CampaignRecipient.outbox_message_id.is_not(None))


def take_back(campaign: Campaign) -> int:
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


def finish_if_done(campaign: Campaign, now: datetime) -> bool:
    if campaign.state != "sending":
        return False
    pending = db.session.scalar(
        select(func.count()).where(CampaignRecipient.campaign_id == campaign.id,
                                   CampaignRecipient.status.in_(("queued", "deferred"))))
    if pending:
        return False
    campaign.state, campaign.finished_at = "finished", now
    return True
