"""The newsletter cycle's periodic job."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


@register("cycle.due", every=timedelta(minutes=5),
          description_fr="Lettres d'information : envoie chaque numéro à qui doit le recevoir, "
                         "en retard si besoin, et note les envois manqués.")
def cycle_due(now: datetime) -> str:
    """Send what is due as of `now`; close the editions whose window has ended."""
    from coopcrm.cycle.due import run

    return run(now)
