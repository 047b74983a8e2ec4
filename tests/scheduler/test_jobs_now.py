"""`now` is a job's only time input: what it writes is stamped `now`, never the clock's time.

Every registered job runs as of NOW (2040) while the clock module says 2001 and the wall
clock says today. Every row it adds or changes is then read back: each datetime must be
NOW (or, for the few derived from it, close to NOW), and no value may carry the clock's
or the wall clock's date, in any of the forms the code writes (ISO, iCalendar, French).
A new job without a scenario here fails its case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.scheduler.models import JobRun
from coopcrm.scheduler.registry import load_jobs
from coopcrm.scheduler.runner import run_job
from coopcrm.sending.models import OutboxMessage
from coopcrm.sending.transports import PermanentFailure, TemporaryFailure
from tests import factories

NOW = datetime(2040, 3, 15, 10, 0, tzinfo=UTC)  # 11:00 in Paris
SETUP = NOW - timedelta(days=43)  # when the scenario's data was entered
CLOCK = datetime(2001, 1, 1, 12, 0, tzinfo=UTC)  # what coopcrm.clock says while the job runs
YEAR = timedelta(days=366)
# Instants a job computes from `now` (a retry later, a link's expiry, the schedule).
DERIVED = {"newsletter_editions.send_dt", "outbox_messages.next_attempt_dt",
           "member_tokens.expires_dt", "followup_dues.due_dt", "event_steps.due_dt",
           "letter_tasks.expires_dt"}
# The runner's own bookkeeping (its finish time is the real one), not the job's writes.
RUNNER_TABLES = {"job_runs", "scheduler_heartbeat"}

Check = Callable[[], None]


# --- the scenarios: data that makes each job write, entered at SETUP ------------------------


def _cycle(mail) -> Check:
    from coopcrm.cycle import schedule
    from coopcrm.cycle.models import NewsletterIssue

    for number, month in {1: 1, 2: 6, 3: 9}.items():
        db.session.add(NewsletterIssue(
            number=number, theme=f"Thème {number}", send_month=month, send_day=15, send_hour=9,
            send_minute=0, title=f"La lettre N°{number}", teaser="À lire",
            intro_html="<p>Contenu.</p>", sections=[], ctas=[], image_url=""))
    db.session.flush()
    schedule.ensure_editions(datetime(2039, 9, 1, tzinfo=UTC))  # 2039-N3 onwards
    member_id = factories.coop_member(reservation_signed_on=date(2039, 1, 1),
                                      newsletter_consent=True).id

    def check():  # as of NOW, 2039-N3's window has ended (missed); 2040-N1 is sent
        from coopcrm.cycle.models import Edition, Receipt

        got = db.session.execute(select(Edition.year, Receipt.outcome).join(
            Receipt, Receipt.edition_id == Edition.id).where(Receipt.member_id == member_id)
            .order_by(Edition.send_dt)).all()
        assert [tuple(r) for r in got] == [(2039, "missed"), (2040, "sent")]
    return check


def _flush(mail) -> Check:
    from coopcrm.sending import services

    context = {"survey_title": "Sondage", "intro": "Trois questions.",
               "survey_url": "https://coop.example/s/abc", "deadline": "2040-03-31"}
    ok, hard, soft, retry, stale = (factories.member() for _ in range(5))
    for m in (ok, hard, soft, retry, stale):
        services.enqueue("survey_invitation", m, context, f"k:{m.id}")
    db.session.flush()
    rows = {r.member_id: r for r in db.session.scalars(select(OutboxMessage))}
    rows[soft.id].attempts = 7  # its last attempt: given up, a soft bounce
    rows[stale.id].status = "sending"  # claimed by a run that died
    rows[stale.id].claimed_dt = SETUP
    mail.refuse(hard.email, PermanentFailure(550, "5.1.1 Boîte inconnue", hard_bounce=True))
    mail.refuse(soft.email, TemporaryFailure(451, "4.3.0 Réessayez"))
    mail.refuse(retry.email, TemporaryFailure(451, "4.3.0 Réessayez"))
    accepted = sorted((ok.email, stale.email))

    def check():
        from coopcrm.links import services as links

        assert sorted(m.rcpt_to for m in mail.sent) == accepted
        for sent in mail.sent:
            assert parsedate_to_datetime(sent.email["Date"]) == NOW
            token = sent.email["List-Unsubscribe"].split("/u/")[1].split(">")[0]
            signed = links._serializer(links.UNSUBSCRIBE).loads(token, return_timestamp=True)[1]
            assert signed == NOW
    return check


def _followups(mail) -> Check:
    from coopcrm.journeys import services
    from coopcrm.journeys.followups import services as followups
    from coopcrm.journeys.models import FollowUpRule
    from coopcrm.seeding.reference import load_moment_types
    from coopcrm.surveys import services as surveys

    load_moment_types()
    types = _types()
    followups.seed_rules(booklet_url="https://coop.example/livret.pdf")
    survey = surveys.create_survey({"title": "Votre visite", "closes_on": date(2040, 6, 30)})
    surveys.add_question(survey, {"kind": "yesno", "label": "Satisfait ?"})
    rule = db.session.scalar(select(FollowUpRule).where(
        FollowUpRule.code == "courtesy_visit_survey"))
    rule.survey, rule.active = survey, True
    entity = factories.entity()
    newcomer, visited = (factories.member(entity, track="locatif") for _ in range(2))
    yesterday = (SETUP - timedelta(days=1)).date()
    # A move-in: the welcome email (due now), the courtesy visit to plan (due NOW - 2 days)…
    services.record(newcomer, types["arrivee_lieux"], status="done", occurs_on=yesterday)
    # …and a visit: the satisfaction survey two days later.
    services.record(visited, types["visite_courtoisie"], status="done", occurs_on=yesterday)

    def check():
        from coopcrm.journeys.models import FollowUpDue

        results = {d.status for d in db.session.scalars(select(FollowUpDue))}
        assert results == {"done"}, [d.result for d in db.session.scalars(select(FollowUpDue))]
    return check


def _types():
    from coopcrm.journeys.models import MomentType

    return {t.code: t for t in db.session.scalars(select(MomentType))}


def _reminders(mail) -> Check:
    from coopcrm.surveys import services as surveys

    survey = surveys.create_survey({"title": "Votre avis", "closes_on": date(2040, 4, 30),
                                    "reminder_delay_days": 7, "reminder_max": 1})
    surveys.add_question(survey, {"kind": "yesno", "label": "Satisfait ?"})
    surveys.invite(survey, [factories.coop_member()], key_prefix=f"survey:{survey.id}")
    reminder = f"survey:{survey.id}:reminder:1:"

    def check():
        keys = db.session.scalars(select(OutboxMessage.idempotency_key))
        assert [k for k in keys if k.startswith(reminder)]
    return check


def _timeline(mail) -> Check:
    from coopcrm.events import checkin, services
    from coopcrm.surveys import services as surveys

    staff = factories.user(role="referent", all_entities=True)
    members = [factories.coop_member(econvocation_consent=True) for _ in range(3)]
    feedback = surveys.create_survey({"title": "Votre avis sur l'AG",
                                      "closes_on": date(2040, 4, 30)})
    surveys.add_question(feedback, {"kind": "yesno", "label": "Satisfait ?"})

    def event(kind, day, **kw):
        start = datetime(day.year, day.month, day.day, 18, 30, tzinfo=clock.PARIS)
        return services.save(services.EventData(
            kind=kind, title=f"{kind} du {day}", starts_dt=start.astimezone(UTC),
            ends_dt=(start + timedelta(hours=2)).astimezone(UTC), place="Salle", **kw), staff)

    # Yesterday's AG: every step falls due at once (most skipped late); thanks go out.
    ag = event("ag_ordinaire", (NOW - timedelta(days=1)).date(),
               feedback_survey_id=feedback.id)
    services.ensure_invitations(ag)
    checkin.mark_present(ag, members[0].id, "in_person")
    # A workshop in five days, invitations due since SETUP: sent with the .ics.
    workshop = event("atelier", (NOW + timedelta(days=5)).date())
    expected = {f"event:{ag.id}:thanks-present", f"event:{ag.id}:thanks-absent",
                f"event:{workshop.id}:invitation"}

    def check():
        from coopcrm.journeys.models import Moment

        keys = db.session.scalars(select(OutboxMessage.idempotency_key))
        assert {k.split(":member:")[0] for k in keys} == expected
        assert db.session.scalar(select(Moment.occurs_on)) == (NOW - timedelta(days=1)).date()
        stamps = [a["data"] for r in _shared() for a in r.data.get("attachments", ())]
        assert stamps and all("DTSTAMP:20400315T100000Z" in s for s in stamps)
    return check


def _shared():
    from coopcrm.sending.models import SharedContext

    return list(db.session.scalars(select(SharedContext)))


def _inbox(mail) -> Check:
    import mailbox
    import tempfile

    from flask import current_app

    from coopcrm.inbox.models import InboundMessage

    folder = tempfile.mkdtemp(prefix="coopcrm-inbox-") + "/boite"
    box = mailbox.Maildir(folder, create=True)
    box.add(b"From: Jeanne <jeanne@exemple.test>\r\nTo: vie@coop.example\r\n"
            b"Subject: Une question\r\nMessage-ID: <q-1@exemple.test>\r\n"
            b"\r\nBonjour.\r\n")  # no Date: the sender's own would be no time of ours
    current_app.config["INBOX_URL"] = folder

    def check():
        [row] = db.session.scalars(select(InboundMessage)).all()
        assert row.subject == "Une question" and row.kind == "other"
    return check


def _retention(mail) -> Check:
    member = factories.member()
    ids = {}
    for days in (400, 300):
        message = factories.outbox_message(member, "welcome")
        message.status, message.sent_dt = "sent", NOW - timedelta(days=days)
        message.context = {"first_name": "Zéphyrine"}
        ids[days] = message.id
        received = factories.inbound_message(member.email, f"Question {days}")
        received.recorded_dt = NOW - timedelta(days=days)
        ids[f"in{days}"] = received.id

    def check():
        from coopcrm.inbox.models import InboundMessage
        from coopcrm.sending.models import OutboxMessage

        assert db.session.get(OutboxMessage, ids[400]).context == {}  # 12 months before NOW
        assert db.session.get(OutboxMessage, ids[300]).context == {"first_name": "Zéphyrine"}
        assert db.session.get(InboundMessage, ids["in400"]).subject == ""  # 12 months too
        assert db.session.get(InboundMessage, ids["in300"]).subject == "Question 300"
    return check


def _prune_reads(mail) -> Check:
    from coopcrm.privacy.models import MemberRead

    for days in (366, 364):
        db.session.add(MemberRead(member_id=1, kind="page", read_dt=NOW - timedelta(days=days)))

    def check():
        kept = [(NOW - r.read_dt).days for r in db.session.scalars(select(MemberRead))]
        assert kept == [364]  # a year before NOW, not before the clock
    return check


def _prune(mail) -> Check:
    for days, status in ((100, "error"), (89, "error"), (120, "ok")):
        db.session.add(JobRun(name="x.job", started_dt=NOW - timedelta(days=days),
                              finished_dt=NOW - timedelta(days=days), origin="manuel",
                              status=status))

    def check():
        kept = sorted((NOW - r.started_dt).days
                      for r in db.session.scalars(select(JobRun).where(JobRun.name == "x.job")))
        assert kept == [89, 120]  # 90 days before NOW, not before the clock; the last success
    return check


def _campaigns(mail) -> Check:
    from coopcrm.campaigns import services as campaigns

    author = factories.user(role="admin")
    factories.coop_member(newsletter_consent=True)
    campaign = factories.campaign(author, factories.segment(user=author))
    campaigns.schedule(campaign, SETUP + timedelta(days=1), SETUP)
    prefix = f"campaign:{campaign.id}:member:"

    def check():  # launched as of NOW and its one email handed to the outbox
        keys = db.session.scalars(select(OutboxMessage.idempotency_key))
        assert [k for k in keys if k.startswith(prefix)]
    return check


def _imports(mail) -> Check:
    from coopcrm.members.importing import tasks
    from coopcrm.members.models import Member

    factories.entity("MFLA")
    author = factories.user(all_entities=True)
    data = b"reference;nom;entite;nombre_parts\r\nR1;Martin;MFLA;1\r\n"
    factories.import_task(author, data)  # to check
    confirmed = factories.import_task(author, data, status="done",
                                      report={"to_write": 1})
    tasks.confirm(confirmed, skip_invalid=False)  # to write

    def check():
        member = db.session.scalars(select(Member)).one()
        assert member.created_dt == NOW and member.last_name == "Martin"
    return check


def _letters(mail) -> Check:
    from coopcrm.campaigns import services as campaigns
    from coopcrm.letters.models import LetterTask

    author = factories.user(role="admin")
    factories.coop_member(email=None, postal_code="69001", city="Lyon")
    campaign = factories.campaign(author, factories.segment(user=author))
    campaigns.launch(campaign, SETUP)
    task_id = factories.letter_task(author, campaign.id).id

    def check():  # laid out as of NOW, kept a day after NOW
        task = db.session.get(LetterTask, task_id)
        assert task.status == "done" and task.expires_dt == NOW + timedelta(hours=24)
    return check


SCENARIOS: dict[str, Callable] = {
    "letters.documents": _letters,
    "members.imports": _imports,
    "campaigns.run_due": _campaigns,
    "cycle.due": _cycle,
    "sending.flush": _flush,
    "journeys.followups": _followups,
    "surveys.reminders": _reminders,
    "events.timeline": _timeline,
    "maintenance.prune_job_runs": _prune,
    "privacy.prune_reads": _prune_reads,
    "privacy.retention": _retention,
    "inbox.ingest": _inbox,
}
WRITES_NOTHING = {"maintenance.prune_job_runs", "privacy.prune_reads"}  # they only delete


# --- reading back what the job wrote --------------------------------------------------------


def _rows() -> dict[tuple, dict]:
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in RUNNER_TABLES:
            continue
        key = list(table.primary_key.columns)
        for row in db.session.execute(select(table)).mappings():
            rows[(table.name, tuple(row[c.name] for c in key))] = dict(row)
    return rows


def _written(before: dict, after: dict) -> list[tuple[str, object]]:
    """(table.column, value) of every value the job added or changed."""
    out = []
    for (table, pk), row in after.items():
        old = before.get((table, pk))
        for column, value in row.items():
            if value is not None and (old is None or old.get(column) != value):
                out.append((f"{table}.{column}", value))
    return out


def _forbidden() -> tuple[set[date], set[str]]:
    """The clock's and the wall clock's dates, and how they would read in any text."""
    wall = datetime.now(UTC)
    days = {CLOCK.date()} | {(wall + timedelta(hours=h)).astimezone(clock.PARIS).date()
                             for h in (-24, 0, 24)} | {wall.date()}
    texts = set()
    for d in days:
        texts |= {d.isoformat(), d.strftime("%Y%m%d"), d.strftime("%d/%m/%Y")}
    return days, texts


@pytest.mark.parametrize("name", [job.name for job in load_jobs().all()])
def test_a_job_stamps_what_it_writes_with_its_now_not_the_clock(name, memory_mail):  # noqa: F811
    scenario = SCENARIOS.get(name)
    assert scenario is not None, f"add a scenario for the job {name!r} to SCENARIOS"
    with clock.frozen(SETUP):
        check = scenario(memory_mail)
        db.session.commit()
    before = _rows()
    with clock.frozen(CLOCK):
        result = run_job(name, NOW)
    assert result.ok, result.error
    db.session.expire_all()
    written = _written(before, _rows())
    assert bool(written) != (name in WRITES_NOTHING), "the scenario must make the job write"
    days, texts = _forbidden()
    for where, value in written:
        if isinstance(value, datetime):
            if where in DERIVED:
                assert NOW - YEAR <= value <= NOW + 3 * YEAR, (where, value)
            else:
                assert value == NOW, (where, value)
        elif isinstance(value, date):
            assert value not in days, (where, value)
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        assert not [t for t in texts if t in text], (where, text[:300])
    check()
