"""Bounces: from the SMTP reply at send time, or from delivery status notifications.

A hard bounce (the address does not exist) marks the member's email as
'bounced' at once, through the ORM so the audit trail shows it, attributed to
the actor "envoi". Soft bounces (mailbox full, …) are counted per member and
address; at COOPCRM_BOUNCE_SOFT_LIMIT (default 3) the address is treated as
bounced too. Bulk and transactional mail then stop going to it (see
services.suppression_reason) until a referent corrects the address.

`ingest(path)` reads RFC 3464 reports (multipart/report;
report-type=delivery-status, parsed in sending.dsn) and the plain-text bounces
naming one of our messages or members (sending.plainbounces) from a maildir,
an mbox, a folder of .eml files or one file, and applies them. Each (report,
recipient) is applied once: running the command again on the same mailbox changes
nothing.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.privacy.audit import acting_as
from coopcrm.sending import plainbounces
from coopcrm.sending.dsn import DeliveryReport, parse_dsn
from coopcrm.sending.models import Bounce, OutboxMessage

ACTOR = "envoi"


def _mark_member_bounced(member_id: int | None, address: str, now: datetime) -> bool:
    """Set the member's email status to 'bounced' if `address` is still their email."""
    if member_id is None:
        return False
    member = db.session.get(Member, member_id)
    if member is None or (member.email or "").lower() != address.lower():
        return False
    if member.email_status == "bounced":
        return False
    with acting_as(actor=ACTOR), clock.stamping(now):  # the audit entry and updated_dt
        member.email_status = "bounced"
        db.session.flush()
    return True


def record_hard(address: str, member_id: int | None, *, message_id: int | None = None,
                status_code: str = "", diagnostic: str = "", source: str = "smtp",
                source_ref: str | None = None, now: datetime | None = None) -> bool:
    """Log a hard bounce; True if the member's address was switched to 'bounced'.

    `now` (the flush's) dates the bounce and the member's change; by default, the clock.
    """
    now = now or clock.now()
    db.session.add(Bounce(
        recorded_dt=now, member_id=member_id, message_id=message_id,
        address=address.lower(), kind="hard", status_code=status_code,
        diagnostic=diagnostic[:2000], source=source, source_ref=source_ref,
    ))
    return _mark_member_bounced(member_id, address, now)


def record_soft(address: str, member_id: int | None, *, message_id: int | None = None,
                status_code: str = "", diagnostic: str = "", source: str = "smtp",
                source_ref: str | None = None, now: datetime | None = None) -> bool:
    """Log a soft bounce; True if it was one too many and the address is now 'bounced'."""
    now = now or clock.now()
    address = address.lower()
    db.session.add(Bounce(
        recorded_dt=now, member_id=member_id, message_id=message_id, address=address,
        kind="soft", status_code=status_code, diagnostic=diagnostic[:2000], source=source,
        source_ref=source_ref,
    ))
    db.session.flush()
    if member_id is None:
        return False
    count = db.session.scalar(
        select(func.count()).select_from(Bounce).where(
            Bounce.member_id == member_id, Bounce.address == address, Bounce.kind == "soft"
        )
    )
    if count >= current_app.config.get("BOUNCE_SOFT_LIMIT", 3):
        return _mark_member_bounced(member_id, address, now)
    return False


# -- delivery status notifications ------------------------------------------


def _known(report: DeliveryReport) -> bool:
    """Whether a report names one of our messages or a member's address."""
    if report.original_message_id and db.session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.message_id == report.original_message_id)):
        return True
    return db.session.scalar(select(Member.id).where(
        func.lower(Member.email) == report.recipient).limit(1)) is not None


def parse_report(raw: bytes) -> list[DeliveryReport]:
    """A delivery report's lines: RFC 3464, else a plain-text bounce's (sending.plainbounces),
    of which only those naming one of our messages or members: a stranger's address in a
    message we cannot read for sure is left to a person."""
    reports = parse_dsn(raw)
    if reports:
        return reports
    return [r for r in plainbounces.parse(raw) if _known(r)]


@dataclass
class IngestReport:
    files: int = 0
    not_dsn: int = 0
    hard: int = 0
    soft: int = 0
    ignored: int = 0
    already: int = 0
    unmatched: int = 0
    members_bounced: int = 0
    errors: list[str] = field(default_factory=list)

    def summary_fr(self) -> str:
        return (f"{self.files} message(s) lu(s) : {self.hard} rejet(s) définitif(s), "
                f"{self.soft} temporaire(s), {self.members_bounced} adresse(s) passée(s) en "
                f"erreur, {self.already} déjà traité(s), {self.unmatched} sans destinataire "
                f"connu, {self.ignored} avis sans échec, {self.not_dsn} message(s) qui ne sont "
                f"pas des avis de non-remise.")


def mailbox_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each message of a maildir, an mbox file, a folder of .eml, or one file."""
    if path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir():
        box = mailbox.Maildir(str(path), factory=None, create=False)
        for key in sorted(box.iterkeys()):
            yield f"{path}:{key}", box.get_bytes(key)
    elif path.is_dir():
        for file in sorted(path.glob("*.eml")):
            yield str(file), file.read_bytes()
    elif _is_mbox(path):
        mbox = mailbox.mbox(str(path), factory=None, create=False)
        for key in mbox.iterkeys():
            yield f"{path}:{key}", mbox.get_bytes(key)
    else:
        yield str(path), path.read_bytes()


def _is_mbox(path: Path) -> bool:
    # An mbox starts with its first message's "From " separator line; a message file with
    # its headers ("From:" has a colon).
    with path.open("rb") as file:
        return file.read(5) == b"From "


def apply_report(report: DeliveryReport, result: IngestReport) -> None:
    """Apply one recipient's report in the current transaction."""
    if report.action != "failed":
        result.ignored += 1  # delayed, delivered, relayed: nothing failed (yet)
        return
    source_ref = f"{report.dsn_id} {report.recipient}"[:400]
    if db.session.scalar(select(Bounce.id).where(Bounce.source_ref == source_ref)):
        result.already += 1
        return
    message = None
    if report.original_message_id:
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.message_id == report.original_message_id)
        )
    if message is not None:
        member_ids = [message.member_id]
    else:
        member_ids = list(db.session.scalars(
            select(Member.id).where(func.lower(Member.email) == report.recipient)
        )) or [None]
    if member_ids == [None]:
        result.unmatched += 1
    hard = not report.status.startswith("4")
    for i, member_id in enumerate(member_ids):
        ref = source_ref if i == 0 else f"{source_ref} #{member_id}"[:400]
        kwargs: dict[str, Any] = dict(message_id=message.id if message is not None else None,
                      status_code=report.status, diagnostic=report.diagnostic,
                      source="dsn", source_ref=ref)
        changed = (record_hard if hard else record_soft)(report.recipient, member_id, **kwargs)
        result.members_bounced += int(changed)
    if hard:
        result.hard += 1
        if message is not None and message.status == "sent":
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message.id)
                .values(status="bounced", last_error=(report.status + " " + report.diagnostic)
                        .strip())
            )
    else:
        result.soft += 1


def ingest(path: str | Path) -> IngestReport:
    """Read DSNs under `path` and apply them, committing after each file."""
    result = IngestReport()
    for name, raw in mailbox_messages(Path(path)):
        result.files += 1
        try:
            reports = parse_report(raw)
        except Exception as exc:  # a malformed file must not stop the others
            result.errors.append(f"{name} : illisible ({exc})")
            continue
        if not reports:
            result.not_dsn += 1
            continue
        try:
            for report in reports:
                apply_report(report, result)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            result.errors.append(f"{name} : {exc}")
    return result
