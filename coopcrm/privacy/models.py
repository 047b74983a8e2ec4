from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm import clock
from coopcrm.extensions import Model
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime, check_in
from coopcrm.privacy.audited import Audited
from coopcrm.privacy.erasable import SCRUB, Erasable

if TYPE_CHECKING:
    from coopcrm.auth.models import User


CONSENT_KINDS = {
    "newsletter": "Lettre d'information par email",
    "econvocation": "Convocation électronique à l'AG",
}


class ConsentRecord(Audited, Erasable, IdMixin, Model):
    """Each grant or withdrawal of a consent, with its date, source and wording."""

    __tablename__ = "consent_records"

    access_title = "Consentements et leurs preuves"
    audit_kind = "consent"
    erase_values = {"source": SCRUB}

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    source: Mapped[str] = mapped_column(String(100))
    wording: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The email whose body held the link the member used (their proof of consent).
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    # The scan of the paper form a referent recorded (privacy/proofs.py): the stored file's
    # name, which is also its name in the subject-access ZIP (preuves/<name>).
    proof_file: Mapped[str | None] = mapped_column(String(40))
    proof_bytes: Mapped[int | None] = mapped_column(Integer)

    @classmethod
    def access_files(cls, member_id: int) -> list[tuple[str, bytes]]:
        """The scans of this member's paper forms, as the subject-access ZIP holds them."""
        from coopcrm.privacy import proofs

        return proofs.files_of(cls.__table__, member_id)

    @classmethod
    def erase_rows(cls, connection, member_ids: list[int], erasure) -> None:
        """The scans go with the person (privacy/proofs.py says why the law lets them)."""
        from coopcrm.privacy import proofs

        proofs.erase(connection, cls.__table__, member_ids)


class AuditEntry(Erasable, IdMixin, Model):
    """Who did what to which member, when; `changes` maps a field to [old, new]."""

    __tablename__ = "audit_entries"

    access_title = "Historique des modifications"

    access_member_columns = ("member_id",)  # no foreign key: see below
    # What happened stays; the former identity strings it quoted do not.
    erase_values = {"changes": SCRUB, "summary": SCRUB}
    __table_args__ = (Index("ix_audit_entries_member_dt", "member_id", "recorded_dt"),)

    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When no user acted: "import", "scheduler", "membre" (a personal link)...
    actor: Mapped[str] = mapped_column(String(100), default="")
    member_id: Mapped[int | None] = mapped_column(Integer)  # no FK: survives erasure
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="member")
    object_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship("User", lazy="joined")


class RetentionPeriod(Model):
    """A retention period an admin changed in the app (privacy/periods.py); without a row,
    the setting's value holds."""

    __tablename__ = "retention_periods"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)  # the app.config key
    value: Mapped[int] = mapped_column(Integer)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class LegalIdentity(Model):
    """An anonymised member's identity as a legal record must keep it, apart from the file.

    The share register (R228-8) and the AG attendance sheets (R225-95) name the
    person for years after they leave; their name and address wait here, shown by
    those records only, until `kept_until`, when the retention job deletes the row.
    The one place the erasure test allows a former identity to remain.
    """

    __tablename__ = "legal_identities"

    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # no FK: like the audit
    civility: Mapped[str] = mapped_column(String(10), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    references: Mapped[list] = mapped_column(JSON, default=list)
    records: Mapped[list] = mapped_column(JSON, default=list)  # LEGAL_RECORDS keys
    kept_until: Mapped[date] = mapped_column(Date, index=True)
    anonymised_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.civility, self.first_name, self.last_name) if p)


# A data subject's request (RGPD art. 15 to 21), the register the DPO keeps.
REQUEST_KINDS = {
    "access": "Accès (art. 15)",
    "rectification": "Rectification (art. 16)",
    "erasure": "Effacement (art. 17)",
    "objection": "Opposition (art. 21)",
    "portability": "Portabilité (art. 20)",
}
REQUEST_CHANNELS = {
    "email": "Email",
    "courrier": "Courrier",
    "accueil": "En personne",
    "telephone": "Téléphone",
}


class DataRequest(Erasable, TimestampMixin, Model):
    """One request of a person about their data: received, due within a month (three
    when extended, art. 12.3), answered. The member may be unknown (a former tenant,
    a prospect not in the file): the requester's name is then the only link."""

    __tablename__ = "data_requests"
    __table_args__ = (check_in("kind", REQUEST_KINDS), check_in("channel", REQUEST_CHANNELS))
    access_title = "Demandes relatives à vos données"
    # The register keeps that a request was made and answered, not who made it.
    erase_values = {"requester": SCRUB, "notes": SCRUB, "answer": SCRUB}

    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True)
    requester: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recorded_by: Mapped[User | None] = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def kind_label(self) -> str:
        return REQUEST_KINDS[self.kind]

    @property
    def channel_label(self) -> str:
        return REQUEST_CHANNELS[self.channel]


# What a staff user opened about one member (the read audit, "journal des consultations").
READ_KINDS = {
    "page": "Fiche",
    "history": "Historique des modifications",
    "access_export": "Export de ses données (RGPD)",
}


class MemberRead(Model):
    """One staff user opening one member's data: who, when, what. Never switched off;
    pruned after COOPCRM_RETENTION_READS_DAYS (privacy.prune_reads)."""

    __tablename__ = "member_reads"
    __table_args__ = (Index("ix_member_reads_member_dt", "member_id", "read_dt"),
                      check_in("kind", READ_KINDS))
    access_title = "Consultations de votre fiche"
    access_member_columns = ("member_id",)  # no foreign key: the journal outlives the file

    # A bigint: at a few hundred thousand views a month the journal outgrows nothing.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    read_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    member_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))

    user: Mapped[User | None] = relationship("User", lazy="joined")

    @property
    def kind_label(self) -> str:
        return READ_KINDS[self.kind]
