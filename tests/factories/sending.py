"""Outbox messages, queued as the app queues them (rendered, suppression rules applied)."""

from __future__ import annotations

import uuid

from coopcrm.sending import services
from coopcrm.sending.models import OutboxMessage
from tests.factories._base import finished

# What the two templates the tests queue most need in their context.
WELCOME = {"booklet_url": "https://coop.example/l.pdf"}
SURVEY = {"survey_title": "Sondage état des lieux", "intro": "Trois questions.",
          "survey_url": "https://coop.example/s/abc", "deadline": "2027-03-31"}
CONTEXTS = {"welcome": WELCOME, "survey_invitation": SURVEY}


def outbox_message(member, template="welcome", context: dict | None = None,
                   key: str | None = None, commit=True, **kw) -> OutboxMessage | None:
    """One message to `member` (None when `key` was used already); a fresh key unless given."""
    msg = services.enqueue(template, member, CONTEXTS.get(template, {}) if context is None
                           else context, key or f"test:{template}:{uuid.uuid4()}", **kw)
    return finished(msg, commit)
