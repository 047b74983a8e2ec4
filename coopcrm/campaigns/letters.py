"""A campaign's paper side: the letters of its recipients with status 'letter'.

The letters are the campaign's block document compiled to HTML
(blocks.compiling.web_html) with each member's placeholders filled, laid out by
coopcrm.letters (merged PDF, labels, the printing house's file). Who is in them
is scoped like the ledger: a referent prints the letters of the members they see.

Producing a file writes nothing: a download is a GET, a referent downloads to
check the layout as often as they like, and a PDF downloaded is not a letter
posted. "Marquer comme envoyés" (a POST behind a confirmation) is the moment
the letters leave: each letter recipient not yet marked gets `letter_dt` and
one "courrier" moment on their timeline. The rows are claimed by one UPDATE …
WHERE letter_dt IS NULL RETURNING, so a second click, a rerun or two referents
at once never write a moment twice.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import func, select, update

from coopcrm import clock
from coopcrm.campaigns import kit
from coopcrm.campaigns.audience import letter_recipients
from coopcrm.campaigns.models import Campaign, CampaignRecipient
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.letters import services as paper
from coopcrm.letters import tasks as paper_tasks
from coopcrm.members import scoping
from coopcrm.members.models import Member

MOMENT_CODE = "courrier"
MOMENT_LABEL = "Courrier"


def body_html(campaign: Campaign, member) -> Markup:
    """The campaign's document for `member`: its placeholders filled (escaped), its object."""
    from coopcrm.blocks import compiling, placeholders
    from coopcrm.sending.services import member_context

    context = member_context(member)
    values = {p.name: str(context.get(p.expression.split(".", 1)[1], ""))
              for p in placeholders.MEMBER}
    html = compiling.web_html(campaign.body, base_url=current_app.config["BASE_URL"],
                              values=values)
    subject = f"<p class=\"subject\"><strong>Objet : {escape(campaign.subject)}</strong></p>" \
        if campaign.subject else ""
    return Markup(subject + html)  # web_html escapes every value and sanitised rich text


def letters(campaign: Campaign, user) -> list[paper.Letter]:
    """The letters of the campaign `user` may print, in postal order."""
    found = [paper.letter_for(m, body_html(campaign, m))
             for m in letter_recipients(campaign, user)]
    return sorted(found, key=paper.sort_key)


def _task_letters(campaign_id: int, user, now: datetime) -> tuple[str, list] | None:
    """A letters task's letters (coopcrm.letters.tasks): the campaign's that `user` may see."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not scoping.is_visible(user, campaign):
        return None
    return campaign.name, letters(campaign, user)


def _page(campaign_id: int) -> str:
    from flask import url_for

    return url_for("campaigns.show", campaign_id=campaign_id)


# The merged PDF and the label sheets are laid out by the scheduler (a thousand letters
# take minutes): the campaign page queues a task, these are its letters.
paper_tasks.register_source("campaign", _task_letters, _page)


def printer_lines(campaign: Campaign, user) -> list:
    """The printing house's file, header first (views.download writes it)."""
    return paper.printer_lines(letters(campaign, user))


def pending(campaign: Campaign, user) -> int:
    """Letters the user may see not yet marked as posted."""
    query = select(func.count()).select_from(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.channel == "letter",
        CampaignRecipient.letter_dt.is_(None))
    return db.session.scalar(scoping.only_seen(query, CampaignRecipient.member_id, user)) or 0


def moment_type():
    """The timeline's "Courrier" moment type, created if missing (idempotent)."""
    from coopcrm.journeys.models import MomentType

    found = db.session.scalar(select(MomentType).where(MomentType.code == MOMENT_CODE))
    if found is None:
        found = MomentType(code=MOMENT_CODE, label=MOMENT_LABEL, track="both", position=860,
                           repeatable=True, active=True)
        db.session.add(found)
        db.session.flush()
    return found


def mark_posted(campaign: Campaign, user, now: datetime) -> int:
    """Mark the user's letters of the campaign as posted and put one "courrier" moment on
    each of those members' timelines, once; how many were marked now."""
    from coopcrm.journeys import services as journeys

    if campaign.state in ("draft", "scheduled"):
        raise ValidationFailed({"state": "Les courriers existent une fois l'envoi lancé."})
    mine = scoping.only_seen(
        select(CampaignRecipient.id).where(CampaignRecipient.campaign_id == campaign.id,
                                           CampaignRecipient.channel == "letter"),
        CampaignRecipient.member_id, user)
    claimed = db.session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.id.in_(mine), CampaignRecipient.letter_dt.is_(None))
        .values(letter_dt=now)
        .returning(CampaignRecipient.id, CampaignRecipient.member_id)
        .execution_options(synchronize_session=False)).all()
    if not claimed:
        return 0
    # A campaign of the "information d'avancement" kit writes its own moment instead.
    milestone = kit.milestone_of(campaign)
    kind = kit.moment_type() if milestone is not None else moment_type()
    day = clock.day_of(now)
    note = f"{milestone.label} — campagne « {campaign.name} »" if milestone is not None \
        else f"Campagne « {campaign.name} »"
    members = {m.id: m for m in db.session.scalars(
        select(Member).where(Member.id.in_([row.member_id for row in claimed])))}
    links = []
    for row in claimed:
        try:
            moment = journeys.record(members[row.member_id], kind, status="done", occurs_on=day,
                                     channel="courrier", notes=note, user=user, now=now)
        except ValidationFailed:
            continue  # an anonymised member: the letter is marked, nothing to note
        db.session.flush()
        links.append((row.id, moment.id))
    for row_id, moment_id in links:
        db.session.execute(update(CampaignRecipient).where(CampaignRecipient.id == row_id)
                           .values(moment_id=moment_id)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    return len(claimed)
