"""Statistics of one campaign: its ledger counted, in all, by entity and by residence.

One function (`statistics`) for the campaign page and `coopcrm campaigns show`:
SQL aggregates over campaign_recipients (one query per table, no loop over
members), restricted to the members the user sees (members.scoping; an
anonymised member still counts, as in every figure of the past).

"Unsubscribed through it": a newsletter withdrawal made through a member link
and attributed to this campaign's email to them. A withdrawal from the
preferences page names its email (ConsentRecord.outbox_message_id) and is
attributed exactly. The one-click link (List-Unsubscribe, the footer, its
mailto twin read by the inbox) carries only the member, by design (two-year-old
links, mailto subjects): it is attributed to the last bulk email the member had
received before unsubscribing, when that email is this campaign's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from coopcrm.campaigns import clicks
from coopcrm.campaigns.models import Campaign, CampaignLink, CampaignRecipient
from coopcrm.extensions import db
from coopcrm.links.actions import PREFERENCES_SOURCE, UNSUBSCRIBE_SOURCE
from coopcrm.members import scoping
from coopcrm.members.models import Entity, Member, MemberEntity, Residence
from coopcrm.privacy.models import ConsentRecord
from coopcrm.sending.models import OutboxMessage

NO_RESIDENCE = "Sans résidence"
# Column -> French heading, in the order the page and the CLI show them.
COLUMNS = {
    "recipients": "Destinataires",
    "emailed": "Par email",
    "sent": "Délivrés",
    "deferred": "Différés",
    "bounced": "Rejetés",
    "failed": "En échec",
    "suppressed": "Non envoyés",
    "unsubscribed": "Désinscrits par cette campagne",
    "letters": "Courriers",
}


@dataclass(frozen=True)
class Figures:
    """The counts of one line (the whole campaign, an entity, a residence)."""

    recipients: int = 0
    emailed: int = 0
    sent: int = 0
    deferred: int = 0
    bounced: int = 0
    failed: int = 0
    suppressed: int = 0
    unsubscribed: int = 0
    letters: int = 0

    def values(self) -> list[int]:
        return [getattr(self, f.name) for f in fields(self)]


@dataclass(frozen=True)
class Line:
    label: str
    figures: Figures


@dataclass(frozen=True)
class Statistics:
    total: Figures
    by_entity: list[Line]
    by_residence: list[Line]
    links: list[CampaignLink]

    @property
    def clicks(self) -> int:
        return sum(link.clicks for link in self.links)


def _unsubscribed(campaign: Campaign):
    """The members of the campaign whose unsubscribe is attributed to it (see above)."""
    sent, later, record = aliased(OutboxMessage), aliased(OutboxMessage), ConsentRecord
    last_touch = and_(
        record.outbox_message_id.is_(None),
        record.source.in_((UNSUBSCRIBE_SOURCE, PREFERENCES_SOURCE)),
        record.recorded_dt >= sent.sent_dt,
        ~exists().where(later.member_id == sent.member_id, later.bulk.is_(True),
                        later.status == "sent", later.sent_dt > sent.sent_dt,
                        later.sent_dt <= record.recorded_dt))
    return (select(CampaignRecipient.member_id)
            .join(sent, sent.id == CampaignRecipient.outbox_message_id)
            .join(record, and_(record.member_id == CampaignRecipient.member_id,
                               record.kind == "newsletter", record.granted.is_(False),
                               or_(record.outbox_message_id == sent.id, last_touch)))
            .where(CampaignRecipient.campaign_id == campaign.id, sent.sent_dt.is_not(None))
            .distinct().subquery())


def _counts(unsubscribed) -> list:
    r = CampaignRecipient

    def n(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    # In the order of Figures' fields.
    return [func.count(r.id), n(r.channel == "email"), n(r.status == "sent"),
            n(r.status == "deferred"), n(r.status == "bounced"), n(r.status == "failed"),
            n(r.status == "suppressed"), func.count(unsubscribed.c.member_id),
            n(r.channel == "letter")]


def _base(campaign: Campaign, user, unsubscribed, *columns) -> Select:
    query = (select(*columns, *_counts(unsubscribed)).select_from(CampaignRecipient)
             .outerjoin(unsubscribed,
                        unsubscribed.c.member_id == CampaignRecipient.member_id)
             .where(CampaignRecipient.campaign_id == campaign.id))
    return scoping.only_seen(query, CampaignRecipient.member_id, user, anonymised=True) \
        if user is not None else query


def _figures(row, skip: int) -> Figures:
    return Figures(*(int(v or 0) for v in tuple(row)[skip:]))


def statistics(campaign: Campaign, user=None) -> Statistics:
    """The campaign's figures as `user` may see them (None: the operator, everyone).

    By entity: one line per entity of the user (a member of two entities counts in
    both); by residence: one line per residence, members without one last.
    """
    unsubscribed = _unsubscribed(campaign)
    total = _figures(db.session.execute(_base(campaign, user, unsubscribed)).one(), 0)
    entities = (_base(campaign, user, unsubscribed, Entity.code, Entity.name)
                .join(MemberEntity, MemberEntity.member_id == CampaignRecipient.member_id)
                .join(Entity, Entity.id == MemberEntity.entity_id)
                .group_by(Entity.id, Entity.code, Entity.name).order_by(Entity.code))
    if user is not None and not user.sees_all_entities:
        entities = entities.where(Entity.id.in_(user.entity_ids))
    by_entity = [Line(f"{row.code} · {row.name}", _figures(row, 2))
                 for row in db.session.execute(entities)]
    owner = aliased(Entity)
    residences = (_base(campaign, user, unsubscribed, Residence.name, owner.code)
                  .join(Member, Member.id == CampaignRecipient.member_id)
                  .outerjoin(Residence, Residence.id == Member.residence_id)
                  .outerjoin(owner, owner.id == Residence.entity_id)
                  .group_by(Residence.id, Residence.name, owner.code))
    rows = sorted(db.session.execute(residences),
                  key=lambda row: (row.name is None, row.name or "", row.code or ""))
    by_residence = [Line(f"{row.name} ({row.code})" if row.name else NO_RESIDENCE,
                         _figures(row, 2)) for row in rows]
    return Statistics(total, by_entity, by_residence, clicks.per_link(campaign))
