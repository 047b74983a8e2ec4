"""Delivery failures written for people, not RFC 3464 reports.

Many servers return a failure as plain text with no message/delivery-status
part: Postfix ("Undelivered Mail Returned to Sender"), Exim ("Mail delivery
failed: returning message to sender"), qmail ("failure notice"), Sendmail
("Returned mail"), Microsoft/Outlook ("Undeliverable:", "Non remis :") and
Gmail ("Delivery Status Notification (Failure)"). `parse` reads them into the
same DeliveryReport lines a DSN gives, hard or soft from the SMTP code quoted
(5.x.x / 4.x.x, else 5xx / 4xx, else the wording).

Conservative, since a false report switches a member's address off:

- an auto-reply (the X-Autoreply family, "Réponse automatique", "Absence du bureau",
  out-of-office…, or RFC 3834 `Auto-Submitted: auto-replied` from a person: Postfix
  and Exim mark their bounces so too) is never a bounce;
- the sender must be a mail system (MAILER-DAEMON, postmaster, "Mail Delivery
  System"…) or the envelope sender null (`Return-Path: <>`);
- a delay warning ("still being retried", "will retry") is not a failure;
- a recipient is only taken where the formats put one (a `<address>:` line, the
  lines after "the following address(es) failed", "Your message to … couldn't be
  delivered"), never from the quoted copy of our own message.

`sending.bounces.parse_report` keeps only the lines naming one of our messages or
members; the rest of the inbox lists them for a referent.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from typing import cast

from coopcrm.sending.dsn import DeliveryReport, message_digest, original_message_id

ADDRESS = r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"

AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(r[ée]ponse automatique|automatic reply|auto(matic)?[ -]?(reply|response)|"
    r"out of (the )?office|absence|absent|abwesenheit|automatische antwort|auto:|"
    r"autoreply|cong[ée]s|vacation|en vacances|message d'absence)", re.I)
DAEMON_LOCAL = re.compile(r"^(mailer-daemon|mailerdaemon|mail-daemon|postmaster|"
                          r"microsoftexchange[0-9a-f]*|mdaemon)$", re.I)
DAEMON_NAME = re.compile(r"mail delivery (system|subsystem)|mailer-daemon|postmaster|"
                         r"syst[èe]me de remise", re.I)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered mail|mail delivery failed|delivery status notification|"
    r"failure notice|returned mail|delivery failure|non remis|non distribuable|"
    r"[ée]chec de (la )?(remise|distribution)|could not be delivered|"
    r"delivery has failed|message not delivered|unzustellbar", re.I)
DELAYED = re.compile(r"\(delay\)|delayed mail|still being retried|will (be )?retr(y|ied)|"
                     r"has not yet been delivered|warning: message .* delayed|"
                     r"remise diff[ée]r[ée]e|pas encore [ée]t[ée] remis", re.I)
# Where the quoted copy of the original message starts: no recipient is read beyond.
COPY = re.compile(
    r"^\s*(-{2,}.*(copy of the message|below this line|original message|message "
    r"d'origine|undelivered message|returned message)|original message headers|"
    r"en-t[êe]tes du message d'origine|.*this is a copy of)", re.I | re.M)
# A line after which the failed recipients are listed, one a line.
INTRO = re.compile(
    r"(following (address(es)?|recipients?)( had permanent fatal errors)?.*(failed|errors)?|"
    r"delivery has failed to these recipients|could not be delivered to one or more|"
    r"[ée]chec de (la )?remise (à|a) ces destinataires|n'a pas pu [êe]tre remis "
    r"(à|a) ces destinataires|wasn't able to deliver your message to the following)", re.I)
SENTENCE = re.compile(
    rf"(your message to|message to|votre message (à|a)|wasn't delivered to|was not delivered "
    rf"to|n'a pas [ée]t[ée] remis (à|a)|pas pu [êe]tre remis (à|a))"
    rf"\s*<?(?P<address>{ADDRESS})>?", re.I)
BRACKETED = re.compile(rf"^<({ADDRESS})>:?(.*)$")
ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
BASIC = re.compile(r"(?:^|[\s'(\[])([45])\d\d(?=[\s\-])")
PERMANENT = re.compile(r"permanent|user unknown|unknown user|does not exist|doesn't exist|"
                       r"couldn't be found|not found|no such user|introuvable|n'existe pas|"
                       r"inconnu", re.I)
QUOTED_ID = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.I | re.M)


def is_auto_reply(msg: Message) -> bool:
    """An out-of-office or other automatic answer (RFC 3834 and its common variants)."""
    # Postfix and Exim mark their bounces "auto-replied" too: from a person it is an answer.
    submitted = (msg.get("Auto-Submitted") or "").strip().lower()
    if submitted.startswith("auto-replied") and not _from_mail_system(msg):
        return True
    if any(msg.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        return True
    if (msg.get("Precedence") or "").strip().lower() == "auto_reply":
        return True
    return bool(AUTO_REPLY_SUBJECT.match(str(msg.get("Subject") or "")))


def _from_mail_system(msg: Message) -> bool:
    if (msg.get("Return-Path") or "").strip() == "<>":
        return True
    name, address = parseaddr(str(msg.get("From") or ""))
    local = address.rsplit("@", 1)[0]
    return bool(DAEMON_LOCAL.match(local) or DAEMON_NAME.search(name))


def _text_parts(part: Message) -> list[str]:
    """The text of the report itself: its text/plain parts, not those of a quoted message."""
    if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
        return []
    if part.is_multipart():
        return [t for sub in cast("list[Message]", part.get_payload()) for t in _text_parts(sub)]
    if part.get_content_type() != "text/plain":
        return []
    try:
        return [_decoded(part)]
    except (LookupError, ValueError):
        return []


def _decoded(part: Message) -> str:
    if isinstance(part, EmailMessage):
        return str(part.get_content())
    payload = part.get_payload(decode=True)
    return payload.decode(part.get_content_charset() or "utf-8", "replace") \
        if isinstance(payload, bytes) else str(payload)


def status_of(text: str) -> str:
    """The enhanced status a diagnostic says: quoted, else from a basic reply code, else from
    the wording (permanent words are hard; nothing said is counted as soft)."""
    if m := ENHANCED.search(text):
        return ".".join(m.groups())
    if m := BASIC.search(text):
        return f"{m.group(1)}.0.0"
    return "5.0.0" if PERMANENT.search(text) else "4.0.0"


def _status(diagnostic: str, whole: str) -> str:
    """The recipient's own code, else the first the report quotes (one recipient, mostly)."""
    own = ENHANCED.search(diagnostic) or BASIC.search(diagnostic)
    return status_of(diagnostic if own else whole)


def _paragraph(lines: list[str], start: int) -> str:
    """Line `start` and the non-blank lines after it, up to the next recipient line."""
    out = [lines[start]]
    for line in lines[start + 1:]:
        if not line.strip() or BRACKETED.match(line.strip()):
            break
        out.append(line)
    return " ".join(" ".join(out).split())


def _listed(lines: list[str]) -> dict[str, str]:
    """Recipient -> its diagnostic, as the formats write them."""
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        stripped = line.strip()
        if m := BRACKETED.match(stripped):
            found.setdefault(m.group(1).lower(), _paragraph(lines, i))
        elif INTRO.search(stripped):
            listed = 0
            for j in range(i + 1, min(i + 12, len(lines))):
                first = lines[j].strip().split(" ")[0].strip("<>:(),")
                if re.fullmatch(ADDRESS, first):
                    found.setdefault(first.lower(), _paragraph(lines, j))
                    listed += 1
                elif lines[j].strip() and listed:
                    break  # past the list
    for m in SENTENCE.finditer("\n".join(lines)):
        found.setdefault(m.group("address").lower(), "")
    return found


def _original_id(msg: Message, quoted: str) -> str | None:
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            return original_message_id(part)
    own = (msg.get("Message-ID") or "").strip()
    ids = [i for i in QUOTED_ID.findall(quoted) if i != own]
    return ids[0] if ids else None


def parse(raw: bytes) -> list[DeliveryReport]:
    """The failed recipients of a plain-text bounce; [] when it is not one (or a delay, or an
    auto-reply)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if is_auto_reply(msg) or not _from_mail_system(msg):
        return []
    text = "\n".join(_text_parts(msg))
    cut = COPY.search(text)
    report, quoted = (text[:cut.start()], text[cut.start():]) if cut else (text, "")
    subject = " ".join(str(msg.get("Subject") or "").split())
    if DELAYED.search(subject) or DELAYED.search(report):
        return []
    lines = report.splitlines()
    found = _listed(lines)
    if not found or not (BOUNCE_SUBJECT.search(subject) or BOUNCE_SUBJECT.search(report)):
        return []
    ours = {a.lower() for _n, a in getaddresses([str(msg.get(h) or "") for h in ("From", "To")])}
    dsn_id = (msg.get("Message-ID") or "").strip() or message_digest(raw)
    original = _original_id(msg, quoted)
    whole = " ".join(report.split())
    return [DeliveryReport(dsn_id=dsn_id, recipient=address, action="failed",
                           status=_status(diagnostic, whole),
                           diagnostic=(diagnostic or whole)[:2000],
                           original_message_id=original, plain=True)
            for address, diagnostic in found.items() if address not in ours]
