"""The cycle end to end: the job decides, the outbox sends, a real SMTP server receives."""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.cycle import due
from coopcrm.cycle.models import Receipt
from coopcrm.extensions import db
from coopcrm.scheduler.runner import run_job
from coopcrm.sending.models import OutboxMessage
from tests.cycle.helpers import tick
from tests.factories.cycle import coop
from tests.instants import paris


def test_the_edition_reaches_the_member_with_archive_and_unsubscribe_links(issues, smtp_server):
    tick(paris(2026, 12, 1))
    member = coop(date(2026, 5, 1), email="claire@exemple.test", first_name="Claire")
    at = paris(2027, 1, 15, 9, 5)
    tick(at)
    with clock.frozen(at):
        assert run_job("sending.flush", at).ok
    [mail] = smtp_server.received_by("claire@exemple.test")
    message = mail.email
    assert "N°1" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Claire" in html and "Contenu permanent du N°1" in html
    assert "/lettres/2027/1" in html
    assert member.id in {m for (m,) in db.session.execute(select(Receipt.member_id))}


@pytest.mark.postgres_only
def test_two_schedulers_at_once_send_each_member_once(app, issues):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite allows one writer at a time")
    tick(paris(2026, 12, 1))
    ids = [coop(date(2026, 5, 1), commit=False).id for _ in range(300)]
    db.session.commit()
    at = paris(2027, 1, 15, 9, 5)
    barrier, errors, results = threading.Barrier(2), [], []

    def scheduler():
        try:
            with app.app_context(), clock.frozen(at):
                barrier.wait()
                results.append(due.run(at))
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    keys = list(db.session.scalars(select(OutboxMessage.idempotency_key)))
    assert sorted(keys) == sorted(f"cycle:2027:N1:member:{i}" for i in ids)
    assert db.session.scalar(select(func.count()).select_from(Receipt)) == 300
