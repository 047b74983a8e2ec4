"""The audit trail: every change to a member, written in the transaction that made it.

One session listener covers every path (web, CLI, import, scheduler) so no
view can forget it. Bulk paths that bypass the ORM (the importer) call
`record_bulk` themselves. Which models it watches, each domain says by marking
them `Audited` (privacy/audited.py): privacy imports no domain above it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from coopcrm import clock
from coopcrm.models import mapped_subclasses
from coopcrm.privacy.audited import Audited
from coopcrm.privacy.models import AuditEntry

_actor: ContextVar[tuple[int | None, str] | None] = ContextVar("audit_actor", default=None)

# Derived or bookkeeping columns: their changes say nothing a person did.
_IGNORED = {"search_text", "updated_dt", "created_dt"}


def _ignored(obj: Audited) -> set[str]:
    return _IGNORED | obj.audit_ignored


@contextmanager
def acting_as(user=None, actor: str = "") -> Iterator[None]:
    """Attribute the changes made in this block to a user or a named actor."""
    token = _actor.set((user.id if user is not None else None, actor))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> tuple[int | None, str]:
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, ""
        return None, "membre"
    return None, "système"


def plain(value):
    """A value as the audit trail stores it in JSON (dates ISO, amounts as strings)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _diff(obj) -> dict:
    changes = {}
    ignored = _ignored(obj)
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[attr.key] = [plain(old), plain(new)]
    return changes


def _snapshot(obj) -> dict:
    state = inspect(obj)
    return {
        a.key: [None, plain(getattr(obj, a.key))]
        for a in state.mapper.column_attrs
        if a.key not in _ignored(obj) and a.key != "id" and getattr(obj, a.key) not in (None, "")
    }


def audited_models() -> list[type[Audited]]:
    """Every mapped model marked Audited (their modules must be imported: models_registry)."""
    return mapped_subclasses(Audited)


def _entries(session: Session) -> list[dict]:
    user_id, actor = current_actor()
    now = clock.stamp()  # inside the flush: a job's `now` reaches it only this way
    rows = []
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "create":
                changes = _snapshot(obj)
            elif action == "update":
                changes = _diff(obj)
                if not changes:
                    continue
            else:
                changes = {}
            rows.append(
                {
                    "recorded_dt": now,
                    "user_id": user_id,
                    "actor": actor,
                    "member_id": obj.audit_member_id(),
                    "action": action,
                    "object_type": obj.audit_kind,
                    "object_id": obj.audit_object_id(),
                    "changes": changes,
                    "summary": "",
                }
            )
    return rows


def _after_flush(session: Session, flush_context) -> None:
    rows = _entries(session)
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def record_bulk(connection, member_ids: list[int], action: str, summary: str, changes=None) -> None:
    """Audit rows for members written outside the ORM (one per member)."""
    user_id, actor = current_actor()
    now = clock.stamp()
    if not member_ids:
        return
    connection.execute(
        insert(AuditEntry),
        [
            {
                "recorded_dt": now,
                "user_id": user_id,
                "actor": actor,
                "member_id": mid,
                "action": action,
                "object_type": "member",
                "object_id": mid,
                "changes": (changes or {}).get(mid, {}),
                "summary": summary,
            }
            for mid in member_ids
        ],
    )


def _keep_old_value(target, value, oldvalue, initiator):
    return value


def install(session_factory) -> None:
    """Attach the listener to the application's session class (idempotent).

    A 'set' listener with active_history makes SQLAlchemy load the old value
    of an expired attribute before it is overwritten: without it the trail
    would say "None -> Villeurbanne" after any commit.
    """
    if event.contains(session_factory, "after_flush", _after_flush):
        return
    event.listen(session_factory, "after_flush", _after_flush)
    for cls in audited_models():
        for attr in inspect(cls).column_attrs:
            if attr.key not in _IGNORED:
                event.listen(
                    getattr(cls, attr.key), "set", _keep_old_value,
                    active_history=True, retval=True,
                )
