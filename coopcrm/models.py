"""Base column types and mixins shared by every domain's models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import CheckConstraint, DateTime, String, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from coopcrm import clock
from coopcrm.extensions import Model

T = TypeVar("T")


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


def text_limit(model: type[Model], column: str) -> int:
    """The longest text `model.column` holds: its String(n), where the limit is written once.

    Forms, services and the importer read it here, so a longer column in a migration
    lengthens what every way in accepts.
    """
    kind = model.__table__.c[column].type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"{model.__name__}.{column} has no length")
    return kind.length


def too_long(limit: int) -> str:
    """The French message for a text over its limit."""
    return f"{limit} caractères au maximum."


def mapped_subclasses(mixin: type[T]) -> list[type[T]]:
    """Every mapped model deriving from `mixin` (their modules imported: models_registry);
    how privacy finds the models a domain marked Audited or Erasable."""
    found, todo = [], list(mixin.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "__tablename__" in vars(cls):
            found.append(cls)
    return found
