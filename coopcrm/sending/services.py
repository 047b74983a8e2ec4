"""The one way to send an email: write an outbox row in the caller's transaction.

`enqueue` (one message) and `enqueue_many` (a whole send, Core executemany)
never commit: the row is written with the business change that decided it, and
both commit or neither does. A unique idempotency key (`cycle:2027:N1:member:42`,
`test:<user>:<uuid>`) makes a decision taken twice produce one message.

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

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from email.utils import parseaddr

import nh3
from flask import current_app
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.sending import rendering
from coopcrm.sending.models import OutboxMessage, SharedContext

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
    }


def member_context(row) -> dict:
    """The member variables stored with a message (a Member or a row with the same names)."""
    first = getattr(row, "first_name", "") or ""
    last = getattr(row, "last_name", "") or ""
    civility = getattr(row, "civility", "") or ""
    return {
        "first_name": first,
        "last_name": last,
        "civility": civility,
        "full_name": " ".join(p for p in (civility, first, last) if p),
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


def share_context(data: dict) -> SharedContext:
    """Store variables common to many messages once; pass the result as `shared=`."""
    shared = SharedContext(data=clean_context(data), created_dt=clock.now())
    db.session.add(shared)
    db.session.flush()
    return shared


def _insert(rows: list[dict]):
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, for either dialect."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = OutboxMessage.__table__  # Core, not the ORM bulk path: 100,000 rows at a time
    stmt = insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return db.session.execute(stmt.returning(table.c.id), rows)


class _Subjects:
    """Subjects of one send: rendered once when they use no per-recipient variable."""

    def __init__(self, template, base: dict):
        self.template, self.base, self.common = template, base, None

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
            user=None, send_after: datetime | None = None) -> OutboxMessage | None:
    """Queue one message in the current transaction; None if `key` was already used.

    `member` is the recipient (its email, at this moment); `to=(address, name)`
    sends to someone who is not a member (a test to a referent). `bulk`
    defaults to the template's own setting.
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
    row = _row(tpl, key, bulk, context, shared, _Subjects(tpl, base), clock.now(),
               member_id=member_id,
               email=email, name=name, reason=reason,
               user_id=user.id if user is not None else None, send_after=send_after)
    new_id = _insert([row]).scalar()
    return db.session.get(OutboxMessage, new_id) if new_id is not None else None


def enqueue_many(template: str, members: Iterable, key_fn: Callable[[object], str],
                 context_fn: Callable[[object], dict] | None = None, *,
                 bulk: bool | None = None, shared: SharedContext | dict | None = None,
                 send_after: datetime | None = None, chunk_size: int = 5000) -> int:
    """Queue one message per member row in the current transaction; returns how many are new.

    `members` yields Members or rows with id, email, email_status, first_name,
    last_name, civility (and optionally anonymised_dt). Rows whose key exists are
    skipped by the database (ON CONFLICT DO NOTHING), so a send resumed after a
    crash queues only what is missing.
    """
    tpl = rendering.get(template)
    bulk = tpl.bulk if bulk is None else bulk
    if isinstance(shared, dict):
        shared = share_context(shared)
    subjects = _Subjects(tpl, {**system_context(), **(shared.data if shared else {})})
    now = clock.now()
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
    if db.session.get_bind().dialect.name != "postgresql":
        return len(_insert(rows).all())
    # On PostgreSQL, RETURNING turns psycopg's pipelined executemany into multi-VALUES
    # statements three times slower; count the keys already there instead (informational:
    # a concurrent enqueue of the very same keys could make the count off, never the rows).
    keys = [r["idempotency_key"] for r in rows]
    existing = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.idempotency_key.in_(keys)))
    from sqlalchemy.dialects.postgresql import insert

    table = OutboxMessage.__table__
    db.session.execute(insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"]),
                       rows)
    return len(set(keys)) - existing


def test_key(user) -> str:
    """A fresh idempotency key for a test send by `user`."""
    return f"test:{user.id}:{uuid.uuid4()}"


def send_test(user, template: str, member=None) -> OutboxMessage:
    """Queue `template` to the user's own address, with `member`'s data or the sample's.

    The member's unsubscribe link is never put in a test (a click would
    unsubscribe them); the footer shows an inert example link instead.
    """
    context = dict(rendering.samples().get(template, {}))
    if member is not None:
        context["member"] = member_context(member)
    else:
        context["member"] = {"first_name": user.name.split(" ")[0], "last_name": "",
                             "civility": "", "full_name": user.name}
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
