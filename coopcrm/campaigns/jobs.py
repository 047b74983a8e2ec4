"""The campaigns domain's periodic job."""

from __future__ import annotations

from datetime import datetime, timedelta

from coopcrm.scheduler.registry import register


@register("campaigns.run_due", every=timedelta(minutes=1),
          description_fr="Lance les campagnes programmées et confie leurs emails à l'envoi, "
                         "dans leur plage horaire.")
def run_due(now: datetime) -> str:
    """Start the scheduled campaigns due at `now` and feed the sending ones; put the
    "information d'avancement" of the kit's campaigns on the timelines of those reached."""
    from coopcrm.campaigns import kit, services

    summary = services.run_due(now)
    noted = kit.note_sent(now)
    return f"{summary}, {noted} information(s) d'avancement notée(s)" if noted else summary
