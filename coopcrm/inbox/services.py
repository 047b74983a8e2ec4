"""Reading the unsubscribe mailbox: each message applied once, the rest listed for referents.

Every bulk email's `List-Unsubscribe` offers a mailto whose subject carries the
member's signed unsubscribe token (links.services.unsubscribe_mailto). For each
message of the mailbox:

- a reply carrying a genuine token (in the subject, else the body) is applied
  by `links.actions.unsubscribe`, the very function of the one-click POST: the
  same consent record, the same audit trail, the same "bounced stays bounced";
- a delivery status notification (RFC 3464), or a plain-text bounce naming one of
  our messages or members (sending.plainbounces: Postfix, Exim, qmail, Microsoft…;
  never an auto-reply), goes to `sending.bounces`, as `coopcrm bounces ingest`
  would apply it;
- anything else, a forged or expired token included, is kept for referents:
  sender, subject, date and a short text excerpt (reading.py).

The row recording the message (its Message-ID, or a hash of its bytes) commits
with what the message did: a message read again, by the next run of the job or
the command, is recognised and changes nothing. A message that fails to apply
is rolled back alone and counted as an error; the next run tries it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.inbox import reading, sources
from coopcrm.inbox.models import KINDS, InboundMessage
from coopcrm.links import actions
from coopcrm.links.services import UNSUBSCRIBE, LinkExpired, LinkInvalid, mailto_token
from coopcrm.members.models import Member
from coopcrm.members.scoping import only_seen
from coopcrm.models import text_limit
from coopcrm.sending import bounces as bounce_handling
from coopcrm.sending import plainbounces
from coopcrm.sending.models import Bounce

# What a stored subject or excerpt shows in place of an unsubscribe token: staff reading
# the list get no working link (a token can only withdraw, but it is the member's).
TOKEN_SHOWN = "[jeton]"


@dataclass
class InboxReport:
    """What one ingest did, for the command, the job and the tests."""

    read: int = 0
    unsubscribed: int = 0  # tokens applied (the member left, or had already)
    bounces: int = 0
    other: int = 0
    already: int = 0  # in the ledger: read before
    errors: list[str] = field(default_factory=list)
    dsn: bounce_handling.IngestReport = field(default_factory=bounce_handling.IngestReport)

    def summary_fr(self) -> str:
        return (f"{self.read} message(s) lu(s) : {self.unsubscribed} désinscription(s), "
                f"{self.bounces} avis de non-remise ({self.dsn.members_bounced} adresse(s) "
                f"passée(s) en erreur), {self.other} autre(s) message(s), {self.already} déjà "
                f"traité(s), {len(self.errors)} erreur(s).")


def max_bytes() -> int:
    """The most of one message that is read (COOPCRM_INBOX_MAX_BYTES)."""
    return int(current_app.config["INBOX_MAX_BYTES"])


def ingest(location: str, now: datetime | None = None) -> InboxReport:
    """Read every message of `location` (a path, or an imap[s]:// URL) and apply each once.

    Raises sources.SourceError when the mailbox cannot be opened.
    """
    now = now or clock.now()
    report = InboxReport()
    cap = max_bytes()
    where = sources.describe(location)[:text_limit(InboundMessage, "source")]
    for item in sources.items(location, cap):
        report.read += 1
        try:
            outcome = _ingest_one(item, cap, where, now, report)
        except IntegrityError:  # another run recorded it between our check and our commit
            db.session.rollback()
            outcome = "already"
        except Exception as exc:  # one bad message must not stop the others
            db.session.rollback()
            report.errors.append(f"{item.name} : {type(exc).__name__}")
            continue
        if outcome == "already":
            report.already += 1
        item.done()
    return report


def record(raw: bytes, source: str = "", now: datetime | None = None) -> InboxReport:
    """Apply one message given as bytes (what `ingest` does for each message of a mailbox)."""
    report = InboxReport(read=1)
    if _ingest_one(sources.Item(source, raw, len(raw)), max_bytes(), source,
                   now or clock.now(), report) == "already":
        report.already += 1
    return report


def _ingest_one(item: sources.Item, cap: int, where: str, now: datetime,
                report: InboxReport) -> str:
    received = reading.read(item.raw, item.size, cap)
    if db.session.scalar(select(InboundMessage.id)
                         .where(InboundMessage.message_key == received.key)):
        return "already"
    row = InboundMessage(
        message_key=received.key, from_address=received.from_address,
        from_name=received.from_name, subject=received.subject, sent_dt=received.sent_dt,
        size=received.size, source=where, recorded_dt=now,
        excerpt=received.text,
    )
    with clock.stamping(now):
        # A report first: it quotes our message (its List-Unsubscribe included) and is
        # never a member's request.
        found = _bounce(item.raw, row, report) if not received.truncated else ""
        if found == "bounce":
            report.bounces += 1
            return "bounce"
        # A bounce about nobody we know quotes a message, maybe its token: never applied.
        if not found and _unsubscribe(received, row):
            report.unsubscribed += 1
            return "unsubscribe"
        _other(received, row)
        report.other += 1
        return "other"


def _redacted(value: str, token: str | None) -> str:
    return value.replace(token, TOKEN_SHOWN) if token else value


def _unsubscribe(received: reading.Received, row: InboundMessage) -> bool:
    """Apply a mailto unsubscribe, exactly as the one-click POST does; False if there is none."""
    token = mailto_token(received.subject) or mailto_token(received.text)
    if token is None:
        return False
    try:
        member = actions.member_for(token, UNSUBSCRIBE, for_update=True)
    except LinkInvalid as exc:
        row.detail = ("Lien de désinscription expiré : rien n'a été appliqué."
                      if isinstance(exc, LinkExpired) else
                      "Jeton de désinscription invalide : rien n'a été appliqué.")
        return False
    # Only a genuine token is hidden ("unsubscribe me" keeps its "me").
    row.subject = _redacted(row.subject, token)
    row.excerpt = _redacted(row.excerpt, token)
    row.kind, row.member_id = "unsubscribe", member.id
    # What actions.unsubscribe will change (it says so only after its commit).
    leaving = member.newsletter_consent or member.email_status == "valid"
    row.detail = ("Désinscription appliquée (comme le lien en un clic)." if leaving
                  else "Déjà désinscrit : rien n'a changé.")
    db.session.add(row)
    actions.unsubscribe(member, current_app.config["COOP_NAME"])  # commits the row with it
    return True


def _bounce(raw: bytes, row: InboundMessage, report: InboxReport) -> str:
    """Apply a delivery report through sending.bounces: "bounce" when applied, "unknown" for
    a plain-text bounce naming nobody we sent to, "" when it is no report."""
    try:
        dsn = bounce_handling.parse_report(raw)
        unknown = [] if dsn else plainbounces.parse(raw)
    except Exception:  # malformed: not a report we can apply
        return ""
    if unknown:  # a plain-text bounce about nobody we sent to: for a person to read
        row.detail = reading.line(
            "Avis de non-remise pour " + ", ".join(sorted({r.recipient for r in unknown}))
            + " : aucun membre ni message connu, rien n'a été appliqué.",
            text_limit(InboundMessage, "detail"))
    if not dsn:
        return "unknown" if unknown else ""
    failed_before = report.dsn.hard + report.dsn.soft
    switched_before = report.dsn.members_bounced
    for line in dsn:
        bounce_handling.apply_report(line, report.dsn)
    refs = [f"{line.dsn_id} {line.recipient}"[:400] for line in dsn]
    row.kind = "bounce"
    row.member_id = db.session.scalar(
        select(Bounce.member_id).where(Bounce.source_ref.in_(refs),
                                       Bounce.member_id.is_not(None))
        .order_by(Bounce.id).limit(1))
    failed = report.dsn.hard + report.dsn.soft - failed_before
    switched = report.dsn.members_bounced - switched_before
    recipients = ", ".join(sorted({line.recipient for line in dsn}))
    row.detail = reading.line(
        f"Avis de non-remise pour {recipients} : {failed} échec(s) enregistré(s), "
        f"{switched} adresse(s) passée(s) en erreur.", text_limit(InboundMessage, "detail"))
    db.session.add(row)
    db.session.commit()
    return "bounce"


def _other(received: reading.Received, row: InboundMessage) -> None:
    row.kind = "other"
    if received.from_address:
        row.member_id = db.session.scalar(
            select(Member.id).where(func.lower(Member.email) == received.from_address,
                                    Member.anonymised_dt.is_(None))
            .order_by(Member.id).limit(1))
    if received.truncated:
        row.detail = (f"Message trop volumineux ({received.size} octets) : seul son début a "
                      "été lu.")
    db.session.add(row)
    db.session.commit()


# ----------------------------------------------------------------- the referent pages


def visible(user) -> Select:
    """The received messages the user may see, latest first.

    Messages about a member of the user's entities; those about nobody we know
    (another person's address, a stranger's reply) only for group-wide users.
    """
    query = (select(InboundMessage).options(selectinload(InboundMessage.member))
             .order_by(InboundMessage.recorded_dt.desc(), InboundMessage.id.desc()))
    return only_seen(query, InboundMessage.member_id, user)


def listing(user, kind: str = "", pending: bool = False) -> Select:
    """The list page's query: one kind (an unknown one is ignored), only those not handled."""
    query = visible(user)
    if kind in KINDS:
        query = query.where(InboundMessage.kind == kind)
    if pending:
        query = query.where(InboundMessage.handled_dt.is_(None))
    return query


def seen_by(user, inbound_id: int) -> InboundMessage | None:
    """One received message, if the user may see it."""
    return db.session.scalar(visible(user).where(InboundMessage.id == inbound_id))


def mark_handled(message: InboundMessage, user) -> bool:
    """Record that a referent dealt with the message; False if it already was."""
    if message.handled_dt is not None:
        return False
    message.handled_dt = clock.now()
    message.handled_by_id = user.id
    return True


def pending_count(user) -> int:
    """How many messages the user may see are not handled yet."""
    return db.session.scalar(
        select(func.count()).select_from(
            listing(user, pending=True).order_by(None).subquery())) or 0
