"""What the unsubscribe mailbox received: one row per message read, its ledger and its listing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm import clock
from coopcrm.extensions import Model
from coopcrm.models import IdMixin, UTCDateTime, check_in
from coopcrm.privacy.erasable import SCRUB, Erasable

if TYPE_CHECKING:
    from coopcrm.auth.models import User
    from coopcrm.members.models import Member

KINDS = {
    "unsubscribe": "Désinscription appliquée",
    "bounce": "Retour d'erreur",
    "other": "Autre",
}
# The text kept of a message: enough to read it, never the whole of a hostile one.
EXCERPT_LIMIT = 4000


class InboundMessage(Erasable, IdMixin, Model):
    """One message of the unsubscribe mailbox, read once.

    `message_key` (the Message-ID, or a hash of the bytes when there is none) is
    the ledger: a message read again (a second ingest, the job after the
    command) is recognised and changes nothing.
    """

    __tablename__ = "inbound_messages"
    access_title = "Messages reçus de votre part"
    # The ledger key and the mailbox it came from are the machinery's, not the member's.
    access_hidden = ("message_key", "source", "handled_by_id")
    erase_values = {"from_address": "", "from_name": "", "subject": SCRUB, "excerpt": SCRUB,
                    "detail": SCRUB}
    __table_args__ = (
        check_in("kind", KINDS),
        Index("ix_inbound_messages_kind_received", "kind", "recorded_dt"),
    )

    message_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The member the message is about: the unsubscribe token's, the bounced address's,
    # or the sender's address when it is a member's. None: nobody we know.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True)
    from_address: Mapped[str] = mapped_column(String(254), default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its Date header
    size: Mapped[int] = mapped_column(Integer, default=0)
    excerpt: Mapped[str] = mapped_column(Text, default="")  # text only, EXCERPT_LIMIT
    detail: Mapped[str] = mapped_column(String(500), default="")  # what was done, in French
    source: Mapped[str] = mapped_column(String(300), default="")  # the mailbox it came from
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    handled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    member: Mapped[Member | None] = relationship("Member")
    handled_by: Mapped[User | None] = relationship("User")

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)
