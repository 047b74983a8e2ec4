"""The outbox against a real SMTP server: MIME, headers, retries, bounces, crash, concurrency."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.privacy.models import AuditEntry
from coopcrm.sending import flush as flush_mod
from coopcrm.sending import services
from coopcrm.sending.flush import flush
from coopcrm.sending.models import Bounce, OutboxMessage
from tests import factories
from tests.factories.sending import SURVEY
from tests.plugins.smtp import SMTPSink

T0 = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def _queue(member, key=None, template="survey_invitation", context=None, **kw):
    return factories.outbox_message(member, template, SURVEY if context is None else context,
                                    key or f"test:survey:1:member:{member.id}", **kw)


def _status(msg_id):
    db.session.expire_all()
    return db.session.get(OutboxMessage, msg_id)


def test_enqueue_is_idempotent_and_part_of_the_callers_transaction():
    clock.set_now(T0)
    m = factories.member()
    first = services.enqueue("survey_invitation", m, SURVEY, "k:1")
    assert first is not None and first.status == "queued"
    assert services.enqueue("survey_invitation", m, SURVEY, "k:1") is None
    db.session.rollback()  # the decision is undone: so is the message
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert _queue(m, "k:1") is not None
    assert _queue(m, "k:1") is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_subject_is_rendered_at_enqueue_and_a_missing_variable_fails_the_decision():
    m = factories.member(first_name="Zoé")
    msg = _queue(m)
    assert msg.subject == "Sondage état des lieux : votre avis compte"
    assert msg.context["member"]["first_name"] == "Zoé"
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        services.enqueue("survey_invitation", m, {}, "k:broken")
    db.session.rollback()


def test_suppression_at_enqueue():
    unsub = factories.member(email_status="unsubscribed")
    bounced = factories.member(email_status="bounced")
    no_email = factories.member(email=None)
    assert _queue(unsub).status == "suppressed"
    assert "Désinscrit" in _queue(unsub, "k:u").last_error
    # Transactional mail still reaches an unsubscribed member, never a bounced address.
    assert _queue(unsub, "k:conv", bulk=False).status == "queued"
    assert _queue(bounced, "k:b", bulk=False).status == "suppressed"
    assert _queue(no_email).status == "suppressed"


def test_enqueue_many_skips_existing_keys_and_suppresses():
    ms = [factories.member() for _ in range(4)]
    ms[3].email_status = "unsubscribed"
    db.session.commit()
    services.enqueue("survey_invitation", ms[0], SURVEY, f"s:1:{ms[0].id}")
    n = services.enqueue_many("survey_invitation", ms, lambda m: f"s:1:{m.id}",
                              lambda m: {"survey_url": f"https://coop.example/s/{m.id}"},
                              shared={k: v for k, v in SURVEY.items() if k != "survey_url"})
    db.session.commit()
    assert n == 3
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.status for r in rows] == ["queued", "queued", "queued", "suppressed"]
    assert rows[1].context["survey_url"].endswith(f"/s/{ms[1].id}")
    assert rows[1].shared_context_id is not None and "survey_title" not in rows[1].context
    # Resuming the same send after a crash adds nothing.
    assert services.enqueue_many("survey_invitation", ms, lambda m: f"s:1:{m.id}",
                                 shared=SURVEY) == 0


def test_mime_structure_and_headers(app, smtp_server):
    app.config.update(MAIL_FROM="Vie coopérative <vie@coop.example>",
                      MAIL_REPLY_TO="referente@coop.example")
    clock.set_now(T0)
    m = factories.member(first_name="Zoé <b>", last_name="Dupré")
    msg = _queue(m)
    report = flush()
    assert report.sent == 1 and report.connections == 1
    (received,) = smtp_server.messages
    assert received.mail_from == "vie@coop.example"
    assert received.rcpt_tos == [m.email]
    e = received.email
    assert e.get_content_type() == "multipart/alternative"
    parts = list(e.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert str(e["From"]) == "Vie coopérative <vie@coop.example>"
    assert e["From"].addresses[0].display_name == "Vie coopérative"
    assert e["To"].addresses[0].addr_spec == m.email
    assert e["Reply-To"] == "referente@coop.example"
    assert e["Subject"] == "Sondage état des lieux : votre avis compte"
    assert e["MIME-Version"] == "1.0"
    assert re.fullmatch(r"<\d+\.[0-9a-f]{16}@coop\.example>", e["Message-ID"])
    assert e["Date"].datetime == T0
    unsub = e["List-Unsubscribe"]
    https, mailto = re.findall(r"<([^>]+)>", unsub)
    assert https.startswith("http://127.0.0.1/u/") and mailto.startswith("mailto:")
    assert e["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = (p.get_content() for p in parts)
    assert "Bonjour Zoé <b>," in text and https in text and "https://coop.example/s/abc" in text
    assert "Bonjour Zoé &lt;b&gt;," in html and "<b>," not in html  # autoescaped
    assert f'href="{https}"' in html and "jeudi" not in html  # 31 mars 2027 is a Wednesday
    assert "mercredi 31 mars 2027" in html
    row = _status(msg.id)
    assert row.status == "sent" and row.sent_dt == T0 and row.message_id == e["Message-ID"]
    assert row.attempts == 1


def test_transactional_mail_has_no_list_unsubscribe(smtp_server):
    m = factories.member(email_status="unsubscribed")
    _queue(m, template="convocation", context={
        "event_title": "Assemblée générale", "event_start": "2027-06-17T18:30:00+02:00",
        "event_place": "Lyon", "agenda_html": "<ol><li>Comptes</li></ol><script>x</script>",
        "rsvp_url": "https://coop.example/e/x"})
    assert flush().sent == 1
    e = smtp_server.messages[0].email
    assert e["List-Unsubscribe"] is None
    html = e.get_body(("html",)).get_content()
    assert "<li>Comptes</li>" in html and "<script>" not in html  # sanitised at enqueue
    assert "jeudi 17 juin 2027 à 18 h 30" in e.get_body(("plain",)).get_content()


def test_retry_on_451_then_250(smtp_server):
    clock.set_now(T0)
    m = factories.member()
    smtp_server.answer(m.email, "451 4.3.0 Réessayez plus tard")
    msg = _queue(m)
    report = flush()
    assert (report.sent, report.retried) == (0, 1)
    row = _status(msg.id)
    assert row.status == "queued" and row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_dt == T0 + timedelta(minutes=1)
    assert flush().handled == 0  # not due yet
    clock.set_now(T0 + timedelta(minutes=1))
    assert flush().sent == 1
    assert len(smtp_server.received_by(m.email)) == 1
    row = _status(msg.id)
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""


def test_backoff_grows_and_gives_up_with_a_soft_bounce(app, smtp_server):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    clock.set_now(T0)
    m = factories.member()
    smtp_server.answer(m.email, *["452 4.2.2 Boîte pleine"] * 3)
    msg = _queue(m)
    delays = []
    for _ in range(3):
        flush()
        row = _status(msg.id)
        if row.status == "queued":
            delays.append(row.next_attempt_dt - clock.now())
            clock.set_now(row.next_attempt_dt)
    assert delays == [timedelta(minutes=1), timedelta(minutes=2)]
    assert row.status == "failed" and "3 tentatives" in row.last_error
    assert db.session.scalar(select(Bounce.kind).where(Bounce.member_id == m.id)) == "soft"
    app.config["OUTBOX_MAX_ATTEMPTS"] = 8


def test_hard_bounce_on_550_changes_the_member_and_stops_later_mail(smtp_server):
    m = factories.member()
    other = factories.member()
    smtp_server.answer(m.email, "550 5.1.1 Utilisateur inconnu")
    first = _queue(m)
    second = _queue(m, "k:second")
    _queue(other)
    report = flush()
    assert (report.sent, report.bounced, report.suppressed) == (1, 1, 1)
    assert _status(first.id).status == "bounced" and "550" in _status(first.id).last_error
    assert _status(second.id).status == "suppressed"  # no retry on 5xx, nothing more to it
    db.session.refresh(m)
    assert m.email_status == "bounced"
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.member_id == m.id,
                                                        AuditEntry.action == "update")).all()
    assert [(a.actor, a.changes) for a in audit] == [
        ("envoi", {"email_status": ["valid", "bounced"]})]
    bounce = db.session.scalar(select(Bounce).where(Bounce.member_id == m.id))
    assert (bounce.kind, bounce.status_code, bounce.message_id) == ("hard", "550", first.id)
    assert smtp_server.received_by(m.email) == []


def test_policy_5xx_fails_without_touching_the_member(smtp_server):
    m = factories.member()
    smtp_server.answer(m.email, "554 5.7.1 Refusé par la politique du serveur")
    msg = _queue(m)
    assert flush().failed == 1
    assert _status(msg.id).status == "failed"
    db.session.refresh(m)
    assert m.email_status == "valid"


def test_send_time_suppression_after_unsubscribe(smtp_server):
    m = factories.member()
    msg = _queue(m)
    m.email_status = "unsubscribed"
    db.session.commit()
    assert flush().suppressed == 1
    assert _status(msg.id).status == "suppressed" and smtp_server.messages == []


def test_server_down_releases_the_batch(app):
    sink = SMTPSink()  # never started: nothing listens on its port
    app.config["SMTP_URL"] = sink.url
    try:
        m = factories.member()
        msg = _queue(m)
        report = flush()
    finally:
        app.config["SMTP_URL"] = "smtp://127.0.0.1:1025"
    assert report.error and report.handled == 0
    row = _status(msg.id)
    assert row.status == "queued" and row.attempts == 0 and "injoignable" in row.last_error


class SimulatedCrash(BaseException):
    """The process dying: not an Exception, nothing in the app catches it."""


def test_crash_between_acceptance_and_status_update_resends_only_that_message(smtp_server):
    clock.set_now(T0)
    members = [factories.member() for _ in range(5)]
    msgs = [_queue(m).id for m in members]
    emails = [m.email for m in members]
    victim = msgs[2]

    def crash(row_id):
        if row_id == victim:
            raise SimulatedCrash()

    with pytest.raises(SimulatedCrash):
        flush(on_accepted=crash)
    db.session.rollback()
    db.session.remove()  # the "process" is gone
    assert len(smtp_server.messages) == 3
    # A restart within the lease sends nothing: the rows might belong to a live run.
    assert flush().handled == 0
    clock.set_now(T0 + flush_mod.LEASE + timedelta(seconds=1))
    report = flush()
    assert report.reclaimed == 3 and report.sent == 3
    assert [len(smtp_server.received_by(e)) for e in emails] == [1, 1, 2, 1, 1]
    ids = {m.email["Message-ID"] for m in smtp_server.received_by(emails[2])}
    assert len(ids) == 1  # the duplicate carries the same Message-ID
    assert {_status(i).status for i in msgs} == {"sent"}


def test_test_message_to_myself(smtp_server, referent):
    m = factories.member(first_name="Paulette")
    msg = services.send_test(referent, "newsletter_edition", member=m)
    db.session.commit()
    assert msg.member_id is None and msg.to_address == referent.email
    flush()
    (received,) = smtp_server.messages
    assert received.rcpt_tos == [referent.email]
    e = received.email
    assert e["List-Unsubscribe"] is None
    text = e.get_body(("plain",)).get_content()
    assert "Bonjour Paulette," in text and "/u/exemple-de-lien" in text


def test_smtp_auth_from_the_url(app):
    sink = SMTPSink(auth=("coop", "s3cret pass")).start()
    try:
        m = factories.member()
        msg = _queue(m)
        app.config["SMTP_URL"] = f"smtp://coop:wrong@{sink.host}:{sink.port}"
        report = flush()
        assert report.error and "535" in report.error
        app.config["SMTP_URL"] = f"smtp://coop:s3cret%20pass@{sink.host}:{sink.port}"
        assert flush().sent == 1
        assert _status(msg.id).status == "sent" and len(sink.messages) == 1
    finally:
        app.config["SMTP_URL"] = "smtp://127.0.0.1:1025"
        sink.stop()


def test_connection_reuse_and_per_connection_limit(smtp_server):
    for _ in range(5):
        _queue(factories.member(), None)
    report = flush(batch_size=10, max_per_connection=2)
    assert report.sent == 5 and report.connections == 3


@pytest.mark.postgres_only
def test_two_concurrent_flushers_send_each_message_once(app, smtp_server):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL; SQLite allows one writer at a time")
    members = [factories.member(commit=False) for _ in range(120)]
    db.session.commit()
    services.enqueue_many("survey_invitation", members, lambda m: f"c:{m.id}",
                          shared=SURVEY)
    db.session.commit()
    reports, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                reports.append(flush(batch_size=7))
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.sent for r in reports) == 120
    assert all(r.sent > 0 for r in reports), reports  # both really worked
    received = [rcpt for msg in smtp_server.messages for rcpt in msg.rcpt_tos]
    assert sorted(received) == sorted(m.email for m in members)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == "sent")) == 120
