"""The fast paths behind the email figures: COPY at enqueue, pipelined SMTP, cheap commits."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text

from coopcrm.extensions import db
from coopcrm.sending import services, transports
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage
from tests import factories
from tests.plugins.smtp import SMTPSink

SHARED = {"survey_title": "Sondage", "intro": "Trois questions.", "deadline": "2027-03-31"}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def _send(members, **kw) -> int:
    return services.enqueue_many(
        "survey_invitation", members, lambda m: f"s:1:member:{m.id}",
        lambda m: {"survey_url": f"https://coop.example/s/{m.id}"}, shared=SHARED, **kw)


def test_enqueue_many_counts_new_rows_across_chunks_and_skips_used_keys():
    ms = [factories.member(commit=False) for _ in range(7)]
    ms[5].email_status = "unsubscribed"
    db.session.commit()
    services.enqueue("survey_invitation", ms[0], {**SHARED, "survey_url": "u"},
                     f"s:1:member:{ms[0].id}")
    # Chunks of 2 (on PostgreSQL: one COPY each); ms[3] twice, in two chunks.
    assert _send([*ms, ms[3]], chunk_size=2) == 6
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.member_id for r in rows] == [m.id for m in ms]  # in the members' order
    assert [r.status for r in rows] == ["queued"] * 5 + ["suppressed", "queued"]
    first = rows[1]
    assert first.context == {"survey_url": f"https://coop.example/s/{ms[1].id}",
                             "member": services.member_context(ms[1])}
    assert first.subject == "Sondage : votre avis compte"
    assert first.created_dt.tzinfo is not None and first.next_attempt_dt == first.created_dt
    assert first.shared_context_id is not None and first.to_address == ms[1].email
    assert _send(ms) == 0  # resuming the send adds nothing


def test_enqueue_many_is_undone_with_the_callers_transaction():
    ms = [factories.member() for _ in range(3)]
    assert _send(ms) == 3
    db.session.rollback()
    assert _count() == 0
    assert _send(ms) == 3  # the keys were never used
    db.session.commit()
    assert _count() == 3


@pytest.mark.postgres_only
def test_a_key_taken_after_the_lookup_falls_back_to_on_conflict(monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    ms = [factories.member() for _ in range(4)]
    services.enqueue("survey_invitation", ms[1], {**SHARED, "survey_url": "u"},
                     f"s:1:member:{ms[1].id}")
    # As if a concurrent transaction had taken ms[1]'s key between lookup and COPY.
    monkeypatch.setattr(services, "_used_keys", lambda cursor, keys: set())
    assert _send(ms) == 3
    db.session.commit()  # the failed COPY was undone to its savepoint, nothing else
    assert _count() == 4
    keys = db.session.scalars(select(OutboxMessage.idempotency_key)).all()
    assert sorted(keys) == sorted(f"s:1:member:{m.id}" for m in ms)


def _queue_for(member, key):
    services.enqueue("survey_invitation", member, {**SHARED, "survey_url": "u"}, key)
    db.session.commit()


def test_a_server_without_pipelining_gets_one_command_at_a_time(app):
    sink = SMTPSink(pipelining=False).start()
    previous = app.config["SMTP_URL"]
    app.config["SMTP_URL"] = sink.url
    try:
        ok, later, bad = (factories.member() for _ in range(3))
        sink.answer(later.email, "451 4.3.0 Réessayez")
        sink.answer(bad.email, "550 5.1.1 Inconnu")
        for m in (ok, later, bad):
            _queue_for(m, f"k:{m.id}")
        report = flush()
    finally:
        app.config["SMTP_URL"] = previous
        sink.stop()
    assert (report.sent, report.retried, report.bounced) == (1, 1, 1)
    assert [m.rcpt_tos for m in sink.messages] == [[ok.email]]
    assert sink.handler.commands == ["MAIL", "RCPT"] * 3


def test_pipelined_envelope_with_refusals(smtp_server, monkeypatch):
    used = []
    real = transports.SMTPConnection._envelope_replies
    monkeypatch.setattr(transports.SMTPConnection, "_envelope_replies",
                        staticmethod(lambda *a: used.append(1) or real(*a)))
    ok, later, bad = (factories.member() for _ in range(3))
    smtp_server.answer(later.email, "451 4.3.0 Réessayez")
    smtp_server.answer(bad.email, "550 5.1.1 Inconnu")
    for m in (later, bad, ok):
        _queue_for(m, f"k:{m.id}")
    report = flush()
    assert (report.sent, report.retried, report.bounced, report.connections) == (1, 1, 1, 1)
    assert len(used) == 3
    (received,) = smtp_server.messages
    assert received.rcpt_tos == [ok.email] and b"\r\n..\r\n" not in received.data


def test_a_body_refused_for_its_address_stops_the_next_message_to_that_member(smtp_server):
    m, other = factories.member(), factories.member()
    smtp_server.answer_data(m.email, "550 5.1.1 Boîte inconnue")
    _queue_for(m, "k:1")
    _queue_for(m, "k:2")  # prepared while the first one was with the server
    _queue_for(other, "k:3")
    report = flush()
    assert (report.bounced, report.suppressed, report.sent) == (1, 1, 1)
    statuses = dict(db.session.execute(select(OutboxMessage.idempotency_key,
                                              OutboxMessage.status)).all())
    assert statuses == {"k:1": "bounced", "k:2": "suppressed", "k:3": "sent"}
    assert [r.rcpt_tos for r in smtp_server.messages] == [[other.email]]


def test_leading_dots_are_doubled_on_the_wire(smtp_server):
    conn = transports.SMTPTransport(transports.SMTPSettings.from_url(smtp_server.url)).open()
    try:
        conn.send("a@coop.example", "b@exemple.test",
                  b"Subject: x\r\n\r\n.hidden\r\nline\r\n.")
    finally:
        conn.close()
    (received,) = smtp_server.messages
    assert received.data.splitlines() == [b"Subject: x", b"", b".hidden", b"line", b"."]


def test_commits_are_cheap_but_the_status_is_still_committed_per_message(app, smtp_server):
    statements: list[str] = []

    def spy(conn, cursor, statement, *args):
        statements.append(statement)

    for n in range(2):
        _queue_for(factories.member(), f"k:{n}")
    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        assert flush().sent == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    if db.engine.dialect.name == "postgresql":
        updates = [s for s in statements if s.startswith("UPDATE outbox_messages")]
        marked_sent = [s for s in updates if "sent_dt" in s]
        assert len(marked_sent) == 2 and all("set_config(" in s for s in marked_sent)
        assert not any("set_config(" in s for s in updates if s not in marked_sent)  # claims
    else:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_tls_context_is_built_once_per_ca_file():
    settings = transports.SMTPSettings.from_url("smtp://h:587?starttls=1")
    assert settings.tls_context() is settings.tls_context()


def test_next_envelope_rides_behind_the_body_and_survives_its_refusal(smtp_server, monkeypatch):
    announced = []
    real = transports.SMTPConnection.announce
    monkeypatch.setattr(transports.SMTPConnection, "announce",
                        lambda self, *a: announced.append(a[1]) or real(self, *a))
    a, b, c, d = (factories.member() for _ in range(4))
    smtp_server.answer_data(a.email, "451 4.3.0 Plus tard")  # b's envelope is already sent
    smtp_server.answer_data(c.email, "421 4.3.2 Au revoir")  # …and d's, on a closing server
    for m in (a, b, c, d):
        _queue_for(m, f"k:{m.id}")
    report = flush()
    assert announced == [b.email, c.email, d.email]
    assert (report.sent, report.retried, report.connections) == (2, 2, 2)
    assert [r.rcpt_tos for r in smtp_server.messages] == [[b.email], [d.email]]
    statuses = dict(db.session.execute(select(OutboxMessage.member_id,
                                              OutboxMessage.status)).all())
    assert statuses == {a.id: "queued", b.id: "sent", c.id: "queued", d.id: "sent"}


def test_one_connection_per_message_announces_nothing(smtp_server, monkeypatch):
    monkeypatch.setattr(transports.SMTPConnection, "announce",
                        lambda *a: pytest.fail("announced on a connection about to close"))
    for n in range(3):
        _queue_for(factories.member(), f"k:{n}")
    report = flush(max_per_connection=1)
    assert (report.sent, report.connections) == (3, 3)
