"""The "information d'avancement" kit: a campaign to a programme's home-buyers, per milestone.

For a residence (programme) of the referent's entities, a milestone of
models.MILESTONES prefills a draft campaign: its name, subject and block body
in French naming the milestone, its audience the programme's reservation holders
(a saved segment: accession track, that residence, a reservation contract signed),
email where possible and a letter otherwise. The campaign remembers its
milestone (CampaignMilestone): when a recipient's email is sent (`note_sent`, from
the campaigns job) or their letter posted (letters.mark_posted), the repeatable
"information d'avancement" moment goes on their timeline, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update

from coopcrm import clock
from coopcrm.campaigns import lifecycle
from coopcrm.campaigns.models import MILESTONES, Campaign, CampaignMilestone, CampaignRecipient
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members import scoping
from coopcrm.members.models import TRACKS, Member, Residence
from coopcrm.members.query import MemberFilter
from coopcrm.models import text_limit
from coopcrm.segments import services as segments
from coopcrm.segments.models import Segment

MOMENT_CODE = "information_avancement"  # seeds/moment_types.json
MOMENT_LABEL = "Information d'avancement du chantier"
# What each milestone tells the home-buyers (the body's second paragraph).
NEWS = {
    "demarrage": "Les travaux de votre future résidence ont démarré : le chantier est "
                 "installé et les premiers terrassements ont commencé.",
    "fondations": "Les fondations de votre future résidence sont réalisées : le gros œuvre "
                  "peut maintenant s'élever.",
    "hors_d_eau": "Votre future résidence est hors d'eau : la toiture et l'étanchéité sont "
                  "posées, le bâtiment est protégé de la pluie.",
    "hors_d_air": "Votre future résidence est hors d'air : les menuiseries extérieures sont "
                  "posées, les travaux intérieurs commencent.",
    "achevement": "Les travaux de votre future résidence sont achevés : les dernières "
                  "vérifications précèdent la livraison.",
    "livraison": "Votre logement est prêt à vous être remis : nous vous contacterons pour "
                 "fixer le rendez-vous de livraison et la remise des clés.",
    "levee_reserves": "Les réserves notées à la livraison ont été levées : les entreprises ont "
                      "repris les points signalés.",
}


@dataclass(frozen=True)
class Programme:
    """A residence the kit offers, with how many reservation holders it has."""

    residence: Residence
    holders: int


def holders_filter(residence: Residence) -> MemberFilter:
    """The programme's reservation holders: accession, of the residence, contract signed."""
    return MemberFilter(track="accession", residence=residence.id, reserved="oui")


def visible_residences(user) -> list[Residence]:
    """The residences of the user's entities (all for a group-wide user), by name."""
    query = select(Residence).order_by(Residence.name, Residence.id)
    if not user.sees_all_entities:
        query = query.where(Residence.entity_id.in_(user.entity_ids))
    return list(db.session.scalars(query))


def get_residence(user, residence_id: int | None) -> Residence | None:
    """The residence if the user's entities hold it, else None (a 404 for the page)."""
    found = db.session.get(Residence, residence_id) if residence_id is not None else None
    if found is None or not (user.sees_all_entities or found.entity_id in user.entity_ids):
        return None
    return found


def programmes(user) -> list[Programme]:
    """The residences the kit offers the user, those with reservation holders first, the
    next deliveries first."""
    found = visible_residences(user)
    counts = dict(db.session.execute(
        scoping.scope(select(Member.residence_id, func.count()), user)
        .where(Member.residence_id.in_([r.id for r in found]), Member.track == "accession",
               Member.reservation_signed_on.is_not(None))
        .group_by(Member.residence_id)).all()) if found else {}
    out = [Programme(r, counts.get(r.id, 0)) for r in found]
    return sorted(out, key=lambda p: (p.holders == 0, p.residence.delivery_date is None,
                                      p.residence.delivery_date or clock.today(),
                                      p.residence.name))


def holders_count(residence: Residence, user) -> int:
    """How many reservation holders of the programme the user may see."""
    ids = scoping.scope(select(Member.id), user).where(*holders_filter(residence).conditions())
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def segment_for(residence: Residence, user) -> Segment:
    """The saved segment of the programme's reservation holders, owned by the residence's
    entity: the one already saved with that filter, or a new one."""
    wanted = holders_filter(residence).to_dict()
    for seg in db.session.scalars(select(Segment).where(Segment.entity_id == residence.entity_id)
                                  .order_by(Segment.id)):
        if (seg.filters or {}) == wanted:
            return seg
    base = f"Réservataires — {residence.name}"[:text_limit(Segment, "name") - 6]
    name, n = base, 1
    while db.session.scalar(select(Segment.id).where(
            func.lower(Segment.name) == name.lower()).limit(1)) is not None:
        n += 1
        name = f"{base} ({n})"
    return segments.create(name, holders_filter(residence), user, residence.entity_id)


def body(milestone: str) -> dict:
    """The block document announcing `milestone` (the email's template greets the member;
    the residence is a placeholder)."""
    label = MILESTONES[milestone]
    return {"version": 1, "blocks": [
        {"type": "heading", "level": 2,
         "text": f'{label} — <span data-placeholder="residence"></span>'},
        {"type": "paragraph",
         "html": f"<p>{NEWS[milestone]}</p>"
                 "<p>Nous vous tiendrons informé(e) des prochaines étapes du chantier. "
                 "N'hésitez pas à nous contacter pour toute question.</p>"},
        {"type": "divider"},
    ]}


def prefill(residence: Residence, milestone: str, user) -> Campaign:
    """A draft campaign announcing `milestone` to the programme's reservation holders."""
    if milestone not in MILESTONES:
        raise ValidationFailed({"milestone": "Choisissez une étape du chantier."})
    if get_residence(user, residence.id) is None:
        raise ValidationFailed({"residence_id": "Résidence introuvable."})
    label = MILESTONES[milestone]
    segment = segment_for(residence, user)
    name_limit = text_limit(Campaign, "name")
    campaign = lifecycle.create({
        "name": f"Avancement {residence.name} — {label}"[:name_limit],
        "subject": f"{residence.name} : {label.lower()}"[:text_limit(Campaign, "subject")],
        "preheader": f"Information d'avancement du chantier : {label.lower()}"[
            :text_limit(Campaign, "preheader")],
        "body": body(milestone), "segment_id": segment.id, "residence_id": residence.id,
        "channel_rule": "email_else_letter",
    }, user, residence.entity_id)
    db.session.add(CampaignMilestone(campaign_id=campaign.id, residence_id=residence.id,
                                     milestone=milestone))
    db.session.flush()
    return campaign


def milestone_of(campaign: Campaign) -> CampaignMilestone | None:
    """The kit's record of the campaign, if the kit prepared it."""
    return db.session.get(CampaignMilestone, campaign.id)


def moment_type():
    """The timeline's repeatable "Information d'avancement" moment type (seeded; created if
    missing, made repeatable if it was not)."""
    from coopcrm.journeys.models import MomentType

    found = db.session.scalar(select(MomentType).where(MomentType.code == MOMENT_CODE))
    if found is None:
        found = MomentType(code=MOMENT_CODE, label=MOMENT_LABEL, track="accession",
                           position=70, repeatable=True, active=True)
        db.session.add(found)
        db.session.flush()
    elif not found.repeatable:
        found.repeatable = True
    return found


def record(campaign: Campaign, member: Member, channel: str, user, now: datetime):
    """One "information d'avancement" moment on `member`'s timeline for the campaign; None
    when it cannot go there (an anonymised member, another track)."""
    from coopcrm.journeys import services as journeys

    kit = milestone_of(campaign)
    note = f"{kit.label if kit else 'Avancement'} — campagne « {campaign.name} »"
    try:
        return journeys.record(member, moment_type(), status="done",
                               occurs_on=clock.day_of(now), channel=channel, notes=note,
                               user=user, now=now)
    except ValidationFailed:
        return None


def _unnoted(kind) -> Select:
    """(ledger row id, member) of kit campaigns' sent emails without their moment yet, of
    members whose timeline can take it."""
    tracks = list(TRACKS) if kind.track == "both" else [kind.track]
    return (select(CampaignRecipient.id, CampaignRecipient.campaign_id, Member)
            .join(Member, Member.id == CampaignRecipient.member_id)
            .join(CampaignMilestone,
                  CampaignMilestone.campaign_id == CampaignRecipient.campaign_id)
            .where(CampaignRecipient.channel == "email", CampaignRecipient.status == "sent",
                   CampaignRecipient.moment_id.is_(None), Member.anonymised_dt.is_(None),
                   Member.track.in_(tracks))
            .order_by(CampaignRecipient.id))


def note_sent(now: datetime) -> int:
    """The moment of each kit campaign recipient whose email was sent since the last call
    (ledger rows 'sent' without a moment); how many. Called by the campaigns job after it
    followed the outbox; the job runs alone (the scheduler's lock): a row gets one moment."""
    if db.session.scalar(select(CampaignMilestone.campaign_id).limit(1)) is None:
        return 0  # the kit was never used: nothing to note, no moment type to create
    kind = moment_type()
    rows = db.session.execute(_unnoted(kind)).all()
    campaigns = {c.id: c for c in db.session.scalars(
        select(Campaign).where(Campaign.id.in_({r.campaign_id for r in rows})))} if rows else {}
    noted = 0
    for row_id, campaign_id, member in rows:
        moment = record(campaigns[campaign_id], member, "email", None, now)
        if moment is None:
            continue
        db.session.flush()
        db.session.execute(update(CampaignRecipient).where(CampaignRecipient.id == row_id)
                           .values(moment_id=moment.id)
                           .execution_options(synchronize_session=False))
        noted += 1
    return noted
