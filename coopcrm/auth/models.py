"""Users of the application (staff, never members), their entity scope, sessions and factors."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from coopcrm import clock
from coopcrm.extensions import Model, db
from coopcrm.models import IdMixin, TimestampMixin, UTCDateTime, check_in

if TYPE_CHECKING:
    from coopcrm.members.models import Entity


ROLES = {
    "admin": "Administrateur",
    "referent": "Référent vie coopérative",
    "lecteur": "Lecteur (consultation)",
}

# Rights an admin grants one by one on top of the role (admins have them all): what the
# RGPD asks to restrict to named people (issue 14). Keys stored, French labels shown.
RIGHTS = {
    "export_data": "Exporter les données personnelles d'un coopérateur",
    "anonymise": "Anonymiser un coopérateur",
    "read_audit": "Voir le journal des consultations",
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
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The TOTP second factor (RFC 6238), once enrolled; the last time step accepted, so a
    # code seen over a shoulder cannot be replayed within its 30 seconds.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    entities: Mapped[list[Entity]] = relationship(
        "Entity", secondary=user_entities, lazy="selectin"
    )
    granted: Mapped[list[UserRight]] = relationship(
        "UserRight", lazy="selectin", cascade="all, delete-orphan"
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
    def rights(self) -> set[str]:
        """The RIGHTS keys this user holds (every one for an admin)."""
        return set(RIGHTS) if self.is_admin else {g.kind for g in self.granted}

    def has_right(self, right: str) -> bool:
        return right in self.rights

    @property
    def sees_all_entities(self) -> bool:
        return self.is_admin or self.all_entities

    @property
    def entity_ids(self) -> list[int]:
        return [e.id for e in self.entities]

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None


class StaffSession(IdMixin, Model):
    """One signed-in browser. The cookie carries a random token; only its hash is stored.

    A request is signed in only while its row is open, within the idle and absolute
    limits: ending the row (logout, password change, deactivation…) ends the session
    wherever the cookie was copied.
    """

    __tablename__ = "staff_sessions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(60), default="")
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # A TOTP secret being enrolled from this browser, until its first code is typed: kept
    # here rather than in the cookie, which is signed but readable.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))

    # Joined: every request reads the session and its user together, in one query.
    user: Mapped[User] = relationship("User", lazy="joined")


class LoginThrottle(IdMixin, Model):
    """Failed attempts for one key (an account, an address, or both) in the current window."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(400), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordReset(IdMixin, Model):
    """A "mot de passe oublié" link: single use, short-lived; only the token's hash is kept."""

    __tablename__ = "password_resets"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship("User")


class RecoveryCode(IdMixin, Model):
    """A one-time code that stands in for the TOTP code (phone lost); kept hashed."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SecurityEvent(IdMixin, Model):
    """The security log: sign-ins, failures, password and factor changes, revocations.

    `user_id` is the account concerned (None for an address nobody has), `actor_id`
    who did it when that is someone else (an admin), `email` what was typed.
    """

    __tablename__ = "security_events"

    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254), default="")
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User | None] = relationship("User", foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship("User", foreign_keys=[actor_id])


class UserRight(Model):
    """One right of RIGHTS granted to one user."""

    __tablename__ = "user_rights"
    __table_args__ = (check_in("kind", RIGHTS),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
