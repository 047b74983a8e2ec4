"""Is the database at the schema this code expects? (CLI guard and health check.)"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.engine import Connection

from coopcrm.extensions import db


@dataclass(frozen=True)
class SchemaState:
    """The revisions the database holds and the ones the shipped migrations end at."""

    current: tuple[str, ...]
    head: tuple[str, ...]
    known: frozenset[str] = frozenset()  # every revision the shipped migrations hold

    @property
    def ok(self) -> bool:
        return set(self.current) == set(self.head)

    @property
    def missing(self) -> bool:
        return not self.current

    def problem_fr(self) -> str:
        """One French line saying what to do, or '' when the schema is current."""
        if self.ok:
            return ""
        if self.missing:
            return "La base n'est pas initialisée : lancez `coopcrm db upgrade`."
        if set(self.current) - self.known:
            return ("La base a été migrée par une version plus récente de CoopCRM "
                    f"({', '.join(self.current)}) : installez cette version.")
        return "La base n'est pas à jour : lancez `coopcrm db upgrade`."


def head_revisions() -> tuple[str, ...]:
    """The heads of the migrations Flask-Migrate was given (read once per folder)."""
    return _heads(str(current_app.extensions["migrate"].directory))


def known_revisions() -> frozenset[str]:
    """Every revision of the shipped migrations: a database at another one is newer than us."""
    return _known(str(current_app.extensions["migrate"].directory))


# The scripts do not change while the process runs: read them once per folder.
@functools.lru_cache(maxsize=8)
def _heads(directory: str) -> tuple[str, ...]:
    return tuple(ScriptDirectory(directory).get_heads())


@functools.lru_cache(maxsize=8)
def _known(directory: str) -> frozenset[str]:
    return frozenset(s.revision for s in ScriptDirectory(directory).walk_revisions())


def current_revisions(conn: Connection) -> tuple[str, ...]:
    """The revisions alembic_version holds on `conn` (empty before `db upgrade`)."""
    return tuple(MigrationContext.configure(conn).get_current_heads())


def state() -> SchemaState:
    """Read the database's alembic revision (raises SQLAlchemy's error if unreachable)."""
    with db.engine.connect() as conn:
        current = current_revisions(conn)
    return SchemaState(current=current, head=head_revisions(), known=known_revisions())
