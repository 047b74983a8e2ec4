from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coopcrm.extensions import Model
from coopcrm.members.models import EntityOwned
from coopcrm.models import TimestampMixin

if TYPE_CHECKING:
    from coopcrm.auth.models import User



class Segment(EntityOwned, TimestampMixin, Model):
    """A named member filter; `filters` holds the members-list query arguments."""

    __tablename__ = "segments"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship("User")
