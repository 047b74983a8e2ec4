"""Base column types and mixins shared by every domain's models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from coopcrm import clock


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both SQLite (which has no time zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class IdMixin:
    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin(IdMixin):
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.stamp,
                                                 onupdate=clock.stamp)


def check_in(column: str, values: Iterable[str | int], *, name: str | None = None
             ) -> CheckConstraint:
    """CHECK (column IN (...)) from a value set written once (a label table's keys).

    The stored values of a status, kind or track come from the dict that also
    labels them in French, so a new value cannot be offered by a form and refused
    by the database, or the other way round. The text is the one Alembic wrote in
    the migrations ("status IN ('a', 'b')"); the name defaults to the column's,
    which the naming convention turns into ck_<table>_<column>.
    """
    listed = ", ".join(str(v) if isinstance(v, int) else "'" + v.replace("'", "''") + "'"
                       for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or column)
