"""Users of the application (staff, never members) and their entity scope."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from coopcrm.extensions import Model, db
from coopcrm.models import TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from coopcrm.members.models import Entity


ROLES = {
    "admin": "Administrateur",
    "referent": "Référent vie coopérative",
    "lecteur": "Lecteur (consultation)",
}

user_entities = Table(
    "user_entities",
    db.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default="referent")
    # Group-wide users see every entity; the others only those linked below.
    all_entities: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    entities: Mapped[list[Entity]] = relationship(
        "Entity", secondary=user_entities, lazy="selectin"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_edit(self) -> bool:
        return self.role in ("admin", "referent")

    @property
    def sees_all_entities(self) -> bool:
        return self.is_admin or self.all_entities

    @property
    def entity_ids(self) -> list[int]:
        return [e.id for e in self.entities]

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)
