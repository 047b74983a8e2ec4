"""A letters PDF laid out by the scheduler: queued by the page, its progress polled, stored,
downloaded whole by its author only, and deleted once expired."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.campaigns import services
from coopcrm.extensions import db
from coopcrm.letters import tasks
from coopcrm.letters.models import LetterTask
from tests import factories
from tests.helpers import login, post
from tests.letters._pdf import texts

LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)


def _campaign_with_letters(author, n: int):
    for i in range(n):
        factories.member(newsletter_consent=True, email=None, postal_code=f"690{i:02d}",
                         city="Lyon", address=f"{i} rue du Port", commit=False)
    db.session.commit()
    campaign = factories.campaign(author, factories.segment(user=author))
    services.launch(campaign, LAUNCH)
    db.session.commit()
    return campaign


def test_the_page_queues_the_pdf_and_follows_its_progress_to_the_download(client, admin,
                                                                           monkeypatch):
    monkeypatch.setattr("coopcrm.letters.services.LETTERS_CHUNK", 2)
    campaign = _campaign_with_letters(admin, 5)
    login(client, admin)
    queued = post(client, f"/campagnes/{campaign.id}/courriers/preparer/courriers",
                  token_from=f"/campagnes/{campaign.id}")
    assert queued.status_code == 303
    page = queued.headers["Location"]
    again = post(client, f"/campagnes/{campaign.id}/courriers/preparer/courriers",
                 token_from=f"/campagnes/{campaign.id}")
    assert again.headers["Location"] == page  # the one waiting, not a second task
    waiting = client.get(page).get_data(as_text=True)
    assert "data-task-state" in waiting and "<script>" not in waiting
    state = client.get(page + "/etat").get_json()
    assert state["status"] == "queued" and not state["finished"]
    assert client.get(page + "/fichier").headers["Location"] == page  # not ready
    seen = []
    real = tasks._progress

    def watching(task_id, now):
        report = real(task_id, now)

        def progress(done, total):
            report(done, total)
            db.session.expire_all()  # the page is another process: it reads afresh
            seen.append(client.get(page + "/etat").get_json()["value"])
        return progress
    monkeypatch.setattr(tasks, "_progress", watching)
    assert tasks.run_queued(LAUNCH).startswith("1 document(s)")
    assert seen == [2, 4, 5]  # the bar moves with each chunk of letters
    state = client.get(page + "/etat").get_json()
    assert state["finished"] and "5 courrier(s)" in state["result"]
    response = client.get(page + "/fichier")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert len(texts(response.data)) == 5
    shown = client.get(f"/campagnes/{campaign.id}").get_data(as_text=True)
    assert "PDF des courriers : prêt" in shown


def test_only_its_author_gets_it_and_it_expires(client, admin):
    campaign = _campaign_with_letters(admin, 1)
    task = tasks.queue("campaign", campaign.id, "labels", admin, entity_id=None,
                       filename="etiquettes-campagne-1.pdf")
    db.session.commit()
    tasks.run_queued(LAUNCH)
    db.session.refresh(task)
    stored = tasks.path(task.token)
    assert task.status == "done" and stored.exists()
    other = factories.user(role="admin", email="autre@coop.example")
    login(client, other)
    for suffix in ("", "/etat", "/fichier"):
        assert client.get(f"/courriers/documents/{task.id}{suffix}").status_code == 404
    tasks.run_queued(LAUNCH + tasks.EXPIRES_AFTER - timedelta(seconds=1))
    assert stored.exists()
    tasks.run_queued(LAUNCH + tasks.EXPIRES_AFTER)
    db.session.refresh(task)
    assert task.status == "expired" and not stored.exists() and tasks.stored(task) is None
    assert "Document expiré" in tasks.state(task)["result"]


def test_a_task_whose_campaign_is_gone_fails_in_french(admin):
    campaign = _campaign_with_letters(admin, 1)
    task = tasks.queue("campaign", campaign.id, "letters", admin, entity_id=None,
                       filename="courriers-campagne-1.pdf")
    db.session.delete(campaign)
    db.session.commit()
    assert "1 en échec" in tasks.run_queued(LAUNCH)
    task = db.session.scalars(select(LetterTask)).one()
    assert task.status == "failed" and "plus accessibles" in task.error_fr
