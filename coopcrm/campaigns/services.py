"""Campaigns: the one place callers import the campaign services from.

The logic lives in three modules, each under the house limit of 500 lines:
`audience` (who the campaign reaches, the breakdown of who it leaves out and
why, the ledger read back), `lifecycle` (writing a campaign, its states from
draft to finished, the scheduler's job) and `feeding` (handing the ledger to the
outbox within window, cap and high-water, and following the outbox). Routes,
the CLI, the job and the tests import this module, so the split moves no call site.
"""

from __future__ import annotations

from coopcrm.campaigns.audience import (
    DUPLICATE,
    EMAIL_BLOCKED,
    LEFT_OUT,
    RULES,
    Breakdown,
    Rule,
    breakdown,
    candidate_ids,
    classified,
    ledger,
    letter_recipients,
    members_for_reason,
    visible_campaigns,
)
from coopcrm.campaigns.feeding import (
    FEED_BATCH,
    OUTBOX_HIGH_WATER,
    TEMPLATE,
    UNDO_DELAY,
    WITHDRAWN,
    counts,
    failures,
    feed,
    idempotency_key,
    state_text,
    sync,
    take_back,
    window_open,
)
from coopcrm.campaigns.lifecycle import (
    CANCELLED,
    EDITABLE,
    cancel,
    create,
    duplicate,
    freeze,
    launch,
    pause,
    preview,
    resume,
    retry_failures,
    run_due,
    schedule,
    send_context,
    send_test,
    senders,
    undo_launch,
    undo_seconds_left,
    unschedule,
    update_campaign,
)

__all__ = [
    "CANCELLED", "DUPLICATE", "EDITABLE", "EMAIL_BLOCKED", "FEED_BATCH", "LEFT_OUT",
    "OUTBOX_HIGH_WATER", "RULES", "TEMPLATE", "UNDO_DELAY", "WITHDRAWN", "Breakdown", "Rule",
    "breakdown", "cancel", "candidate_ids", "classified", "counts", "create", "duplicate",
    "failures", "feed", "freeze", "idempotency_key", "launch", "ledger", "letter_recipients",
    "members_for_reason", "pause", "preview", "resume", "retry_failures", "run_due",
    "schedule", "send_context", "send_test", "senders", "state_text", "sync", "take_back",
    "undo_launch", "undo_seconds_left", "unschedule", "update_campaign", "visible_campaigns",
    "window_open",
]
