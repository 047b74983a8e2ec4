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

**Signed tokens** (`unsubscribe_url`, `preferences_url`, `unsubscribe_mailto`)
serve the unsubscribe and preference links carried by every bulk email. A
send of 100,000 emails must not write 100,000 rows to offer a way out, and
an unsubscribe link must keep working long after the email (RFC 8058). They
are the member id and the signing time, HMAC-SHA256-signed by itsdangerous
with SECRET_KEY and one salt per purpose, so an unsubscribe token never opens
the preferences page or another app's link. Expiry is checked on use:
`LINK_UNSUBSCRIBE_MAX_AGE_DAYS` (default 730) and
`LINK_PREFERENCES_MAX_AGE_DAYS` (default 90).

No per-member revocation table for signed links, on purpose: reading a
revocation counter for each of 100,000 recipients would put a query back
into the send, for little gain. What these links open is small (the first
name and two consents; never the email address), a forwarded unsubscribe
link can only do what the member could undo in one click, an erased
(anonymised) or deleted member's links stop working, and changing
COOPCRM_SECRET_KEY revokes every link at once (list the old key in
SECRET_KEY_FALLBACKS to keep old links alive during a rotation).
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
from coopcrm.members.models import Member
from coopcrm.privacy.audit import acting_as
from coopcrm.privacy.consents import set_consent, wording

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
    if not raw or len(raw) > _MAX_TOKEN_LENGTH:
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

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"
_SALTS = {UNSUBSCRIBE: "coopcrm.links.unsubscribe", PREFERENCES: "coopcrm.links.preferences"}
_MAX_AGE_KEYS = {
    UNSUBSCRIBE: ("LINK_UNSUBSCRIBE_MAX_AGE_DAYS", 730),
    PREFERENCES: ("LINK_PREFERENCES_MAX_AGE_DAYS", 90),
}
PATHS = {UNSUBSCRIBE: "/u/", PREFERENCES: "/p/"}
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
            salt=_SALTS[purpose],
            signer=_ClockSigner,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
        cached = cache[purpose] = (keys, serializer)
    return cached[1]


def sign(member_id: int, purpose: str, now: datetime | None = None) -> str:
    """A signed, URL-safe token for `purpose` carrying `member_id`, signed as of `now`
    (a job's; by default, the clock)."""
    serializer = _serializer(purpose)
    if now is None:
        return serializer.dumps(int(member_id))
    # Serializer.dumps, with a signer set to `now` (dumps builds a new signer per call too).
    signer = cast(_ClockSigner, serializer.make_signer())
    signer.at = now
    return signer.sign(serializer.dump_payload(int(member_id))).decode()


def verify(token: str | None, purpose: str) -> int:
    """The member id in a signed token; raises LinkExpired or LinkInvalid."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise LinkInvalid()
    key, default = _MAX_AGE_KEYS[purpose]
    max_age = int(current_app.config.get(key, default)) * 86400
    try:
        member_id = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired() from exc
    except BadData as exc:
        raise LinkInvalid() from exc
    if type(member_id) is not int or member_id <= 0:
        raise LinkInvalid()
    return member_id


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


@lru_cache(maxsize=8)
def _address(mail_from: str) -> str:
    return parseaddr(mail_from)[1]  # ~15 µs: too slow to redo for each of 100,000 emails


def _mailto_address() -> str:
    config = current_app.config
    return config.get("UNSUBSCRIBE_MAILTO") or _address(config["MAIL_FROM"])


def unsubscribe_url(member_id: int) -> str:
    """Absolute one-click unsubscribe URL (List-Unsubscribe and the email footer)."""
    return _base_url() + PATHS[UNSUBSCRIBE] + sign(member_id, UNSUBSCRIBE)


def preferences_url(member_id: int) -> str:
    """Absolute URL of the member's preferences page."""
    return _base_url() + PATHS[PREFERENCES] + sign(member_id, PREFERENCES)


def unsubscribe_mailto(member_id: int) -> str:
    """mailto: URL for List-Unsubscribe; the subject carries the unsubscribe token."""
    return _mailto(sign(member_id, UNSUBSCRIBE))


def _mailto(token: str) -> str:
    # Signed tokens are URL-safe already; only the address may need escaping.
    return f"mailto:{quote(_mailto_address(), safe='@')}?subject=unsubscribe%20{token}"


@dataclass(frozen=True)
class MemberLinks:
    unsubscribe_url: str
    unsubscribe_mailto: str
    preferences_url: str


def member_links(member_id: int, now: datetime | None = None) -> MemberLinks:
    """The three links of a bulk email at once (two signatures instead of three), as of `now`."""
    token = sign(member_id, UNSUBSCRIBE, now)
    base = _base_url()
    return MemberLinks(
        unsubscribe_url=base + PATHS[UNSUBSCRIBE] + token,
        unsubscribe_mailto=_mailto(token),
        preferences_url=base + PATHS[PREFERENCES] + sign(member_id, PREFERENCES, now),
    )


def member_id_from_mailto_subject(subject: str) -> int | None:
    """The member asking to unsubscribe by replying to the mailto link, or None."""
    match = _MAILTO_SUBJECT.search(subject or "")
    if not match:
        return None
    try:
        return verify(match.group(1), UNSUBSCRIBE)
    except LinkInvalid:
        return None


# ---------------------------------------------------------------- member actions

UNSUBSCRIBE_SOURCE = "lien de désinscription"
PREFERENCES_SOURCE = "page de préférences"
LINK_ACTOR = "membre (lien)"
# What the member acted on: our page's button, or their mail client's one-click button.
UNSUBSCRIBE_WORDING = (
    "Ne plus recevoir la lettre d'information ni les emails d'information de {coop} "
    "(bouton « Me désinscrire » ou désinscription en un clic depuis la messagerie)."
)


def member_for(token: str | None, purpose: str, for_update: bool = False) -> Member:
    """The member a signed link belongs to; raises LinkExpired or LinkInvalid."""
    member_id = verify(token, purpose)
    # OF members: the eager-joined residence/college may be NULL, and PostgreSQL
    # refuses to lock the nullable side of an outer join.
    lock = {"of": Member} if for_update else None
    member = db.session.get(Member, member_id, with_for_update=lock)
    if member is None or member.anonymised_dt is not None:
        raise LinkInvalid()
    return member


def unsubscribe(member: Member, coop: str) -> bool:
    """Withdraw newsletter consent and stop bulk email; False if already done. Commits."""
    with acting_as(actor=LINK_ACTOR):
        record = set_consent(
            member, "newsletter", False, UNSUBSCRIBE_SOURCE, UNSUBSCRIBE_WORDING.format(coop=coop)
        )
        # A bounced address stays "bounced": that fact matters more, and
        # re-subscribing later must not make it look deliverable.
        leaving = member.email_status == "valid"
        if leaving:
            member.email_status = "unsubscribed"
        db.session.commit()
    return record is not None or leaving


def save_preferences(member: Member, newsletter: bool, econvocation: bool, coop: str) -> list[str]:
    """Apply the preferences form; returns the consent kinds that changed. Commits."""
    changed = []
    with acting_as(actor=LINK_ACTOR):
        for kind, granted in (("newsletter", newsletter), ("econvocation", econvocation)):
            if set_consent(member, kind, granted, PREFERENCES_SOURCE, wording(kind, coop)):
                changed.append(kind)
        # Back on the list only if they had left it themselves: a bounced
        # address stays out until a referent fixes it.
        if "newsletter" in changed and newsletter and member.email_status == "unsubscribed":
            member.email_status = "valid"
        db.session.commit()
    return changed
