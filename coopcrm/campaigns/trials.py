"""Campaigns: "envoyer à un segment de test", beside "m'envoyer un test" (lifecycle.send_test).

Each member of a small saved segment (TEST_SEGMENT_MAX at most, scoped like any
audience) gets the campaign as a member would: their own placeholders and their
own real personal links (the flusher builds them for a message to a member),
the subject marked TEST_PREFIX. Nothing is frozen and nothing enters the ledger:
the messages carry their own document and keys of their own (`test_key`), so
the campaign's counts and statistics never see them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from coopcrm.campaigns.feeding import TEMPLATE
from coopcrm.campaigns.lifecycle import send_context
from coopcrm.campaigns.models import Campaign
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.segments import services as segments

TEST_SEGMENT_MAX = 25  # members a test segment may hold
TEST_PREFIX = "[TEST] "


@dataclass(frozen=True)
class TrialSent:
    """How a test send went: emails queued, members whose address cannot take one."""

    queued: int
    skipped: int


def test_key(campaign: Campaign, member_id: int) -> str:
    """The outbox key of one test message (fresh each time: a test may be sent again)."""
    return f"campaign-test:{campaign.id}:member:{member_id}:{uuid.uuid4()}"


def send_to_segment(campaign: Campaign, segment_id: int | None, user) -> TrialSent:
    """The campaign, marked as a test, to each member of a test segment the user may see."""
    from coopcrm.blocks import document
    from coopcrm.sending.services import enqueue

    segment = segments.find_visible(user, segment_id)
    if segment is None:
        raise ValidationFailed({"test_segment_id": "Choisissez un segment de test."})
    if document.is_empty(campaign.body):
        raise ValidationFailed({"body": "Le message est vide."})
    n = segments.count(segment, user)
    if n > TEST_SEGMENT_MAX:
        raise ValidationFailed({"test_segment_id": (
            f"Le segment « {segment.name} » compte {n} membres : un segment de test en "
            f"compte {TEST_SEGMENT_MAX} au plus.")})
    context = send_context(campaign)
    context["campaign_subject"] = TEST_PREFIX + (campaign.subject or campaign.name)
    context["campaign_test"] = True  # statistics leave it out (no ledger row either)
    members = db.session.scalars(select(Member).where(
        Member.id.in_(segments.member_ids(segment, user))).order_by(Member.id)).all()
    queued = skipped = 0
    for member in members:
        msg = enqueue(TEMPLATE, member, dict(context), test_key(campaign, member.id),
                      bulk=True, user=user)
        if msg is not None and msg.status == "queued":
            queued += 1
        else:
            skipped += 1
    return TrialSent(queued, skipped)


def page_context(campaign: Campaign, user) -> dict:
    """What the campaign's page shows of the tools beside it: the test-segment picker, the
    user's letters PDF tasks, the kit's milestone."""
    from coopcrm.campaigns.forms import TestSegmentForm
    from coopcrm.campaigns.kit import milestone_of
    from coopcrm.forms import choices
    from coopcrm.letters import tasks as paper_tasks

    form = TestSegmentForm()
    form.test_segment_id.choices = choices(
        (s.id, s.name) for s in segments.visible_segments(user))
    return {"test_segment_form": form, "test_segment_max": TEST_SEGMENT_MAX,
            "letter_tasks": paper_tasks.latest("campaign", campaign.id, user),
            "milestone": milestone_of(campaign)}
