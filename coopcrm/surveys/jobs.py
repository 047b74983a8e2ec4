"""The surveys domain's periodic job: reminders to members who have not answered."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


@register("surveys.reminders", every=timedelta(hours=1),
          description_fr="Relance les coopérateurs qui n'ont pas encore répondu à un sondage.")
def reminders(now: datetime) -> str:
    """Queue the reminders due as of `now` (the runner commits)."""
    from coopcrm.surveys.services import send_reminders

    count = send_reminders(now)
    return f"{count} relance(s) mise(s) en file d'envoi"
