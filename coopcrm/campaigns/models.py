"""A campaign (one message to a segment) and its per-recipient ledger."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm import clock
from coopcrm.extensions import Model
from coopcrm.members.models import EntityOwned
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime, check_in

if TYPE_CHECKING:
    from coopcrm.auth.models import User
    from coopcrm.segments.models import Segment

STATES = {
    "draft": "Brouillon",
    "scheduled": "Programmée",
    "sending": "En cours d'envoi",
    "paused": "En pause",
    "finished": "Terminée",
    "cancelled": "Annulée",
}

CHANNEL_RULES = {
    "email_else_letter": "Email si possible, sinon courrier",
    "email_only": "Email seulement",
    "letter_all": "Courrier à tous",
}

CHANNELS = {"email": "Email", "letter": "Courrier"}

RECIPIENT_STATUSES = {
    "queued": "En attente",
    "sent": "Envoyé",
    "deferred": "Différé (nouvel essai prévu)",
    "bounced": "Rejeté (adresse invalide)",
    "failed": "Échec",
    "suppressed": "Non envoyé",
    "letter": "Courrier",
}

# Days of the week as ISO numbers (1 = lundi) in `window_days`.
ALL_DAYS = "1234567"


class Campaign(EntityOwned, TimestampMixin, Model):
    """One message to a saved segment; frozen into CampaignRecipient rows at launch."""

    __tablename__ = "campaigns"
    __table_args__ = (
        check_in("state", STATES),
        check_in("channel_rule", CHANNEL_RULES),
    )

    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(250), default="")
    preheader: Mapped[str] = mapped_column(String(250), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    # A block document (coopcrm.blocks), as newsletter editions store theirs.
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    segment_id: Mapped[int | None] = mapped_column(
        ForeignKey("segments.id", ondelete="SET NULL"), index=True)
    exclude_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"))
    residence_id: Mapped[int | None] = mapped_column(
        ForeignKey("residences.id", ondelete="SET NULL"))
    channel_rule: Mapped[str] = mapped_column(String(20), default="email_else_letter")
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sending window, Paris time: ISO weekdays ("12345") and hours [start, end).
    window_days: Mapped[str] = mapped_column(String(7), default=ALL_DAYS)
    window_start_hour: Mapped[int] = mapped_column(Integer, default=0)
    window_end_hour: Mapped[int] = mapped_column(Integer, default=24)
    daily_cap: Mapped[int | None] = mapped_column(Integer)  # emails handed to the outbox a day
    # The compiled document and variables of the send, stored once (outbox shared context).
    shared_context_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_shared_contexts.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "Publier dans les archives": a launched campaign's page anyone may read (no member data).
    published: Mapped[bool] = mapped_column(Boolean, default=False)

    segment: Mapped[Segment | None] = relationship("Segment")
    created_by: Mapped[User | None] = relationship("User")

    @property
    def state_label(self) -> str:
        return STATES.get(self.state, self.state)


class CampaignRecipient(IdMixin, Model):
    """One member of a launched campaign: the channel chosen at launch and what happened."""

    __tablename__ = "campaign_recipients"

    access_title = "Campagnes reçues"
    __table_args__ = (
        check_in("channel", CHANNELS),
        check_in("status", RECIPIENT_STATUSES),
        UniqueConstraint("campaign_id", "member_id", name="uq_campaign_recipients_member"),
        Index("ix_campaign_recipients_status", "campaign_id", "status"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10), default="email")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    reason: Mapped[str] = mapped_column(Text, default="")
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), index=True)
    # When the row was handed to the outbox (the daily cap counts these), and how many retries.
    fed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    # A letter recipient: when their letter was marked as posted, and the "courrier"
    # moment that put it on their timeline (claimed once: letter_dt is set only once).
    letter_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moment_id: Mapped[int | None] = mapped_column(
        ForeignKey("moments.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)

    @property
    def status_label(self) -> str:
        return RECIPIENT_STATUSES.get(self.status, self.status)


class CampaignLink(IdMixin, Model):
    """A link of a launched campaign's body and how many times it was followed, in total.

    Written when the body is compiled at launch (campaigns.clicks): the redirect
    /c/<campaign>/<position> reaches only these addresses. No row names a member: the
    CNIL asks consent for per-person click tracking, aggregate counts need none.
    """

    __tablename__ = "campaign_links"
    __table_args__ = (UniqueConstraint("campaign_id", "position",
                                       name="uq_campaign_links_position"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # 1, 2… in the order of the body
    url: Mapped[str] = mapped_column(String(500))  # blocks.richtext.URL_MAX
    clicks: Mapped[int] = mapped_column(Integer, default=0)


class CampaignAttachment(IdMixin, Model):
    """A file every email of the campaign carries, stored once by the app
    (sending.attachments); the outbox rows only share a reference to it."""

    __tablename__ = "campaign_attachments"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120))  # cleaned; mime.py cleans it again
    content_type: Mapped[str] = mapped_column(String(100))  # from the content, not the upload
    stored_name: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)


# The construction milestones of the "information d'avancement" kit (campaigns/kit.py),
# in the order a programme goes through them.
MILESTONES = {
    "demarrage": "Démarrage des travaux",
    "fondations": "Fondations",
    "hors_d_eau": "Hors d'eau",
    "hors_d_air": "Hors d'air",
    "achevement": "Achèvement des travaux",
    "livraison": "Livraison",
    "levee_reserves": "Levée de réserves",
}


class CampaignMilestone(Model):
    """A campaign prepared by the kit: which programme and which milestone it announces.

    Its recipients get an "information d'avancement" moment on their timeline when
    their email is sent or their letter posted (kit.note_sent).
    """

    __tablename__ = "campaign_milestones"
    __table_args__ = (check_in("milestone", MILESTONES),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    residence_id: Mapped[int | None] = mapped_column(
        ForeignKey("residences.id", ondelete="SET NULL"), index=True)
    milestone: Mapped[str] = mapped_column(String(20))

    @property
    def label(self) -> str:
        return MILESTONES.get(self.milestone, self.milestone)
