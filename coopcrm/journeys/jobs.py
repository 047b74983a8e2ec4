"""The journeys domain's periodic job: act on the follow-ups that fell due."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


@register("journeys.followups", every=timedelta(minutes=10),
          description_fr="Relances des moments clés : emails, sondages et moments à planifier "
                         "arrivés à échéance.")
def followups(now: datetime) -> str:
    """Act on pending follow-ups due as of `now`; a short French summary."""
    from coopcrm.journeys.followups.actions import run_due

    counts = run_due(now)
    return (f"{counts['done']} relance(s) faite(s), {counts['skipped']} non faite(s), "
            f"{counts['cancelled']} annulée(s)")
