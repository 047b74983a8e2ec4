"""Tiny factories, one module per domain: the fewest fields a valid object needs, everything
overridable, saved (committed unless `commit=False`) as the app would save it.

Every factory is also here, so `from tests import factories; factories.member()` reads
the same whatever the domain. Where a service exists (moments, events, surveys, the
outbox, consents, shares) the factory goes through it: its checks apply.
"""

from tests.factories._base import today
from tests.factories.campaigns import campaign
from tests.factories.consents import consent, consent_scan
from tests.factories.cycle import coop, edition, issue, issues, receipt
from tests.factories.events import attendance, event, event_invitation, proxy, resolution, rsvp
from tests.factories.inbox import inbound_message
from tests.factories.journeys import followup_due, followup_rules, moment, moment_types
from tests.factories.letters import letter_task
from tests.factories.members import (
    college,
    coop_member,
    entity,
    import_task,
    member,
    member_entity,
    residence,
    share,
)
from tests.factories.segments import segment
from tests.factories.sending import outbox_message
from tests.factories.surveys import survey, survey_invitation, survey_response
from tests.factories.users import user

__all__ = [
    "attendance", "campaign", "college", "consent", "consent_scan", "coop", "coop_member",
    "edition", "entity", "event", "import_task", "letter_task",
    "event_invitation", "followup_due", "followup_rules", "inbound_message", "issue", "issues",
    "member",
    "member_entity", "moment", "moment_types", "outbox_message", "proxy", "receipt",
    "residence", "resolution", "rsvp", "segment", "share", "survey", "survey_invitation",
    "survey_response",
    "today", "user",
]
