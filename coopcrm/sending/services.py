"""The one way to send an email: write an outbox row in the caller's transaction.

`enqueue` (one message) and `enqueue_many` (a whole send: Core executemany on
SQLite, COPY on PostgreSQL) never commit: the row is written with the business
change that decided it, and both commit or neither does. A unique idempotency
key (`cycle:2027:N1:member:42`, `test:<user>:<uuid>`) makes a decision taken
twice produce one message.

What is stored per recipient is small: the subject (rendered now, so a broken
template fails the decision, not the send) and the template variables. The
HTML and text parts are rendered and the MIME bytes built at send time by
sending.flush. Variables common to a whole send (an edition's text) go in one
SharedContext row instead of 100,000 copies.

Suppression is applied here and again at send time: bulk mail never goes to an
unsubscribed or bounced address; nothing goes to a bounced one. A suppressed
decision is still a row (status 'suppressed', with the reason), so the member's
history says why nothing was sent and the key stays used.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from email.utils import parseaddr
from typing import Any

import nh3
from flask import current_app
from sqlalchemy import func, select

from coopcrm import clock, fr
from coopcrm.extensions import db
from coopcrm.privacy import notice
from coopcrm.sending import rendering
from coopcrm.sending.models import OutboxMessage, SharedContext

# Key of a shared context holding files every message of a send carries (an event's .ics):
# a list of {"filename", "content_type", "data"}.
ATTACHMENTS = "attachments"

SUPPRESSION_REASONS = {
    "anonymised": "Membre anonymisé",
    "no_email": "Pas d'adresse email",
    "bounced": "Adresse en erreur",
    "unsubscribed": "Désinscrit des envois groupés",
}


def suppression_reason(email: str | None, email_status: str | None, anonymised: bool,
                       bulk: bool) -> str | None:
    """Why this address must not receive this message, in French; None when it may."""
    if anonymised:
        return SUPPRESSION_REASONS["anonymised"]
    if not email:
        return SUPPRESSION_REASONS["no_email"]
    if email_status == "bounced":
        return SUPPRESSION_REASONS["bounced"]
    if bulk and email_status == "unsubscribed":
        return SUPPRESSION_REASONS["unsubscribed"]
    return None


# After the base URL, in tests and previews: a member's real link would unsubscribe them.
INERT_UNSUBSCRIBE = "/u/exemple-de-lien"
INERT_PREFERENCES = "/p/exemple-de-lien"


def system_context() -> dict:
    """Variables every template may use, from the configuration (no per-recipient links)."""
    config = current_app.config
    sender_name, sender_email = parseaddr(config["MAIL_FROM"])
    return {
        "coop_name": config["COOP_NAME"],
        "logo_url": config.get("LOGO_URL", ""),
        "sender_name": sender_name or config["COOP_NAME"],
        "sender_email": sender_email,
        "base_url": config["BASE_URL"].rstrip("/"),
        "unsubscribe_url": "",
        "preferences_url": "",
        "privacy_notice": notice.text(),
    }


def member_context(row) -> dict:
    """The member variables stored with a message (a Member or a row with the same names).

    Besides the names: `residence` (a Member's residence, or a row's `residence_name`),
    `reference` (`references`), `share_count` and `share_amount`, formatted in French;
    empty when the row does not carry them. The block editor's placeholders
    (coopcrm.blocks.placeholders) read these keys: every one is always present.
    """
    first = getattr(row, "first_name", "") or ""
    last = getattr(row, "last_name", "") or ""
    civility = getattr(row, "civility", "") or ""
    residence = getattr(row, "residence_name", None)
    if residence is None:
        residence = getattr(getattr(row, "residence", None), "name", "")
    shares = getattr(row, "share_count", None)
    amount = getattr(row, "share_amount", None)
    return {
        "first_name": first,
        "last_name": last,
        "civility": civility,
        "full_name": " ".join(p for p in (civility, first, last) if p),
        "residence": residence or "",
        "reference": getattr(row, "references", "") or "",
        "share_count": fr.count(shares) if shares is not None else "",
        "share_amount": fr.money_prose(amount) if amount is not None else "",
    }


def _plain(value):
    """JSON-ready value: dates as ISO strings, decimals as strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def clean_context(context: dict | None) -> dict:
    """JSON-ready copy of template variables; `*_html` values sanitised (nh3) once, here."""
    out = {}
    for key, value in (context or {}).items():
        if key.endswith("_html") and isinstance(value, str):
            value = nh3.clean(value)
        out[key] = _plain(value)
    return out


def share_context(data: dict, *, now: datetime | None = None) -> SharedContext:
    """Store variables common to many messages once; pass the result as `shared=`.

    `now` (a job's) dates the row; by default, the clock.
    """
    shared = SharedContext(data=clean_context(data), created_dt=now or clock.now())
    db.session.add(shared)
    db.session.flush()
    return shared


def _insert(rows: list[dict]):
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, for either dialect."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same API as the PG one
    table = OutboxMessage.__table__  # Core, not the ORM bulk path: 100,000 rows at a time
    stmt = insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return db.session.execute(stmt.returning(table.c.id), rows)


class _Subjects:
    """Subjects of one send: rendered once when they use no per-recipient variable."""

    def __init__(self, template, base: dict):
        self.template, self.base = template, base
        self.common: str | None = None

    def __call__(self, context: dict) -> str:
        if self.template.subject_vars.isdisjoint(context):
            if self.common is None:
                self.common = rendering.render_subject(self.template, self.base)
            return self.common
        return rendering.render_subject(self.template, {**self.base, **context})


def _row(template, key: str, bulk: bool, context: dict, shared: SharedContext | None,
         subjects: _Subjects, now: datetime, *, member_id=None, email=None, name="",
         reason=None, user_id=None, send_after=None) -> dict:
    subject = subjects(context)
    return {
        "idempotency_key": key,
        "template": template.key,
        "bulk": bulk,
        "member_id": member_id,
        "created_by_id": user_id,
        "to_address": email or "",
        "to_name": name,
        "subject": subject,
        "context": context,
        "shared_context_id": shared.id if shared is not None else None,
        "status": "suppressed" if reason else "queued",
        "attempts": 0,
        "next_attempt_dt": send_after or now,
        "last_error": reason or "",
        "created_dt": now,
    }


def enqueue(template: str, member, context: dict | None, key: str, *, bulk: bool | None = None,
            to: tuple[str, str] | None = None, shared: SharedContext | None = None,
            user=None, send_after: datetime | None = None,
            now: datetime | None = None) -> OutboxMessage | None:
    """Queue one message in the current transaction; None if `key` was already used.

    `member` is the recipient (its email, at this moment); `to=(address, name)`
    sends to someone who is not a member (a test to a referent). `bulk`
    defaults to the template's own setting. `now` (a job's) dates the decision
    and is when the message may go; by default, the clock.
    """
    tpl = rendering.get(template)
    bulk = tpl.bulk if bulk is None else bulk
    context = clean_context(context)
    base = {**system_context(), **(shared.data if shared is not None else {})}
    if member is not None:
        context.setdefault("member", member_context(member))
        email, name = member.email, f"{member.first_name} {member.last_name}".strip()
        reason = suppression_reason(email, member.email_status, member.anonymised_dt is not None,
                                    bulk)
        member_id = member.id
    elif to is not None:
        email, name = to
        reason, member_id = (None if email else SUPPRESSION_REASONS["no_email"]), None
    else:
        raise ValueError("enqueue needs a member or to=(address, name)")
    row = _row(tpl, key, bulk, context, shared, _Subjects(tpl, base), now or clock.now(),
               member_id=member_id,
               email=email, name=name, reason=reason,
               user_id=user.id if user is not None else None, send_after=send_after)
    new_id = _insert([row]).scalar()
    return db.session.get(OutboxMessage, new_id) if new_id is not None else None


def enqueue_many(template: str, members: Iterable, key_fn: Callable[[Any], str],
                 context_fn: Callable[[Any], dict] | None = None, *,
                 bulk: bool | None = None, shared: SharedContext | dict | None = None,
                 send_after: datetime | None = None, chunk_size: int = 5000,
                 now: datetime | None = None) -> int:
    """Queue one message per member row in the current transaction; returns how many are new.

    `members` yields Members or rows with id, email, email_status, first_name,
    last_name, civility (and optionally anonymised_dt). Rows whose key exists are
    skipped by the database (ON CONFLICT DO NOTHING), so a send resumed after a
    crash queues only what is missing. `now` as in `enqueue`.
    """
    now = now or clock.now()
    tpl = rendering.get(template)
    bulk = tpl.bulk if bulk is None else bulk
    if isinstance(shared, dict):
        shared = share_context(shared, now=now)
    subjects = _Subjects(tpl, {**system_context(), **(shared.data if shared else {})})
    inserted = 0
    chunk: list[dict] = []
    for m in members:
        context = clean_context(context_fn(m)) if context_fn else {}
        context.setdefault("member", member_context(m))
        reason = suppression_reason(m.email, m.email_status,
                                    getattr(m, "anonymised_dt", None) is not None, bulk)
        chunk.append(_row(tpl, key_fn(m), bulk, context, shared, subjects, now, member_id=m.id,
                          email=m.email, name=f"{m.first_name or ''} {m.last_name or ''}".strip(),
                          reason=reason, send_after=send_after))
        if len(chunk) >= chunk_size:
            inserted += _insert_many(chunk)
            chunk = []
    if chunk:
        inserted += _insert_many(chunk)
    return inserted


def _insert_many(rows: list[dict]) -> int:
    """Insert a chunk, skipping used keys; how many rows are new."""
    db.session.flush()  # rows the caller added and ours may refer to go first
    if db.session.get_bind().dialect.name == "postgresql":
        return _copy_insert(rows)
    return len(_insert(rows).all())


_json = json.JSONEncoder(ensure_ascii=False).encode  # what the JSON column holds
_INCOMING = "outbox_incoming"  # a temporary table, dropped at the end of the transaction


def _copy_insert(rows: list[dict]) -> int:
    """PostgreSQL: the chunk's new keys written with COPY; how many rows are new.

    psycopg's executemany costs ~40 µs a row (with RETURNING it turns into
    multi-VALUES statements three times slower); COPY streams the rows and the
    server writes them while we are still encoding the next ones. COPY cannot
    skip a used key, so the used ones are looked up first (one indexed
    `= ANY(keys)`) and left out, a key twice in the chunk is written once. If a
    concurrent transaction takes one of the keys meanwhile, the COPY fails on
    the unique constraint: it is undone to its savepoint and the chunk goes
    through `_insert_skipping` instead. All of it runs in the caller's
    transaction, on its connection: nothing is committed here.
    """
    from psycopg.errors import UniqueViolation

    conn = db.session.connection()
    table = OutboxMessage.__table__
    raw = conn.connection.driver_connection
    assert raw is not None  # a live connection, checked out just above
    cursor = raw.cursor()
    try:
        seen = _used_keys(cursor, [r["idempotency_key"] for r in rows])
        fresh = []
        for row in rows:
            key = row["idempotency_key"]
            if key not in seen:
                seen.add(key)
                fresh.append(row)
        if not fresh:
            return 0
        columns = list(fresh[0])
        context_at = columns.index("context")
        names = ", ".join(columns)
        cursor.execute("SAVEPOINT outbox_copy")
        try:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in fresh:
                    values = list(row.values())
                    values[context_at] = _json(values[context_at])
                    copy.write_row(values)
        except UniqueViolation:  # a concurrent enqueue of the same keys: let the index decide
            cursor.execute("ROLLBACK TO SAVEPOINT outbox_copy")
            cursor.execute("RELEASE SAVEPOINT outbox_copy")
            return _insert_skipping(cursor, fresh, columns, context_at)
        cursor.execute("RELEASE SAVEPOINT outbox_copy")
        return len(fresh)
    finally:
        cursor.close()


def _used_keys(cursor, keys: list[str]) -> set[str]:
    cursor.execute(f"SELECT idempotency_key FROM {OutboxMessage.__tablename__} "
                   "WHERE idempotency_key = ANY(%s)", (keys,))
    return {key for (key,) in cursor.fetchall()}


def _insert_skipping(cursor, rows: list[dict], columns: list[str], context_at: int) -> int:
    """COPY into a temporary table, then INSERT … SELECT … ON CONFLICT DO NOTHING."""
    names = ", ".join(columns)
    table = OutboxMessage.__tablename__
    # Column types copied from the outbox, none of its constraints or defaults.
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} ON COMMIT DROP AS "
                   f"SELECT 0 AS ord, {names} FROM {table} WITH NO DATA")
    cursor.execute(f"TRUNCATE {_INCOMING}")
    with cursor.copy(f"COPY {_INCOMING} (ord, {names}) FROM STDIN") as copy:
        for i, row in enumerate(rows):
            values = [i, *row.values()]
            values[context_at + 1] = _json(values[context_at + 1])
            copy.write_row(values)
    # Its row count is exactly the new rows, whoever else is writing the same keys.
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {_INCOMING} "
                   "ORDER BY ord ON CONFLICT (idempotency_key) DO NOTHING")
    return cursor.rowcount


def test_key(user) -> str:
    """A fresh idempotency key for a test send by `user`."""
    return f"test:{user.id}:{uuid.uuid4()}"


def send_test(user, template: str, member=None, context: dict | None = None) -> OutboxMessage:
    """Queue `template` to the user's own address, with `member`'s data or the sample's.

    `context`: the message's variables (a campaign's document); by default the sample's.
    The member's unsubscribe link is never put in a test (a click would
    unsubscribe them); the footer shows an inert example link instead.
    """
    context = dict(rendering.samples().get(template, {}) if context is None else context)
    if member is not None:
        context["member"] = member_context(member)
    else:
        context["member"] = {**member_context(None), "first_name": user.name.split(" ")[0],
                             "full_name": user.name}
    context["is_test"] = True
    msg = enqueue(template, None, context, test_key(user), bulk=False,
                  to=(user.email, user.name), user=user)
    assert msg is not None  # a fresh uuid key cannot collide
    return msg


def counts_by_status() -> dict[str, int]:
    """How many outbox messages are in each status."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: n for status, n in rows}
