"""The issue's first end-to-end case in one piece: a campaign to a segment of 300, 20 without
email -> 280 emails through the SMTP sink and the 20 letters in one PDF (the scheduler's task)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from coopcrm import clock
from coopcrm.campaigns import jobs, services
from coopcrm.extensions import db
from coopcrm.letters import tasks
from coopcrm.sending.flush import flush
from tests import factories
from tests.letters._pdf import texts

LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)


def test_300_members_20_without_email_give_280_emails_and_one_pdf_of_20_letters(smtp_server):
    author = factories.user(role="admin")
    for i in range(280):
        factories.member(newsletter_consent=True, email=f"m{i}@exemple.test", commit=False)
    for i in range(20):
        factories.member(newsletter_consent=True, email=None, postal_code=f"69{99 - i:03d}",
                         city="Lyon", last_name=f"Papier{i:02d}", commit=False)
    db.session.commit()
    campaign = factories.campaign(author, factories.segment(user=author))
    services.launch(campaign, LAUNCH)
    db.session.commit()
    at = LAUNCH + timedelta(minutes=1)
    while campaign.state == "sending" and at < LAUNCH + timedelta(minutes=10):
        jobs.run_due(at)
        flush(now=at)
        db.session.commit()
        db.session.refresh(campaign)
        at += timedelta(minutes=1)
    assert campaign.state == "finished"
    assert services.counts(campaign) == {"sent": 280, "letter": 20}
    received = [r for m in smtp_server.messages for r in m.rcpt_tos]
    assert len(received) == len(set(received)) == 280
    task = tasks.queue("campaign", campaign.id, "letters", author, entity_id=None,
                       filename=f"courriers-campagne-{campaign.id}.pdf")
    db.session.commit()
    tasks.run_queued(at)
    db.session.refresh(task)
    pages = texts(tasks.stored(task) or b"")
    assert len(pages) == 20
    postcodes = [f"69{99 - i:03d}" for i in range(20)]
    assert [next(p for p in postcodes if f"{p} LYON" in page) for page in pages] == \
        sorted(postcodes)
