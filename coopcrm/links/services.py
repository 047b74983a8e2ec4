"""Member links: how a member reaches the app from an email, without an account.

Two kinds of token, because the two uses pull in opposite directions.

**Stored tokens** (`issue`, `issue_many`, `resolve`, `consume`) serve survey
and event invitations (/s/<token>, /e/<token>). The raw token is 32 random
bytes (urlsafe base64) that only the email carries; the database keeps its
sha256, bound to one member, one purpose, optionally one subject (which
survey), with an expiry. A row is what makes a link single-use (one answer,
one RSVP), revocable and countable, and those flows write an invitation row
in the same transaction anyway. Looking a token up by its hash is the
constant-time comparison: the secret never meets a `==`.

**Signed tokens** (`sign`, `load`, `message_links`) serve the unsubscribe and
preference links carried by every bulk email. A send of 100,000 emails must
not write 100,000 rows to offer a way out, and an unsubscribe link must keep
working long after the email (RFC 8058). They are the member id (and, for a
link that may grant a consent, the id of the outbox message whose body
carries it) and the signing time, HMAC-SHA256-signed by itsdangerous with
SECRET_KEY and one salt per purpose, so an unsubscribe token never opens the
preferences page or another app's link. `PURPOSES` says all there is about
each kind: its page, its validity setting (checked on use), and whether it
may grant. What the pages do with them is `links.actions`.

No per-member revocation table for signed links, on purpose: reading a
revocation counter for each of 100,000 recipients would put a query back
into the send, for little gain. What these links open is small (the first
name and two consents; never the email address), a forwarded unsubscribe
link can only withdraw, an erased (anonymised) or deleted member's links
stop working, and changing COOPCRM_SECRET_KEY revokes every link at once
(list the old key in SECRET_KEY_FALLBACKS to keep old links alive during a
rotation).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import lru_cache
from typing import cast
from urllib.parse import quote

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.links.models import MemberToken
from coopcrm.params import MAX_ID

# ---------------------------------------------------------------- stored tokens

_MAX_TOKEN_LENGTH = 200  # anything longer is garbage; don't hash megabytes


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_raw() -> str:
    return secrets.token_urlsafe(32)


def issue(member_id: int, purpose: str, expires_dt: datetime, subject_id: int | None = None) -> str:
    """Create a stored token in the current transaction; returns the raw token for the email."""
    raw = _new_raw()
    db.session.add(
        MemberToken(
            token_hash=_hash(raw),
            member_id=member_id,
            purpose=purpose,
            subject_id=subject_id,
            expires_dt=expires_dt,
            created_dt=clock.now(),
        )
    )
    return raw


def issue_many(rows: Iterable[Mapping], now: datetime | None = None) -> list[str]:
    """Bulk `issue` with one executemany; rows have member_id, purpose, expires_dt[, subject_id].

    Returns the raw tokens in the order of `rows`. `now` (a job's) dates them;
    by default, the clock.
    """
    now = now or clock.now()
    raws, params = [], []
    for row in rows:
        raw = _new_raw()
        raws.append(raw)
        params.append(
            {
                "token_hash": _hash(raw),
                "member_id": row["member_id"],
                "purpose": row["purpose"],
                "subject_id": row.get("subject_id"),
                "expires_dt": row["expires_dt"],
                "used_dt": None,
                "created_dt": now,
            }
        )
    if params:
        db.session.execute(insert(MemberToken), params)
    return raws


def resolve(raw: str | None, purpose: str) -> MemberToken | None:
    """The live token for `raw` and `purpose`, or None (unknown, expired, other purpose).

    A used token is still returned (check `token.is_used`): a survey page can
    then say "vous avez déjà répondu" instead of "lien invalide".
    """
    if not raw or len(raw) > _MAX_TOKEN_LENGTH or not raw.isascii():  # ours are URL-safe ASCII
        return None
    token = db.session.scalar(select(MemberToken).where(MemberToken.token_hash == _hash(raw)))
    if token is None or token.purpose != purpose or token.expires_dt <= clock.now():
        return None
    return token


def consume(token: MemberToken) -> bool:
    """Mark a token used; False if it already was (two clicks racing: only one wins)."""
    now = clock.now()
    result = cast(CursorResult, db.session.execute(
        update(MemberToken)
        .where(MemberToken.id == token.id, MemberToken.used_dt.is_(None))
        .values(used_dt=now)
        .execution_options(synchronize_session=False)
    ))
    if result.rowcount == 1:
        set_committed_value(token, "used_dt", now)
        return True
    return False


def revoke(member_id: int, purpose: str | None = None, subject_id: int | None = None) -> int:
    """Expire a member's live stored tokens now (all, or one purpose/subject); returns how many."""
    now = clock.now()
    stmt = update(MemberToken).where(
        MemberToken.member_id == member_id, MemberToken.expires_dt > now
    )
    if purpose is not None:
        stmt = stmt.where(MemberToken.purpose == purpose)
    if subject_id is not None:
        stmt = stmt.where(MemberToken.subject_id == subject_id)
    result = cast(CursorResult, db.session.execute(
        stmt.values(expires_dt=now).execution_options(synchronize_session=False)
    ))
    return result.rowcount


# ---------------------------------------------------------------- signed links


@dataclass(frozen=True)
class Purpose:
    """One kind of signed link: everything about it is here, and only here."""

    name: str
    path: str  # the page it opens, "/u/" + token
    max_age_setting: str  # the setting giving the days it stays valid
    # Whether the page it opens may grant a consent. Only a link that travels in the
    # body of one message may: its token names that message, checked on use.
    grants: bool

    @property
    def salt(self) -> str:  # one per purpose: a token never opens another purpose's page
        return f"coopcrm.links.{self.name}"


UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"
PREFERENCES_REQUESTED = "preferences_requested"
PURPOSES = {p.name: p for p in (
    # In List-Unsubscribe (read by mail providers, kept by whoever the email is
    # forwarded to) and the footer, for two years: it can only withdraw.
    Purpose(UNSUBSCRIBE, "/u/", "LINK_UNSUBSCRIBE_MAX_AGE_DAYS", grants=False),
    # In the footer of the body of each bulk email.
    Purpose(PREFERENCES, "/p/", "LINK_PREFERENCES_MAX_AGE_DAYS", grants=True),
    # In the body of the email a member asks for from the unsubscribe page.
    Purpose(PREFERENCES_REQUESTED, "/pr/", "LINK_PREFERENCES_REQUESTED_MAX_AGE_DAYS",
            grants=True),
)}
# The email carrying a PREFERENCES_REQUESTED link (emails/preferences_link.mjml).
PREFERENCES_LINK_TEMPLATE = "preferences_link"
_MAILTO_SUBJECT = re.compile(r"unsubscribe\s+([A-Za-z0-9_.\-]+)", re.IGNORECASE)


class LinkInvalid(Exception):
    """A link token that is tampered with, unknown, or names no (longer existing) member."""


class LinkExpired(LinkInvalid):
    """A genuine link token past its validity."""


class _ClockSigner(TimestampSigner):
    # Time is an input: signing and expiry follow coopcrm.clock, not time.time(),
    # or the `at` a job signs as of.
    at: datetime | None = None

    def get_timestamp(self) -> int:
        return int((self.at or clock.now()).timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    config = current_app.config
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or ()), config["SECRET_KEY"]]
    cache = current_app.extensions.setdefault("coopcrm.links", {})
    cached = cache.get(purpose)
    if cached is None or cached[0] != keys:
        serializer = URLSafeTimedSerializer(
            keys,  # signs with the last, verifies with any
            salt=PURPOSES[purpose].salt,
            signer=_ClockSigner,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
        cached = cache[purpose] = (keys, serializer)
    return cached[1]


def sign(member_id: int, purpose: str, message_id: int | None = None,
         now: datetime | None = None) -> str:
    """A signed, URL-safe token for `purpose` carrying `member_id`, signed as of
    `now` (a job's; by default, the clock).

    A purpose that grants also carries `message_id`, the outbox message whose
    body holds the link (required); the others carry the member id alone.
    """
    payload: int | list[int] = int(member_id)
    if PURPOSES[purpose].grants:
        if message_id is None:
            raise ValueError(f"a {purpose} link names the message that carries it")
        payload = [int(member_id), int(message_id)]
    serializer = _serializer(purpose)
    if now is None:
        return serializer.dumps(payload)
    # Serializer.dumps, with a signer set to `now` (dumps builds a new signer per call too).
    signer = cast(_ClockSigner, serializer.make_signer())
    signer.at = now
    return signer.sign(serializer.dump_payload(payload)).decode()


def _positive(value) -> bool:
    """An id a database column holds (a bool is an int to Python, not to us)."""
    return type(value) is int and 1 <= value <= MAX_ID


def load(token: str | None, purpose: str) -> tuple[int, int | None]:
    """The member id and message id in a signed token; raises LinkExpired or LinkInvalid.

    The message id is None for a purpose that does not grant, and for a
    preferences token signed before tokens named their message.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        raise LinkInvalid()  # ours are URL-safe ASCII: anything else is not one
    max_age = int(current_app.config[PURPOSES[purpose].max_age_setting]) * 86400
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired() from exc
    except BadData as exc:
        raise LinkInvalid() from exc
    if _positive(payload):
        return payload, None
    if (PURPOSES[purpose].grants and isinstance(payload, list) and len(payload) == 2
            and all(_positive(v) for v in payload)):
        return payload[0], payload[1]
    raise LinkInvalid()


def verify(token: str | None, purpose: str) -> int:
    """The member id in a signed token; raises LinkExpired or LinkInvalid."""
    return load(token, purpose)[0]


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


@lru_cache(maxsize=8)
def _address(mail_from: str) -> str:
    return parseaddr(mail_from)[1]  # ~15 µs: too slow to redo for each of 100,000 emails


def _mailto_address() -> str:
    config = current_app.config
    return config.get("UNSUBSCRIBE_MAILTO") or _address(config["MAIL_FROM"])


def link_url(member_id: int, purpose: str, message_id: int | None = None,
             now: datetime | None = None) -> str:
    """Absolute URL of `purpose`'s page for the member (see `sign` for `message_id`, `now`)."""
    return _base_url() + PURPOSES[purpose].path + sign(member_id, purpose, message_id, now)


def unsubscribe_url(member_id: int) -> str:
    """Absolute one-click unsubscribe URL (List-Unsubscribe and the email footer)."""
    return link_url(member_id, UNSUBSCRIBE)


def preferences_url(member_id: int, message_id: int) -> str:
    """Absolute URL of the preferences page, in the body of outbox message `message_id`."""
    return link_url(member_id, PREFERENCES, message_id)


def unsubscribe_mailto(member_id: int) -> str:
    """mailto: URL for List-Unsubscribe; the subject carries the unsubscribe token."""
    return _mailto(sign(member_id, UNSUBSCRIBE))


def _mailto(token: str) -> str:
    # Signed tokens are URL-safe already; only the address may need escaping.
    return f"mailto:{quote(_mailto_address(), safe='@')}?subject=unsubscribe%20{token}"


def message_links(member_id: int, message_id: int, bulk: bool, template: str,
                  now: datetime | None = None) -> dict[str, str]:
    """The member links outbox message `message_id` carries, signed at send time.

    A bulk email: the unsubscribe link (footer and List-Unsubscribe, https and
    mailto) and the preferences link (footer of the body only). The email a
    member asked for from the unsubscribe page: its own preferences link.
    Nothing for other transactional mail. Tokens are signed here, as of `now`
    (the sending job's), never stored in the outbox: staff reading a message, or
    a copy of the database, get no link that could grant a consent.
    """
    if template == PREFERENCES_LINK_TEMPLATE:
        return {"preferences_url": link_url(member_id, PREFERENCES_REQUESTED, message_id, now)}
    if not bulk:
        return {}
    token = sign(member_id, UNSUBSCRIBE, now=now)
    return {"unsubscribe_url": _base_url() + PURPOSES[UNSUBSCRIBE].path + token,
            "unsubscribe_mailto": _mailto(token),
            "preferences_url": link_url(member_id, PREFERENCES, message_id, now)}


def mailto_token(text: str) -> str | None:
    """The token after "unsubscribe" in a mailto reply's subject (or body), unchecked; or None."""
    match = _MAILTO_SUBJECT.search(text or "")
    return match.group(1) if match else None


def member_id_from_mailto_subject(subject: str) -> int | None:
    """The member asking to unsubscribe by replying to the mailto link, or None."""
    token = mailto_token(subject)
    if token is None:
        return None
    try:
        return verify(token, UNSUBSCRIBE)
    except LinkInvalid:
        return None

