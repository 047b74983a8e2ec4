"""Event emails carry the event as an .ics attachment, received by a real SMTP server."""

from __future__ import annotations

from datetime import date

from coopcrm import clock
from coopcrm.scheduler.runner import run_job
from tests.events.conftest import at, coop_member, make_event


def test_the_save_the_date_carries_the_event_as_an_ics_file(staff, paris_now, smtp_server):
    paris_now(date(2027, 4, 1))
    member = coop_member(first_name="Marie")
    address = member.email
    make_event(staff, date(2027, 6, 17))
    when = at(date(2027, 5, 18), 9, 0)
    run_job("events.timeline", when)
    with clock.frozen(when):
        assert run_job("sending.flush", when).ok
    [mail] = smtp_server.received_by(address)
    message = mail.email
    assert message.get_content_type() == "multipart/mixed"
    html = message.get_body(("html",)).get_content()
    assert "Marie" in html
    [ics] = list(message.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_filename() == "evenement.ics"
    body = ics.get_content()
    assert "BEGIN:VEVENT" in body and "DTSTART:20270617T163000Z" in body
