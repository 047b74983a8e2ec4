"""Helpers of the campaign tests: a campaign's letters PDF, through its background task."""

from __future__ import annotations

from coopcrm import clock
from coopcrm.letters import tasks
from tests.helpers import post


def prepared(client, campaign_id: int, kind: str = "courriers", now=None):
    """Ask the campaign page for its PDF (`courriers` or `etiquettes`), run the scheduler's
    task as the job would, and download it: the download's response."""
    queued = post(client, f"/campagnes/{campaign_id}/courriers/preparer/{kind}",
                  token_from=f"/campagnes/{campaign_id}")
    assert queued.status_code == 303, queued.status_code
    page = queued.headers["Location"]
    tasks.run_queued(now or clock.now())
    shown = client.get(page)
    assert shown.status_code == 200 and "Télécharger le PDF" in shown.get_data(as_text=True)
    return client.get(page + "/fichier")
