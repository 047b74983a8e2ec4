"""The outbox (every email the app sends) and the bounce log."""

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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm import clock
from coopcrm.extensions import Model
from coopcrm.models import IdMixin, UTCDateTime, check_in
from coopcrm.privacy.erasable import SCRUB, Erasable

if TYPE_CHECKING:
    from coopcrm.auth.models import User
    from coopcrm.members.models import Member


STATUSES = {
    "queued": "En attente",
    "sending": "En cours d'envoi",
    "sent": "Envoyé",
    "failed": "Échec",
    "bounced": "Rejeté (adresse invalide)",
    "suppressed": "Non envoyé",
}


class SharedContext(IdMixin, Model):
    """Template variables common to a whole send (an edition's text): stored once, not per row."""

    __tablename__ = "outbox_shared_contexts"

    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class OutboxMessage(Erasable, IdMixin, Model):
    """One email to one recipient, written in the transaction that decided to send it.

    Only what is per recipient is stored (the rendered subject and the
    template variables); the HTML and text parts are rendered and the MIME
    bytes built at send time (see sending.flush).
    """

    __tablename__ = "outbox_messages"

    access_title = "Messages envoyés"

    access_hidden = ("context", "to_name", "claim_token", "attempts")
    # The history keeps date, template and status; not where it went nor whom it named.
    erase_values = {"to_address": "", "to_name": "", "subject": SCRUB, "context": SCRUB,
                    "last_error": SCRUB}
    __table_args__ = (
        check_in("status", STATUSES),
        Index("ix_outbox_messages_due", "status", "next_attempt_dt"),
        Index("ix_outbox_messages_member_created", "member_id", "created_dt"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(60), index=True)
    # Bulk mail honours unsubscription and carries List-Unsubscribe; transactional mail does not.
    bulk: Mapped[bool] = mapped_column(Boolean, default=True)
    # Deleting a member deletes their messages: nothing queued may go to a deleted person.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(254), default="")
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    shared_context_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_shared_contexts.id", ondelete="SET NULL"), index=True
    )

    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    claimed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str | None] = mapped_column(String(250), index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member | None] = relationship("Member")
    created_by: Mapped[User | None] = relationship("User", lazy="joined")

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


BOUNCE_KINDS = {"hard": "Définitif", "soft": "Temporaire"}


class Bounce(Erasable, IdMixin, Model):
    """A delivery failure reported by the SMTP server at send time or by a DSN afterwards."""

    __tablename__ = "email_bounces"

    access_title = "Retours d'erreur d'envoi"
    erase_values = {"address": "", "diagnostic": SCRUB, "source_ref": SCRUB}
    __table_args__ = (
        check_in("kind", BOUNCE_KINDS),
        Index("ix_email_bounces_address", "address"),
    )

    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    address: Mapped[str] = mapped_column(String(254))  # lower-cased
    kind: Mapped[str] = mapped_column(String(10))
    status_code: Mapped[str] = mapped_column(String(20), default="")
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="smtp")  # smtp | dsn
    # A DSN read twice must not count twice: "<dsn message-id> <recipient>".
    source_ref: Mapped[str | None] = mapped_column(String(400), unique=True)
