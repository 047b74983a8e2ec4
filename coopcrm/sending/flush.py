"""Draining the outbox: `coopcrm outbox flush` and the scheduler job `sending.flush`.

One run claims due messages in batches and hands each batch to one SMTP
connection. Claiming is a single statement,

    SELECT id … WHERE status='queued' AND next_attempt_dt <= now
        ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED;
    UPDATE … SET status='sending', claim_token=…, attempts=attempts+1
        WHERE id IN (…) AND status='queued' RETURNING id;

committed at once, so on PostgreSQL several flushers can run side by side:
each skips the rows another is claiming, and a claimed row is no longer
'queued' for anyone. (SQLite has no row locks but one writer at a time: the
`status='queued'` guard and RETURNING keep two runs from sharing a row.)

Per message, on a connection kept for the whole batch: the envelope (MAIL,
RCPT, DATA in one write when the server offers PIPELINING) and the body are
sent; while the server reads the body, the next message is rendered and its
envelope sent behind it; then the server's reply is read and the row marked
'sent' and committed, and only then does the next body go. One commit per
message is the price of the guarantee below; it is made cheap, not skipped:

* SQLite runs in WAL mode with `synchronous=NORMAL` (the connect hook in
  coopcrm/__init__.py): a commit is written to the WAL without an fsync.
* PostgreSQL: the 'sent' transaction sets `synchronous_commit = off` locally:
  COMMIT returns before its WAL record is flushed to disk (the WAL writer
  flushes it within 3 × wal_writer_delay, 600 ms by default). Claims, bounces
  and failures keep the server's normal durable commit.

**The crash window.** If the process dies after the server accepted a message
and before the 'sent' commit, that one message stays 'sending'. Rows left
'sending' longer than the lease (OUTBOX_LEASE, 15 minutes; the batch size is
capped so that a batch fits well within it at the configured rate) are put
back in the queue by the next run, so that message is sent a second time —
and only that one: of the next message at most the envelope had gone, which
a server drops with the connection, and the rest of the batch is sent once.
The duplicate carries the same Message-ID (it is derived from the row), which
lets mail clients recognise it. A crash of the application never loses a
committed status, on either database.

A crash of the database machine itself (power loss, kernel panic) or, on
PostgreSQL, of the database server, can widen that window: the 'sent'
statuses committed in its last moments may not have reached the disk —
on PostgreSQL those of the last 600 ms at most (the asynchronous commits), on
SQLite those written since the last WAL checkpoint (at most about 1,000
pages, a few hundred messages). Those rows come back as 'sending' (or 'queued'
if their claim was lost too) and their messages are sent again after the
lease, with the same Message-ID. We accept this for a much cheaper commit
(~0.8 ms of fsync per message on PostgreSQL), such a crash being rare.

Failures: a 4xx reply or a lost connection reschedules the message with
exponential backoff (1 min, 2, 4 … capped at 6 h) until OUTBOX_MAX_ATTEMPTS,
then it is 'failed' and counted as a soft bounce. A 5xx is never retried: when
the server refused the recipient's address the message is 'bounced' and the
member's email status changes (audited); any other 5xx is 'failed'.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, Executable, bindparam, func, select, update

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.sending import attachments, bounces, mime, rendering, transports
from coopcrm.sending.models import OutboxMessage, SharedContext
from coopcrm.sending.services import (
    ATTACHMENTS,
    INERT_UNSUBSCRIBE,
    suppression_reason,
    system_context,
)

LEASE = timedelta(minutes=15)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
RESUMED = "Reprise après une interruption de l'envoi"


@dataclass
class FlushReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    suppressed: int = 0
    reclaimed: int = 0
    connections: int = 0
    error: str = ""

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.bounced + self.suppressed

    def summary_fr(self) -> str:
        text = (f"{self.sent} envoyé(s), {self.retried} à réessayer, {self.failed} en échec, "
                f"{self.bounced} rejeté(s), {self.suppressed} non envoyé(s)")
        return text + (f" ; arrêt : {self.error}" if self.error else "")


def backoff(attempts: int) -> timedelta:
    """Delay before attempt number `attempts + 1`."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def message_id_for(row_id: int, key: str, domain: str) -> str:
    """The Message-ID of an outbox row: stable, so a resend after a crash carries the same."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<{row_id}.{digest}@{domain}>"


def _due_ids(now, limit: int):
    return (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_dt <= now)
        .order_by(OutboxMessage.bulk, OutboxMessage.next_attempt_dt, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def claim(limit: int, token: str, now: datetime) -> list[int]:
    """Mark up to `limit` messages due as of `now` as 'sending' for this run, and commit."""
    # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED):
    # PostgreSQL may run such a subquery more than once and claim more than n rows.
    locked = db.session.scalars(_due_ids(now, limit)).all()
    if not locked:
        db.session.commit()
        return []
    ids = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(locked), OutboxMessage.status == "queued")
        .values(status="sending", claimed_dt=now, claim_token=token,
                attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(ids)


def reclaim_stale(now: datetime, lease: timedelta = LEASE) -> int:
    """Put back in the queue messages left 'sending' (as of `now`) by a run that died."""
    result = cast(CursorResult, db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending",
               OutboxMessage.claimed_dt < now - lease)
        .values(status="queued", claim_token=None, last_error=RESUMED)
        .execution_options(synchronize_session=False)
    ))
    db.session.commit()
    return result.rowcount or 0


class _Pacer:
    """At most `rate` messages a second (0: no limit); monotonic time, not the business clock."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        self.next = max(self.next, now) + self.interval


class _Run:
    """State shared by the batches of one flush run."""

    def __init__(self, transport: transports.Transport, report: FlushReport,
                 max_per_connection: int,
                 on_accepted: Callable[[int], None] | None, now: Callable[[], datetime]):
        config = current_app.config
        self.now = now
        self.transport = transport
        self.report = report
        self.max_per_connection = max_per_connection
        self.on_accepted = on_accepted
        self.max_attempts = config.get("OUTBOX_MAX_ATTEMPTS", 8)
        self.system = system_context()
        from_name, self.envelope_from = parseaddr(config["MAIL_FROM"])
        self.from_header = mime.address(from_name, self.envelope_from)
        self.reply_to = config.get("MAIL_REPLY_TO", "")
        self.domain = self.envelope_from.rpartition("@")[2] or "localhost"
        self.shared: dict[int, dict] = {}
        self.templates: dict[tuple[str, int | None], rendering.EmailTemplate] = {}
        self.bounced_members: set[int] = set()
        self.conn: transports.Connection | None = None
        self.conn_sent = 0
        self.pending: tuple | None = None  # (row, address): body sent, reply not read yet
        self._updates: dict[tuple, Executable] = {}
        self.postgres = db.session.get_bind().dialect.name == "postgresql"

    # -- connection ------------------------------------------------------
    def connection(self) -> transports.Connection:
        if self.conn is not None and self.max_per_connection and \
                self.conn_sent >= self.max_per_connection:
            self.close()
        if self.conn is None:
            self.conn = self.transport.open()
            self.conn_sent = 0
            self.report.connections += 1
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def end_batch(self) -> None:
        """Record the last message's outcome, then say goodbye to the server."""
        self.settle()
        self.close()

    # -- one message -----------------------------------------------------
    def shared_data(self, shared_id: int | None) -> dict:
        if shared_id is None:
            return {}
        if shared_id not in self.shared:
            row = db.session.get(SharedContext, shared_id)  # stored files read once a run:
            self.shared[shared_id] = attachments.loaded(row.data) if row is not None else {}
        return self.shared[shared_id]

    def links(self, row) -> dict:
        if row.member_id is None:
            if row.context.get("is_test"):  # never a member's live link in a test
                inert = self.system["base_url"] + INERT_UNSUBSCRIBE
                return {"unsubscribe_url": inert, "preferences_url": ""}
            return {}
        from coopcrm.links.services import message_links  # the links domain owns the tokens

        return message_links(row.member_id, row.id, row.bulk, row.template, self.now())

    def template(self, row, context: dict) -> rendering.EmailTemplate:
        """The row's template, looked up once per run (and per shared document)."""
        if rendering.BODY_MJML in row.context:  # a test send carries its own document
            return rendering.for_context(row.template, context)
        key = (row.template, row.shared_context_id if rendering.BODY_MJML in context else None)
        template = self.templates.get(key)
        if template is None:  # rendering checks the emails folder: once per run
            template = self.templates[key] = rendering.for_context(row.template, context)
        return template

    def build(self, row, address: str) -> bytes:
        links = self.links(row)
        shared = self.shared_data(row.shared_context_id)
        context = {**self.system, **shared, **row.context, **links}
        template = self.template(row, context)
        rendered = rendering.render(template, context, subject=row.subject)
        listed: tuple[str, ...] = ()
        if row.bulk and row.member_id is not None:
            listed = (links["unsubscribe_url"], links["unsubscribe_mailto"])
        return mime.build(
            from_header=self.from_header,
            to_header=mime.address(row.to_name, address),
            subject=rendered.subject,
            message_id=message_id_for(row.id, row.idempotency_key, self.domain),
            date=self.now(),
            text=rendered.text,
            html=rendered.html,
            reply_to=self.reply_to,
            list_unsubscribe=listed,
            extra={"Precedence": "bulk"} if row.bulk else None,
            attachments=shared.get(ATTACHMENTS, ()),
        )

    def _set(self, row_id: int, *, async_commit: bool = False, **values) -> None:
        # One compiled Core statement per set of columns: this runs once per message.
        keys = (async_commit, *sorted(values))
        stmt = self._updates.get(keys)
        if stmt is None:
            table = OutboxMessage.__table__
            stmt = table.update().where(table.c.id == bindparam("row_id")).values(
                {k: bindparam(f"v_{k}") for k in values})
            if async_commit:
                # `SET LOCAL synchronous_commit = off` riding on the UPDATE (see "The crash
                # window"): a separate statement would cost a round trip per message.
                stmt = stmt.returning(func.set_config("synchronous_commit", "off", True))
            self._updates[keys] = stmt
        db.session.connection().execute(stmt, {"row_id": row_id,
                                               **{f"v_{k}": v for k, v in values.items()}})

    def _set_row(self, row, address: str, **values) -> None:
        # The member's address now, not when the send was decided (it may have been corrected).
        if address != row.to_address:
            values["to_address"] = address
        self._set(row.id, **values)

    def process(self, row) -> None:
        """Prepare `row`'s message while the one before is with the server, then send it.

        The previous message's outcome is read and committed (`settle`) before
        this one is handed over: the crash window stays one message wide.
        """
        if row.member_id is not None:
            reason = suppression_reason(row.member_email, row.email_status,
                                        row.anonymised_dt is not None, row.bulk)
        else:
            reason = None if row.to_address else "Pas d'adresse email"
        if reason is None and row.member_id is not None and row.member_id in self.bounced_members:
            reason = "Adresse en erreur"
        if reason:
            self.suppress(row, reason)
            return
        address = row.member_email if row.member_id is not None else row.to_address
        try:
            raw = self.build(row, address)
        except Exception as exc:  # a template error is the message's, not the run's
            self._set(row.id, status="failed", last_error=f"Mise en forme impossible : {exc}",
                      claim_token=None)
            db.session.commit()
            self.report.failed += 1
            return
        self.announce(row, address, len(raw))
        self.settle()
        if row.member_id is not None and row.member_id in self.bounced_members:
            # The message just settled went to this member and bounced.
            if self.conn is not None and self.conn.drop_announced():
                self.conn = None
            self.suppress(row, "Adresse en erreur")
            return
        try:
            self.connection().start(self.envelope_from, address, raw)
        except transports.ConnectFailure:
            raise
        except transports.TransportError as exc:  # refused at MAIL, RCPT or DATA
            self.refused(row, address, exc)
            db.session.commit()
            return
        self.pending = (row, address)

    def suppress(self, row, reason: str) -> None:
        self._set(row.id, status="suppressed", last_error=reason, claim_token=None)
        db.session.commit()
        self.report.suppressed += 1

    def announce(self, row, address: str, size: int) -> None:
        """Pipeline this message's envelope behind the pending body when nothing can
        change between the two: same connection kept, another recipient."""
        if self.pending is None or self.conn is None or not self.conn.pipelining:
            return
        pending_row, pending_address = self.pending
        if self.max_per_connection and self.conn_sent + 1 >= self.max_per_connection:
            return  # the connection closes after the pending message
        if row.member_id == pending_row.member_id or address == pending_address:
            return  # its outcome (a bounce) decides whether this one may go
        try:
            self.conn.announce(self.envelope_from, address, size)
        except transports.TransportError:
            pass  # the connection is gone: the pending message's reply will say so

    def settle(self) -> None:
        """Wait for the server's verdict on the message in flight, record it and commit."""
        if self.pending is None:
            return
        row, address = self.pending
        self.pending = None
        assert self.conn is not None  # the pending body went on the open connection
        try:
            self.conn.finish()
        except transports.TransportError as exc:
            self.refused(row, address, exc)
        else:
            self.conn_sent += 1
            if self.on_accepted is not None:
                self.on_accepted(row.id)  # tests inject a crash here
            # On PostgreSQL, committed without waiting for the WAL flush (see "The crash window").
            self._set_row(row, address, status="sent", sent_dt=self.now(), last_error="",
                          claim_token=None, async_commit=self.postgres,
                          message_id=message_id_for(row.id, row.idempotency_key, self.domain))
            self.report.sent += 1
        db.session.commit()

    def refused(self, row, address: str, exc: transports.TransportError) -> None:
        if isinstance(exc, transports.PermanentFailure):
            self.permanent(row, address, exc)
            return
        if getattr(exc, "reconnect", False):
            self.close()
        self.temporary(row, address, exc)

    def permanent(self, row, address: str, exc: transports.PermanentFailure) -> None:
        error = str(exc)[:2000]
        if exc.hard_bounce:
            self._set_row(row, address, status="bounced", last_error=error, claim_token=None,
                          message_id=message_id_for(row.id, row.idempotency_key, self.domain))
            bounces.record_hard(address, row.member_id, message_id=row.id,
                                status_code=str(exc.code or ""), diagnostic=exc.message,
                                now=self.now())
            if row.member_id is not None:
                self.bounced_members.add(row.member_id)
            self.report.bounced += 1
        else:
            self._set_row(row, address, status="failed", last_error=error, claim_token=None)
            self.report.failed += 1

    def temporary(self, row, address: str, exc: transports.TransportError) -> None:
        error = str(exc)[:2000]
        if row.attempts >= self.max_attempts:
            self._set_row(row, address, status="failed", claim_token=None,
                          last_error=f"Abandon après {row.attempts} tentatives : {error}")
            if bounces.record_soft(address, row.member_id, message_id=row.id,
                                   status_code=str(exc.code or ""), diagnostic=exc.message,
                                   now=self.now()):
                self.bounced_members.add(row.member_id)
            self.report.failed += 1
        else:
            self._set_row(row, address, status="queued", claim_token=None, last_error=error,
                          next_attempt_dt=self.now() + backoff(row.attempts))
            self.report.retried += 1

    def release(self, ids: list[int], error: str) -> None:
        """Give back claimed rows untouched (the server could not be reached)."""
        if ids:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
                .values(status="queued", claim_token=None, last_error=error,
                        attempts=OutboxMessage.attempts - 1)
                .execution_options(synchronize_session=False)
            )
        db.session.commit()


def _load(ids: list[int]):
    return db.session.execute(
        select(
            OutboxMessage.id, OutboxMessage.idempotency_key, OutboxMessage.template,
            OutboxMessage.bulk, OutboxMessage.member_id, OutboxMessage.to_address,
            OutboxMessage.to_name, OutboxMessage.subject, OutboxMessage.context,
            OutboxMessage.shared_context_id, OutboxMessage.attempts,
            Member.email.label("member_email"), Member.email_status, Member.anonymised_dt,
        )
        .outerjoin(Member, Member.id == OutboxMessage.member_id)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.bulk, OutboxMessage.next_attempt_dt, OutboxMessage.id)
    ).all()


def flush(*, limit: int | None = None, batch_size: int | None = None,
          transport: transports.Transport | None = None,
          rate: float | None = None, max_per_connection: int = 0,
          lease: timedelta = LEASE,
          on_accepted: Callable[[int], None] | None = None,
          now: datetime | None = None) -> FlushReport:
    """Send what is due, batch by batch, until nothing is due (or `limit` messages handled).

    `transport` defaults to COOPCRM_SMTP_URL; `rate` to COOPCRM_SMTP_RATE
    (messages/s); `max_per_connection` (0: the whole batch) reconnects after that
    many messages. `on_accepted(row_id)` runs right after the server accepted a
    message, before it is marked sent: a hook for tests that simulate a crash.
    `now` (the job's) is when the run starts; its stamps move on from there as the run
    lasts (clock.running_from: leases, retries). By default, the clock.
    """
    config = current_app.config
    transport = transport or transports.from_url(config["SMTP_URL"])
    rate = config.get("SMTP_RATE", 0) if rate is None else rate
    batch_size = batch_size or config.get("OUTBOX_BATCH_SIZE", 200)
    if rate:
        # A batch must finish well within the lease, or another run would reclaim it.
        batch_size = max(1, min(batch_size, int(rate * lease.total_seconds() / 2)))
    db.session.commit()  # start from a clean transaction; claims commit on their own
    run_clock = clock.running_from(now)
    report = FlushReport(reclaimed=reclaim_stale(run_clock(), lease))
    run = _Run(transport, report, max_per_connection, on_accepted, run_clock)
    pacer = _Pacer(rate)
    token = secrets.token_hex(8)
    try:
        while limit is None or report.handled < limit:
            want = batch_size if limit is None else min(batch_size, limit - report.handled)
            ids = claim(want, token, run_clock())
            if not ids:
                break
            rows = _load(ids)
            for i, row in enumerate(rows):
                pacer.wait()
                try:
                    run.process(row)
                except transports.ConnectFailure as exc:
                    run.release([r.id for r in rows[i:]], str(exc)[:2000])
                    report.error = f"serveur d'envoi injoignable : {exc}"
                    return report
            run.end_batch()  # one connection per batch
    finally:
        run.close()
    return report
