"""What a member does through a personal link: unsubscribe, set preferences, ask for a link.

An unsubscribe link travels in the `List-Unsubscribe` header, read by mail
providers and kept by anyone the email is forwarded to, for two years: it
only ever withdraws. Granting a consent (the newsletter; the e-convocation,
a legal consent under Code de commerce R225-63) needs the member's own act
through a link sent in the body of a message to their present address, and
the consent record keeps that message's id; or a referent recording a paper
form (the member form, not here). From the unsubscribe page a member can
ask for a fresh preferences link: it is emailed to their address, never
shown on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.links.services import (
    PREFERENCES_LINK_TEMPLATE,
    PREFERENCES_REQUESTED,
    PURPOSES,
    LinkInvalid,
    load,
    verify,
)
from coopcrm.members.models import Member
from coopcrm.privacy.audit import acting_as
from coopcrm.privacy.consents import set_consent, wording
from coopcrm.sending.models import OutboxMessage
from coopcrm.sending.services import enqueue

UNSUBSCRIBE_SOURCE = "lien de désinscription"
PREFERENCES_SOURCE = "page de préférences"
LINK_ACTOR = "membre (lien)"
# What the member acted on: our page's button, or their mail client's one-click button.
UNSUBSCRIBE_WORDING = (
    "Ne plus recevoir la lettre d'information ni les emails d'information de {coop} "
    "(bouton « Me désinscrire » ou désinscription en un clic depuis la messagerie)."
)


def _member(member_id: int, for_update: bool) -> Member:
    # OF members: the eager-joined residence/college may be NULL, and PostgreSQL
    # refuses to lock the nullable side of an outer join.
    lock = {"of": Member} if for_update else None
    member = db.session.get(Member, member_id, with_for_update=lock)
    if member is None or member.anonymised_dt is not None:
        raise LinkInvalid()
    return member


def member_for(token: str | None, purpose: str, for_update: bool = False) -> Member:
    """The member a signed link belongs to; raises LinkExpired or LinkInvalid."""
    return _member(verify(token, purpose), for_update)


@dataclass(frozen=True)
class PreferencesLink:
    """What a preferences link opens: the member, and the message it may grant from."""

    member: Member
    # The outbox message whose body carried the link, when it went to the member's
    # present address; None: the page can only withdraw.
    message_id: int | None

    @property
    def grants(self) -> bool:
        return self.message_id is not None


def preferences_for(token: str | None, purpose: str, for_update: bool = False) -> PreferencesLink:
    """The member and the message behind a preferences link; raises LinkExpired or LinkInvalid.

    The link may grant only if its message was sent to this member at the
    address they have now: after a referent corrects an address, a link sent
    to the old (perhaps someone else's) one can still withdraw, not grant.
    """
    member_id, message_id = load(token, purpose)
    member = _member(member_id, for_update)
    if message_id is not None and not _sent_to_member(message_id, member):
        message_id = None
    return PreferencesLink(member, message_id)


def _sent_to_member(message_id: int, member: Member) -> bool:
    """Was outbox message `message_id` for this member, at the address they have now?"""
    if not member.email:
        return False
    row = db.session.execute(
        select(OutboxMessage.member_id, OutboxMessage.to_address)
        .where(OutboxMessage.id == message_id)).first()
    return (row is not None and row.member_id == member.id
            and row.to_address.lower() == member.email.lower())


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


def save_preferences(link: PreferencesLink, wanted: dict[str, bool], coop: str) -> list[str]:
    """Apply the preferences form; returns the consent kinds that changed. Commits.

    `wanted` maps a consent kind to the member's choice. A grant is applied
    only when the link may grant (`link.grants`), and is recorded with the
    message the link came in; otherwise only withdrawals are.
    """
    member, changed = link.member, []
    with acting_as(actor=LINK_ACTOR):
        for kind, granted in wanted.items():
            if granted and not link.grants:
                continue  # a link that cannot prove where it came from only withdraws
            if set_consent(member, kind, granted, PREFERENCES_SOURCE, wording(kind, coop),
                           outbox_message_id=link.message_id):
                changed.append(kind)
        # Back on the list only if they had left it themselves: a bounced
        # address stays out until a referent fixes it.
        if "newsletter" in changed and member.newsletter_consent \
                and member.email_status == "unsubscribed":
            member.email_status = "valid"
        db.session.commit()
    return changed


LINK_SENT, LINK_ALREADY_SENT, LINK_UNDELIVERABLE = "sent", "already_sent", "undeliverable"


def send_preferences_link(member: Member) -> str:
    """Queue the email carrying a fresh preferences link to the member's address. Commits.

    At most one a day (Paris date): a forwarded unsubscribe link must not let
    anyone flood the member's mailbox. Returns LINK_SENT, LINK_ALREADY_SENT
    (today's was queued already) or LINK_UNDELIVERABLE (no usable address).
    The link itself is signed when the message is sent (`message_links`).
    """
    day = clock.now().astimezone(clock.PARIS).date().isoformat()
    days = int(current_app.config[PURPOSES[PREFERENCES_REQUESTED].max_age_setting])
    message = enqueue(PREFERENCES_LINK_TEMPLATE, member, {"valid_days": days},
                      f"links:preferences:member:{member.id}:{day}", bulk=False)
    db.session.commit()
    if message is None:
        return LINK_ALREADY_SENT
    return LINK_UNDELIVERABLE if message.status == "suppressed" else LINK_SENT
