"""Event emails carry the event as an .ics attachment, received by a real SMTP server."""

from __future__ import annotations

from datetime import date

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.scheduler.runner import run_job
from tests import factories
from tests.instants import at


def test_the_save_the_date_carries_the_event_as_an_ics_file(staff, paris_now, smtp_server):
    paris_now(date(2027, 4, 1))
    member = factories.coop_member(first_name="Marie")
    address = member.email
    factories.event(staff, date(2027, 6, 17))
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


# Every way a stored text could try to break the .ics into a new property line.
BREAKS = ["\r", "\n", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]


def _property_names(ics: str) -> list[str]:
    """Each content line's property name, after RFC 5545 unfolding, as a lenient reader splits."""
    unfolded = ics.replace("\r\n ", "")
    return [line.split(":", 1)[0].split(";", 1)[0] for line in unfolded.splitlines() if line]


def test_a_bare_cr_in_the_title_never_adds_an_attendee(staff, paris_now, smtp_server):
    paris_now(date(2027, 4, 1))
    address = factories.coop_member().email
    event = factories.event(staff, date(2027, 6, 17))
    # The services refuse these values now (coopcrm.plaintext): written to the row as a
    # value stored before that rule, the .ics must still hold whatever is stored.
    event.title = "AG 2027\rATTENDEE;RSVP=TRUE:mailto:x@evil.test"
    event.description = "".join(f"ligne{i}{b}ATTENDEE:mailto:y{i}@evil.test"
                                for i, b in enumerate(BREAKS))
    event.place = "Salle\\des;fêtes,\r\nATTENDEE:mailto:z@evil.test"
    db.session.commit()
    when = at(date(2027, 5, 18), 9, 0)
    run_job("events.timeline", when)
    with clock.frozen(when):
        assert run_job("sending.flush", when).ok
    [mail] = smtp_server.received_by(address)
    [ics] = list(mail.email.iter_attachments())
    body = ics.get_content()
    assert "ATTENDEE" not in _property_names(body)
    assert _property_names(body) == [
        "BEGIN", "VERSION", "PRODID", "CALSCALE", "METHOD", "BEGIN", "UID", "DTSTAMP",
        "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "END", "END"]
    raw = ics.get_payload(decode=True)
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"\r" not in raw.replace(b"\r\n", b"")  # CRLF ends lines, nothing else
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:AG 2027\\nATTENDEE\\;RSVP=TRUE:mailto:x@evil.test\r\n" in unfolded
    assert "LOCATION:Salle\\\\des\\;fêtes\\,\\nATTENDEE:mailto:z@evil.test\r\n" in unfolded
    assert unfolded.count("\\nATTENDEE:mailto:y") == len(BREAKS)
