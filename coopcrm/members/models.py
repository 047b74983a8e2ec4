"""The one member file common to every entity of the group."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from coopcrm.extensions import Model
from coopcrm.members.text import search_text
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime, check_in
from coopcrm.privacy.audited import Audited
from coopcrm.privacy.erasable import SCRUB, Erasable

TRACKS = {"accession": "Accession", "locatif": "Locatif"}
STATUSES = {"prospect": "Prospect", "cooperateur": "Coopérateur", "ancien": "Ancien coopérateur"}
EMAIL_STATUSES = {"valid": "Valide", "bounced": "En erreur", "unsubscribed": "Désinscrit"}
SHARE_KINDS = {"subscription": "Souscription", "reimbursement": "Remboursement"}
CIVILITIES = {"M.": "M.", "Mme": "Mme", "": "—"}


class Entity(IdMixin, Model):
    """A member organisation of the group (e.g. MFLA, GHT)."""

    __tablename__ = "entities"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    share_unit_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("16.00"))

    residences: Mapped[list[Residence]] = relationship(
        "Residence", back_populates="entity", order_by="Residence.name"
    )


class EntityOwned:
    """A shared object (segment, event, survey, newsletter edition…) that belongs to one
    entity or, with no entity, to the whole group: members.scoping decides who sees it,
    who changes it, and whom its audience may reach."""

    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)

    @declared_attr
    def entity(cls) -> Mapped[Entity | None]:
        return relationship("Entity")


class Residence(IdMixin, Model):
    """A housing programme (ensemble immobilier)."""

    __tablename__ = "residences"
    __table_args__ = (UniqueConstraint("entity_id", "name"),)

    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    name: Mapped[str] = mapped_column(String(200))
    commune: Mapped[str] = mapped_column(String(200), default="")
    dwellings: Mapped[int | None] = mapped_column(Integer)
    delivery_date: Mapped[date | None] = mapped_column(Date)

    entity: Mapped[Entity] = relationship("Entity", back_populates="residences")


class College(IdMixin, Model):
    """A voting college, configurable per cooperative, with its vote weight (SCIC)."""

    __tablename__ = "colleges"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    vote_weight: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("1"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class MemberEntity(Audited, Erasable, Model):
    """A member's link to an entity, with the reference that entity knows them by."""

    __tablename__ = "member_entities"

    access_title = "Entités et références"
    audit_kind = "entity_link"
    erase_values = {"reference": None}
    __table_args__ = (UniqueConstraint("entity_id", "reference"),)

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), primary_key=True, index=True)
    reference: Mapped[str | None] = mapped_column(String(60))

    entity: Mapped[Entity] = relationship("Entity", lazy="joined")
    member: Mapped[Member] = relationship("Member", back_populates="entity_links")

    def audit_object_id(self) -> int | None:
        """A link has no id of its own: the trail names it by its entity."""
        return self.entity_id


class Member(Audited, Erasable, TimestampMixin, Model):
    """A coopérateur (or prospect, or former coopérateur): one person, one row."""

    __tablename__ = "members"

    access_title = "Identité, coordonnées et situation"
    audit_kind = "member"
    # Anonymised, the row stays for the statistics under a pseudonym (privacy/erasure.py).
    erase_member_columns = ("id",)
    erase_values = {
        "civility": "", "first_name": "", "email": None, "phone": "", "address": "",
        "postal_code": "", "city": "",
        "last_name": lambda member_id, erasure: erasure.pseudonyms[member_id],
        "search_text": lambda member_id, erasure: search_text(
            erasure.pseudonyms[member_id], "", None),
        "anonymised_dt": lambda member_id, erasure: erasure.now,
        "newsletter_consent_source": SCRUB, "econvocation_consent_source": SCRUB,
    }
    # Share count, amount and status follow the share register, whose movements are
    # audited themselves.
    audit_ignored = frozenset({"share_count", "share_amount", "status"})
    __table_args__ = (
        check_in("track", TRACKS),
        check_in("status", STATUSES),
        check_in("email_status", EMAIL_STATUSES),
        # The members list, sorted by name, walks this index in order and tests the
        # search words against search_text without reading the rows; the COUNT is
        # an index-only scan too (bench/bench_members_list.py: page 66-123 ms -> ~10 ms).
        Index("ix_members_name_search", "last_name", "first_name", "id", "search_text",
              "anonymised_dt"),
    )

    civility: Mapped[str] = mapped_column(String(10), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")

    residence_id: Mapped[int | None] = mapped_column(ForeignKey("residences.id"), index=True)
    track: Mapped[str] = mapped_column(String(20), default="accession")
    college_id: Mapped[int | None] = mapped_column(ForeignKey("colleges.id"), index=True)
    # Follows the share register (see members.shares); stored for filtering.
    status: Mapped[str] = mapped_column(String(20), default="prospect", index=True)
    share_count: Mapped[int] = mapped_column(Integer, default=0)
    share_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))

    reservation_signed_on: Mapped[date | None] = mapped_column(Date, index=True)
    moved_in_on: Mapped[date | None] = mapped_column(Date)

    newsletter_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    newsletter_consent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    newsletter_consent_source: Mapped[str] = mapped_column(String(100), default="")
    econvocation_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    econvocation_consent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    econvocation_consent_source: Mapped[str] = mapped_column(String(100), default="")
    email_status: Mapped[str] = mapped_column(String(20), default="valid")

    # Lower-case, accent-free "name first email references": one indexed LIKE
    # serves the search box whatever the referent types.
    search_text: Mapped[str] = mapped_column(Text, default="")
    anonymised_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    residence: Mapped[Residence | None] = relationship("Residence", lazy="joined")
    college: Mapped[College | None] = relationship("College", lazy="joined")
    entity_links: Mapped[list[MemberEntity]] = relationship(
        "MemberEntity", back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )
    share_movements: Mapped[list[ShareMovement]] = relationship(
        "ShareMovement", back_populates="member", order_by="ShareMovement.occurred_on"
    )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.civility, self.first_name, self.last_name) if p)

    @hybrid_property
    def has_deliverable_email(self) -> bool:
        """An address we may write to: present and neither bounced nor unsubscribed.

        The one definition of a deliverable email, in Python and (below) in SQL.
        """
        return bool(self.email) and self.email_status == "valid"

    @has_deliverable_email.inplace.expression
    @classmethod
    def _has_deliverable_email_sql(cls) -> ColumnElement[bool]:
        return and_(cls.email.is_not(None), cls.email != "", cls.email_status == "valid")

    @property
    def entities(self):
        return [link.entity for link in self.entity_links]

    @hybrid_property
    def references(self) -> str:
        """'HAB 004512, ACC 17': the member's reference in each entity that gave one.

        In SQL too (a scalar subquery), for the sends that read member rows, not Members.
        """
        return ", ".join(f"{link.entity.code} {link.reference}"
                         for link in self.entity_links if link.reference)

    @references.inplace.expression
    @classmethod
    def _references_sql(cls) -> ColumnElement[str]:
        return (select(func.aggregate_strings(Entity.code + " " + MemberEntity.reference, ", "))
                .select_from(MemberEntity).join(Entity, Entity.id == MemberEntity.entity_id)
                .where(MemberEntity.member_id == cls.id, MemberEntity.reference.is_not(None),
                       MemberEntity.reference != "")
                .scalar_subquery())

    def tenure_years(self, today: date) -> int | None:
        """Whole years since move-in (ancienneté)."""
        if not self.moved_in_on:
            return None
        years = today.year - self.moved_in_on.year
        if (today.month, today.day) < (self.moved_in_on.month, self.moved_in_on.day):
            years -= 1
        return years

    def audit_member_id(self) -> int | None:
        """The member is the row itself."""
        return self.id


class ShareMovement(Audited, Erasable, IdMixin, Model):
    """One line of the social-share register; append-only (corrections are new lines)."""

    __tablename__ = "share_movements"

    access_title = "Registre des parts sociales"
    audit_kind = "share"
    erase_values = {"note": SCRUB}
    legal_record = "share_register"
    __table_args__ = (
        check_in("kind", SHARE_KINDS),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    member: Mapped[Member] = relationship("Member", back_populates="share_movements")

    @property
    def signed_quantity(self) -> int:
        return self.quantity if self.kind == "subscription" else -self.quantity
