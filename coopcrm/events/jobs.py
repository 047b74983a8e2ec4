"""The events domain's periodic job: each event's timeline steps, once each."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


@register("events.timeline", every=timedelta(minutes=15),
          description_fr="Événements et AG : à vos agendas, convocations, invitations, "
                         "rappels et remerciements, à leur date.")
def run_timeline(now: datetime) -> str:
    """Run every due step of every event still in its window as of `now`."""
    from coopcrm.events import timeline
    from coopcrm.privacy.audit import acting_as

    ran = 0
    with acting_as(actor="planificateur"):
        for event in timeline.due_events(now):
            ran += len(timeline.run(event, now))
    return f"{ran} étape(s) réalisée(s)"
