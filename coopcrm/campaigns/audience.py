"""Campaigns: the audience and its breakdown, and the ledger read back.

The audience is one SQL query (`classified`): every member of the segment
(optionally of one residence, minus those who received another campaign) with
the first reason, if any, that keeps them from the email, decided by the rules
of LEFT_OUT and EMAIL_BLOCKED (each a SQL condition and its French label: the
count, the breakdown and the freeze read the same table). Nothing is counted
in Python, so it scales to 100,000 members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from coopcrm.campaigns.models import Campaign, CampaignRecipient
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.models import Member, Residence
from coopcrm.segments import services as segments


@dataclass(frozen=True)
class Rule:
    """One reason a member does not get the email: its SQL condition and its French label."""

    key: str
    label: str
    condition: Any  # a callable(campaign, candidates_subquery) -> ColumnElement[bool]


def _no_email(c, _cands) -> ColumnElement[bool]:
    return or_(Member.email.is_(None), Member.email == "")


def _duplicate(c, cands) -> ColumnElement[bool]:
    # Another member of the audience with the same address and a smaller id gets it.
    other = aliased(Member)
    return exists(select(other.id).where(
        other.id.in_(select(cands.c.id)), other.email == Member.email, other.id < Member.id,
        other.email_status == "valid", other.newsletter_consent.is_(True)))


def _already(c, _cands) -> ColumnElement[bool]:
    if c.exclude_campaign_id is None:
        return literal(False)
    return Member.id.in_(select(CampaignRecipient.member_id).where(
        CampaignRecipient.campaign_id == c.exclude_campaign_id,
        CampaignRecipient.status.in_(("sent", "letter"))))


# Out of the campaign whatever the channel, in this order.
LEFT_OUT = (
    Rule("anonymised", "Membre anonymisé", lambda c, _: Member.anonymised_dt.is_not(None)),
    Rule("not_cooperateur", "N'est plus coopérateur", lambda c, _: Member.status == "ancien"),
    Rule("already", "A déjà reçu la campagne exclue", _already),
)
# No email; under 'email_else_letter' these get a letter, under 'email_only' nothing.
EMAIL_BLOCKED = (
    Rule("no_email", "Pas d'adresse email", _no_email),
    Rule("bounced", "Adresse en erreur", lambda c, _: Member.email_status == "bounced"),
    Rule("unsubscribed", "Désinscrit des envois groupés",
         lambda c, _: Member.email_status == "unsubscribed"),
    Rule("no_consent", "Pas d'accord pour l'information par email",
         lambda c, _: Member.newsletter_consent.is_not(True)),
)
# Left out (not a letter either): the same address already gets the email.
DUPLICATE = Rule("duplicate", "Adresse email en double (un seul envoi)", _duplicate)
RULES = {r.key: r for r in (*LEFT_OUT, *EMAIL_BLOCKED, DUPLICATE)}


def _owner(campaign: Campaign):
    """Whose view of the segment the audience is (the author; a job has no user)."""
    return campaign.created_by


def candidate_ids(campaign: Campaign) -> Select:
    """The ids of the segment's members (of the residence, when one is chosen)."""
    if campaign.segment is None:
        return select(Member.id).where(literal(False))
    ids = segments.member_ids(campaign.segment, _owner(campaign))
    if campaign.residence_id is not None:
        ids = ids.where(Member.residence_id == campaign.residence_id)
    return ids


def classified(campaign: Campaign) -> Select:
    """(member id, reason key or None, channel or None) for each member of the audience.

    Channel None: left out. The reason is the first rule that applies.
    """
    cands = candidate_ids(campaign).subquery()
    rule = campaign.channel_rule
    whens = [(r.condition(campaign, cands), r.key) for r in LEFT_OUT]
    if rule != "letter_all":
        whens += [(r.condition(campaign, cands), r.key) for r in EMAIL_BLOCKED]
        whens.append((DUPLICATE.condition(campaign, cands), DUPLICATE.key))
    reason = case(*whens, else_=None)
    blocked = [r.key for r in EMAIL_BLOCKED]
    if rule == "letter_all":
        channel = case((reason.is_(None), "letter"), else_=None)
    elif rule == "email_only":
        channel = case((reason.is_(None), "email"), else_=None)
    else:
        channel = case((reason.is_(None), "email"), (reason.in_(blocked), "letter"),
                       else_=None)
    return select(Member.id.label("member_id"), reason.label("reason"),
                  channel.label("channel")).where(Member.id.in_(select(cands.c.id)))


@dataclass
class Breakdown:
    """Who the campaign reaches and who it leaves out, counted."""

    emails: int
    letters: int
    left_out: int  # neither email nor letter
    reasons: dict[str, int]  # every rule's key -> how many it concerns (letters included)

    def lines(self) -> list[tuple[str, str, int]]:
        """(key, French label, count) of every reason that concerns someone."""
        return [(k, RULES[k].label, n) for k, n in self.reasons.items() if n]


def breakdown(campaign: Campaign) -> Breakdown:
    """The audience counted: emails, letters, and how many each reason concerns."""
    sub = classified(campaign).subquery()
    rows = db.session.execute(
        select(sub.c.reason, sub.c.channel, func.count()).group_by(sub.c.reason, sub.c.channel))
    emails = letters = left = 0
    reasons = {key: 0 for key in RULES}
    for reason, channel, n in rows:
        if reason is not None:
            reasons[reason] += n
        if channel == "email":
            emails += n
        elif channel == "letter":
            letters += n
        else:
            left += n
    return Breakdown(emails=emails, letters=letters, left_out=left, reasons=reasons)


def members_for_reason(campaign: Campaign, reason: str) -> Select:
    """The members one reason of the breakdown concerns (the clickable count), by name."""
    if reason not in RULES:
        raise ValidationFailed({"reason": "Motif inconnu."})
    sub = classified(campaign).subquery()
    return (select(Member).join(sub, sub.c.member_id == Member.id)
            .where(sub.c.reason == reason).order_by(Member.last_name, Member.first_name))


def letter_recipients(campaign: Campaign, user=None) -> list[Member]:
    """Members the campaign writes to by letter (its ledger rows with channel 'letter'), of
    those `user` may see (scoped like the ledger; all of them without a user), by postcode,
    then residence, then name. coopcrm.campaigns.letters prints them."""
    query = (select(Member)
             .join(CampaignRecipient, CampaignRecipient.member_id == Member.id)
             .outerjoin(Residence, Residence.id == Member.residence_id)
             .where(CampaignRecipient.campaign_id == campaign.id,
                    CampaignRecipient.channel == "letter")
             .order_by(Member.postal_code, Residence.name, Member.last_name, Member.first_name,
                       Member.id))
    return list(db.session.scalars(scoping.only_seen(query, Member.id, user)))


def ledger(campaign: Campaign, status: str | None = None, channel: str | None = None) -> Select:
    """The ledger rows with their member, filtered, in order (for pages and the CLI)."""
    query = (select(CampaignRecipient, Member)
             .join(Member, Member.id == CampaignRecipient.member_id)
             .where(CampaignRecipient.campaign_id == campaign.id)
             .order_by(CampaignRecipient.id))
    if status:
        query = query.where(CampaignRecipient.status == status)
    if channel:
        query = query.where(CampaignRecipient.channel == channel)
    return query


def visible_campaigns(user) -> Select:
    """The campaigns the user may see, newest first."""
    return scoping.owned(select(Campaign), Campaign, user).order_by(Campaign.id.desc())
