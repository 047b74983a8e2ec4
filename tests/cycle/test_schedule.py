from datetime import UTC, datetime

from sqlalchemy import select

from coopcrm.cycle import schedule
from coopcrm.cycle.models import Edition
from coopcrm.extensions import db
from tests.instants import paris


def codes():
    return [e.code for e in db.session.scalars(select(Edition).order_by(Edition.send_dt))]


def test_send_time_is_nine_in_paris_stored_in_utc(issues):
    assert schedule.send_dt(issues[1], 2027) == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert schedule.send_dt(issues[2], 2027) == datetime(2027, 6, 15, 7, 0, tzinfo=UTC)


def test_a_29_february_falls_on_the_28th_in_other_years(issues):
    issues[1].send_month, issues[1].send_day = 2, 29
    assert schedule.send_dt(issues[1], 2027).day == 28
    assert schedule.send_dt(issues[1], 2028).day == 29


def test_a_fresh_install_never_creates_an_edition_already_past(issues):
    schedule.ensure_editions(paris(2026, 11, 23, 10))
    assert codes() == ["2027-N1", "2027-N2", "2027-N3"]


def test_later_runs_keep_every_year_up_to_next(issues):
    schedule.ensure_editions(paris(2026, 5, 1))
    assert codes() == ["2026-N2", "2026-N3", "2027-N1", "2027-N2", "2027-N3"]
    # A downtime across two new years still finds the editions to send or close.
    schedule.ensure_editions(paris(2029, 2, 1))
    assert codes()[-6:] == ["2029-N1", "2029-N2", "2029-N3", "2030-N1", "2030-N2", "2030-N3"]
    assert "2028-N2" in codes()
    schedule.ensure_editions(paris(2029, 2, 1))  # idempotent
    assert len(codes()) == len(set(codes()))


def test_the_window_ends_when_the_next_issue_falls_due(issues):
    schedule.ensure_editions(paris(2026, 12, 1))
    editions = {e.code: e for e in db.session.scalars(select(Edition))}
    assert schedule.window_end(editions["2027-N1"]) == schedule.send_dt(issues[2], 2027)
    assert schedule.window_end(editions["2027-N3"]) == schedule.send_dt(issues[1], 2028)
    issues[2].active = False
    assert schedule.window_end(editions["2027-N1"],
                               schedule.active_issues()) == schedule.send_dt(issues[3], 2027)


def test_editions_start_as_a_copy_of_the_standing_content(issues):
    issues[1].sections = [{"heading": "Histoire", "body_html": "<p>1920</p>"}]
    schedule.ensure_editions(paris(2026, 12, 1))
    edition = db.session.scalar(select(Edition).where(Edition.year == 2027,
                                                      Edition.issue_id == issues[1].id))
    assert edition.title == "La lettre N°1" and edition.status == "draft"
    edition.sections[0]["heading"] = "Autre"
    assert issues[1].sections[0]["heading"] == "Histoire"
