"""Campaigns end to end: the ledger, the job feeding the outbox, the SMTP sink."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.campaigns import feeding, services
from coopcrm.campaigns.models import CampaignRecipient
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage
from tests import factories

# A Tuesday, 10:00 in Paris.
LAUNCH = datetime(2027, 3, 16, 10, 0, tzinfo=clock.PARIS)
pytestmark = pytest.mark.clock(LAUNCH)


def _members(n_email: int, n_without: int = 0) -> list[Member]:
    out = [factories.member(newsletter_consent=True, commit=False,
                            email=f"m{i}@exemple.test") for i in range(n_email)]
    out += [factories.member(newsletter_consent=True, email=None, commit=False,
                             postal_code=f"750{i % 20:02d}") for i in range(n_without)]
    db.session.commit()
    return out


@pytest.fixture
def author():
    return factories.user(role="admin")


def _launched(author, **kw):
    seg = factories.segment(user=author)
    campaign = factories.campaign(author, seg, **kw)
    services.launch(campaign, LAUNCH)
    db.session.commit()
    return campaign


def _run(now, *, limit=None):
    """The job, then the outbox flush, as the scheduler would at `now`."""
    services.run_due(now)
    return flush(now=now, limit=limit)


def _drain(campaign, start, rounds=20):
    at = start
    for _ in range(rounds):
        _run(at)
        db.session.refresh(campaign)
        if campaign.state != "sending":
            return at
        at += timedelta(minutes=1)
    return at


def _received_counts(smtp_server) -> dict[str, int]:
    out: dict[str, int] = {}
    for msg in smtp_server.messages:
        for rcpt in msg.rcpt_tos:
            out[rcpt] = out.get(rcpt, 0) + 1
    return out


def test_300_members_20_without_email_give_280_emails_and_20_letters(author, smtp_server):
    _members(280, 20)
    campaign = _launched(author)
    counts = services.counts(campaign)
    assert counts == {"queued": 280, "letter": 20}
    # Nothing leaves during the 60 seconds one may still "annuler l'envoi".
    _run(LAUNCH + timedelta(seconds=59))
    assert smtp_server.messages == []
    _drain(campaign, LAUNCH + timedelta(minutes=1))
    assert campaign.state == "finished"
    assert services.counts(campaign) == {"sent": 280, "letter": 20}
    received = _received_counts(smtp_server)
    assert len(received) == 280 and set(received.values()) == {1}
    assert "Les fondations sont coulées" in smtp_server.messages[0].email.get_body(
        ("plain",)).get_content()
    letters = services.letter_recipients(campaign)
    assert len(letters) == 20
    assert [m.postal_code for m in letters] == sorted(m.postal_code for m in letters)
    assert services.state_text(campaign) == "Terminée"


def test_breakdown_says_who_is_left_out_and_why(author):
    _members(3)
    factories.member(newsletter_consent=True, email="m0@exemple.test")  # duplicate address
    factories.member(newsletter_consent=False, email="sans@exemple.test")
    factories.member(newsletter_consent=True, email="x@exemple.test", email_status="bounced")
    factories.member(newsletter_consent=True, status="ancien", email="old@exemple.test")
    seg = factories.segment(user=author)
    campaign = factories.campaign(author, seg)
    b = services.breakdown(campaign)
    assert (b.emails, b.letters, b.left_out) == (3, 2, 2)
    assert {k: n for k, _label, n in b.lines()} == {
        "duplicate": 1, "no_consent": 1, "bounced": 1, "not_cooperateur": 1}
    [dup] = db.session.scalars(services.members_for_reason(campaign, "duplicate")).all()
    assert dup.email == "m0@exemple.test"
    campaign.channel_rule = "email_only"
    assert services.breakdown(campaign).letters == 0


def test_undo_within_60_seconds_brings_back_a_draft(author):
    _members(5)
    campaign = _launched(author)
    services.undo_launch(campaign, LAUNCH + timedelta(seconds=30))
    db.session.commit()
    assert campaign.state == "draft" and services.counts(campaign) == {}
    services.launch(campaign, LAUNCH)
    with pytest.raises(ValidationFailed, match="délai"):
        services.undo_launch(campaign, LAUNCH + timedelta(seconds=61))


def test_pause_mid_way_then_resume_sends_everyone_exactly_once(author, smtp_server, monkeypatch):
    _members(120)
    monkeypatch.setattr(feeding, "FEED_BATCH", 50)
    campaign = _launched(author)
    at = LAUNCH + timedelta(minutes=1)
    services.run_due(at)  # 50 in the outbox
    flush(now=at, limit=20)  # 20 leave
    taken = services.pause(campaign)
    db.session.commit()
    assert taken == 30
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == "queued")) == 0
    _run(at + timedelta(minutes=1))  # paused: nothing more
    assert len(smtp_server.messages) == 20
    services.resume(campaign)
    db.session.commit()
    _drain(campaign, at + timedelta(minutes=2))
    received = _received_counts(smtp_server)
    assert len(received) == 120 and set(received.values()) == {1}
    assert services.counts(campaign) == {"sent": 120}


def test_closed_window_holds_everything_until_it_opens(author, smtp_server):
    _members(10)
    # Weekdays 14:00–18:00 Paris: launched Tuesday 10:00.
    campaign = _launched(author, window_days="12345", window_start_hour=14,
                         window_end_hour=18)
    _run(LAUNCH + timedelta(hours=3, minutes=59))
    assert smtp_server.messages == []
    _drain(campaign, LAUNCH + timedelta(hours=4))
    assert len(smtp_server.messages) == 10


def test_daily_cap_spreads_the_send_over_days(author, smtp_server):
    _members(10)
    campaign = _launched(author, daily_cap=4)
    _drain(campaign, LAUNCH + timedelta(minutes=1), rounds=3)
    assert len(smtp_server.messages) == 4
    _drain(campaign, LAUNCH + timedelta(days=1), rounds=3)
    assert len(smtp_server.messages) == 8


def test_retry_touches_only_the_failed(author, smtp_server):
    _members(5)
    smtp_server.answer("m1@exemple.test", "554 5.7.1 Refusé")
    campaign = _launched(author)
    _drain(campaign, LAUNCH + timedelta(minutes=1))
    assert services.counts(campaign) == {"sent": 4, "failed": 1}
    assert services.state_text(campaign) == "Terminée avec 1 échec"
    smtp_server.messages.clear()
    assert services.retry_failures(campaign) == 1
    db.session.commit()
    _drain(campaign, LAUNCH + timedelta(minutes=10))
    assert _received_counts(smtp_server) == {"m1@exemple.test": 1}
    assert services.counts(campaign) == {"sent": 5}


def test_a_member_who_unsubscribes_during_the_campaign_gets_nothing_more(author, smtp_server,
                                                                         monkeypatch):
    members = _members(6)
    monkeypatch.setattr(feeding, "FEED_BATCH", 2)
    campaign = _launched(author)
    at = LAUNCH + timedelta(minutes=1)
    _run(at)
    assert len(smtp_server.messages) == 2
    late = members[-1]
    late.email_status, late.newsletter_consent = "unsubscribed", False
    db.session.commit()
    _drain(campaign, at + timedelta(minutes=1))
    received = _received_counts(smtp_server)
    assert late.email not in received and len(received) == 5
    row = db.session.scalars(select(CampaignRecipient).where(
        CampaignRecipient.member_id == late.id)).one()
    assert row.status == "suppressed"


def test_cancel_says_how_many_got_it_and_stops(author, smtp_server, monkeypatch):
    _members(10)
    monkeypatch.setattr(feeding, "FEED_BATCH", 3)
    campaign = _launched(author)
    _run(LAUNCH + timedelta(minutes=1))
    assert services.cancel(campaign, LAUNCH + timedelta(minutes=2)) == 3
    db.session.commit()
    _run(LAUNCH + timedelta(minutes=3))
    assert len(smtp_server.messages) == 3
    with pytest.raises(ValidationFailed, match="Impossible de reprendre"):
        services.resume(campaign)


def test_scheduled_campaign_starts_when_due_and_duplicate_is_a_draft(author, smtp_server):
    _members(3)
    seg = factories.segment(user=author)
    campaign = factories.campaign(author, seg)
    at = LAUNCH + timedelta(hours=2)
    services.schedule(campaign, at, LAUNCH)
    db.session.commit()
    _run(at - timedelta(minutes=1))
    assert campaign.state == "scheduled"
    _drain(campaign, at)
    assert campaign.state == "finished" and len(smtp_server.messages) == 3
    copy = services.duplicate(campaign, author)
    assert copy.state == "draft" and copy.name == f"Copie de {campaign.name}"


def test_test_send_and_preview_as_a_member(author, smtp_server):
    [m] = _members(1)
    seg = factories.segment(user=author)
    campaign = factories.campaign(author, seg)
    services.send_test(campaign, author, m)
    db.session.commit()
    flush(now=LAUNCH)
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == [author.email]
    assert m.first_name in mail.email.get_body(("plain",)).get_content()
    rendered = services.preview(campaign, m)
    assert m.first_name in rendered.html and "fondations" in rendered.text


class _Died(BaseException):
    """The sender process dying right after the server accepted a message (as kill -9)."""


def test_sender_dying_mid_campaign_loses_nobody_and_repeats_at_most_one(author, smtp_server):
    _members(10)
    campaign = _launched(author)
    at = LAUNCH + timedelta(minutes=1)
    services.run_due(at)
    accepted: list[int] = []

    def die_on_the_fourth(row_id: int) -> None:
        accepted.append(row_id)
        if len(accepted) == 4:
            raise _Died

    with pytest.raises(_Died):
        flush(now=at, on_accepted=die_on_the_fourth)
    db.session.rollback()
    # The next run, after the outbox's lease, takes the in-flight message back.
    _drain(campaign, at + timedelta(minutes=16))
    received = _received_counts(smtp_server)
    assert len(received) == 10
    assert sum(received.values()) <= 11
    assert services.counts(campaign) == {"sent": 10}
