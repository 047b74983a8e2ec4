"""Who receives which edition: time travel over two years, downtimes, consent changes."""

from datetime import date, timedelta

from sqlalchemy import func, select

from coopcrm.cycle import due, schedule
from coopcrm.cycle.models import Edition, Receipt
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.sending.models import OutboxMessage
from tests.cycle.helpers import received, tick
from tests.factories.cycle import coop
from tests.instants import paris

SEND_DAYS = {1: 15, 6: 15, 9: 15}


def send_dates(first_year, last_year):
    return [date(y, m, 15) for y in range(first_year, last_year + 1) for m in (1, 6, 9)]


def edition_code(d: date) -> str:
    return f"{d.year}-N{ {1: 1, 6: 2, 9: 3}[d.month] }"


def outbox_keys() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.idempotency_key)))


def test_two_years_of_time_travel_send_each_edition_once_from_the_signature_on(issues):
    # Installed on 1 December 2026: the cycle starts with N°1 2027.
    tick(paris(2026, 12, 1, 10))
    signatures = []
    for year in (2027, 2028):
        for month in range(1, 13):
            signatures.append(date(year, month, 1))
            signatures.append(date(year, month, 28))
        for send in (date(year, 1, 15), date(year, 6, 15), date(year, 9, 15)):
            signatures += [send - timedelta(days=1), send, send + timedelta(days=1)]
    signatures.append(date(2026, 3, 3))  # signed long before the install
    pending = sorted(signatures)
    members: dict[int, date] = {}

    # Tick twice a month and around every send time; a member is entered on signing.
    times = []
    day = date(2026, 12, 2)
    while day <= date(2028, 12, 31):
        if day.day in (1, 15, 16, 28):
            for hour, minute in ((8, 59), (9, 5), (18, 0)):
                times.append(paris(day.year, day.month, day.day, hour, minute))
        day += timedelta(days=1)
    for at in times:
        while pending and pending[0] <= at.date():
            signed = pending.pop(0)
            members[coop(signed).id] = signed
        tick(at)

    db.session.expire_all()
    for member_id, signed in members.items():
        # Entered on their signature day, so every issue from that day on reaches them.
        expected = [edition_code(d) for d in send_dates(2027, 2028) if d >= signed]
        assert received(member_id) == expected, (member_id, signed)
    # Before 09:00 on a send day nothing went; each message key once.
    keys = outbox_keys()
    assert len(keys) == len(set(keys)) == db.session.scalar(
        select(func.count()).select_from(Receipt).where(Receipt.outcome == "sent"))
    assert received_nothing_missed()


def received_nothing_missed():
    return db.session.scalar(select(func.count()).select_from(Receipt)
                             .where(Receipt.outcome == "missed")) == 0


def test_nothing_goes_out_before_the_send_time(issues):
    tick(paris(2026, 12, 1))
    coop(date(2026, 5, 1))
    tick(paris(2027, 1, 15, 8, 59))
    assert outbox_keys() == []
    tick(paris(2027, 1, 15, 9, 0))
    assert len(outbox_keys()) == 1


def test_running_twice_sends_nothing_twice(issues):
    tick(paris(2026, 12, 1))
    members = [coop(date(2026, 5, 1)) for _ in range(7)]
    tick(paris(2027, 1, 15, 9, 5))
    tick(paris(2027, 1, 15, 9, 5))
    tick(paris(2027, 1, 15, 9, 10))
    assert sorted(outbox_keys()) == sorted(f"cycle:2027:N1:member:{m.id}" for m in members)


def test_chunks_cover_everyone(issues):
    tick(paris(2026, 12, 1))
    members = [coop(date(2026, 5, 1), commit=False) for _ in range(25)]
    db.session.commit()
    edition = db.session.scalar(select(Edition).where(Edition.year == 2027)
                                .order_by(Edition.send_dt))
    assert due.send_due(edition, paris(2027, 1, 15, 9, 1), chunk=4) == 25
    assert len(outbox_keys()) == len(members)


def test_a_downtime_over_one_send_day_sends_late(issues):
    tick(paris(2026, 12, 1))
    early, late_signer = coop(date(2027, 3, 1)), coop(date(2027, 6, 20))
    tick(paris(2027, 6, 10))  # the server goes down after this
    tick(paris(2027, 7, 2, 14))  # back two weeks after N°2's day
    assert received(early.id) == ["2027-N2"]
    assert received(late_signer.id) == []  # signed after the send date: starts with N°3
    tick(paris(2027, 9, 15, 9, 5))
    assert received(late_signer.id) == ["2027-N3"]


def test_a_downtime_over_two_send_days_records_the_older_as_missed(issues):
    tick(paris(2026, 12, 1))
    member = coop(date(2027, 3, 1))
    tick(paris(2027, 6, 10))
    tick(paris(2027, 9, 20, 11))  # N°2 and N°3 both fell due meanwhile
    assert received(member.id, "missed") == ["2027-N2"]
    assert received(member.id) == ["2027-N3"]
    assert outbox_keys() == [f"cycle:2027:N3:member:{member.id}"]
    n2 = db.session.scalar(select(Edition).where(Edition.year == 2027,
                                                 Edition.send_dt.between(paris(2027, 6, 1),
                                                                         paris(2027, 7, 1))))
    assert n2.closed_dt is not None and n2.frozen_dt is not None  # readable in the archive
    assert due.edition_counts(n2) == {"sent": 0, "missed": 1, "failed": 0}


def test_a_downtime_across_new_year_still_sends_n1_late(issues):
    tick(paris(2026, 12, 1))
    member = coop(date(2026, 5, 1))
    tick(paris(2027, 10, 1))  # first run since the install: N°1 and N°2 closed, N°3 sent late
    # Down from October 2027 to February 2029: 2028's three issues fell due unseen.
    tick(paris(2029, 2, 1, 10))
    assert received(member.id, "missed") == ["2027-N1", "2027-N2", "2028-N1", "2028-N2", "2028-N3"]
    assert received(member.id) == ["2027-N3", "2029-N1"]


def set_consent(member_id: int, value: bool) -> None:
    db.session.get(Member, member_id).newsletter_consent = value
    db.session.commit()


def test_consent_edited_between_sends(issues):
    tick(paris(2026, 12, 1))
    member = coop(date(2026, 5, 1))
    tick(paris(2027, 1, 15, 9, 5))
    set_consent(member.id, False)
    tick(paris(2027, 6, 15, 9, 5))
    set_consent(member.id, True)
    tick(paris(2027, 9, 15, 9, 5))
    # Regained after N°2 closed (N°3 fell due): N°2 is not sent late.
    assert received(member.id) == ["2027-N1", "2027-N3"]
    set_consent(member.id, False)
    tick(paris(2028, 1, 15, 9, 5))
    set_consent(member.id, True)
    tick(paris(2028, 2, 1))  # regained within N°1 2028's window: it goes late
    assert received(member.id) == ["2027-N1", "2027-N3", "2028-N1"]


def test_who_is_due(issues):
    tick(paris(2026, 12, 1))
    ok = coop(date(2026, 5, 1))
    coop(date(2026, 5, 1), newsletter_consent=False)
    coop(date(2026, 5, 1), email_status="bounced")
    coop(date(2026, 5, 1), email_status="unsubscribed")
    coop(date(2026, 5, 1), email=None)
    coop(date(2026, 5, 1), status="ancien")
    coop(date(2027, 1, 16))
    coop(None)
    tick(paris(2027, 1, 15, 9, 5))
    assert [k.rsplit(":", 1)[1] for k in outbox_keys()] == [str(ok.id)]


def test_member_history_explains_each_edition(issues):
    tick(paris(2026, 12, 1))
    member = coop(date(2026, 5, 1))
    unsub = coop(date(2026, 5, 1), email_status="unsubscribed")
    signs_later = coop(date(2027, 3, 1))
    tick(paris(2027, 1, 15, 9, 5))
    from coopcrm.sending.flush import flush  # no SMTP here: the message stays queued or fails
    now = paris(2027, 2, 1)
    lines = due.member_history(db.session.get(Member, member.id), now)
    assert [line.state for line in lines] == ["upcoming", "pending"]
    assert "15/06/2027" in lines[0].reason
    why = due.member_history(db.session.get(Member, unsub.id), now)
    assert why[1].state == "not_sent" and "Désinscrit" in why[1].reason
    assert "Désinscrit" in why[0].reason  # the next one will not reach them either
    later = due.member_history(db.session.get(Member, signs_later.id), now)
    assert [line.state for line in later] == ["upcoming"]
    assert flush  # imported for the reader: sending is exercised in test_delivery


def test_reach_counts_who_a_future_edition_would_reach(issues):
    tick(paris(2026, 12, 1))
    coop(date(2026, 5, 1))
    coop(date(2027, 3, 1))
    coop(date(2027, 3, 1), newsletter_consent=False)
    editions = schedule.next_editions(paris(2026, 12, 1))
    assert [due.reach(e) for e in editions] == [1, 2, 2]
