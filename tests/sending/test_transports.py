"""Transports: what the flusher needs from each (the Protocol), and the in-memory one for tests."""

from __future__ import annotations

import inspect
from email.utils import parseaddr

import pytest
from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.sending import services, transports
from coopcrm.sending.flush import flush
from coopcrm.sending.models import OutboxMessage
from tests import factories

SURVEY = {"survey_title": "Sondage", "intro": "Trois questions.",
          "survey_url": "https://coop.example/s/abc", "deadline": "2027-03-31"}
CONNECTIONS = (transports.SMTPConnection, transports.FileConnection,
               transports.MemoryConnection)


def _members(protocol) -> set[str]:
    return {name for name, _ in inspect.getmembers(protocol) if not name.startswith("_")}


@pytest.mark.parametrize("connection", CONNECTIONS, ids=lambda c: c.__name__)
def test_every_connection_has_what_the_flusher_calls(connection):
    assert _members(transports.Connection) <= _members(connection)
    assert {"close", "drop_announced", "finish", "pipelining", "start", "send", "announce"} \
        == _members(transports.Connection)


def test_the_url_names_the_transport(tmp_path):
    assert isinstance(transports.from_url("smtp://relay:25"), transports.SMTPTransport)
    assert isinstance(transports.from_url(f"file://{tmp_path}"), transports.FileTransport)
    assert transports.from_url("memory://") is transports.MEMORY


def test_memory_is_not_a_setting_an_operator_can_choose(tmp_path):
    from coopcrm import config

    with pytest.raises(config.ConfigError, match="COOPCRM_SMTP_URL"):
        config.load(str(tmp_path), {"COOPCRM_SMTP_URL": "memory://"})


def test_the_flusher_sends_to_memory_with_envelope_and_bytes(app, memory_mail):
    a, b = factories.member(first_name="Zoé"), factories.member()
    for m in (a, b):
        services.enqueue("survey_invitation", m, SURVEY, f"k:{m.id}")
    db.session.commit()
    report = flush()
    assert (report.sent, report.connections) == (2, 1)
    sender = parseaddr(app.config["MAIL_FROM"])[1]
    assert [(s.mail_from, s.rcpt_to) for s in memory_mail.sent] == [
        (sender, a.email), (sender, b.email)]
    (to_a,) = memory_mail.to(a.email)
    assert to_a.email["To"].addresses[0].addr_spec == a.email
    assert "Zoé" in to_a.email.get_body(preferencelist=("plain",)).get_content()
    assert to_a.raw.endswith(b"\r\n") and b"\nMessage-ID: <" in to_a.raw
    statuses = set(db.session.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent"}


def test_file_transport_writes_one_eml_per_message(tmp_path):
    conn = transports.FileTransport(tmp_path / "mails").open()
    conn.start("a@coop.example", "b@exemple.test", b"Subject: x\r\n\r\nbonjour\r\n")
    conn.finish()
    conn.send("a@coop.example", "c@exemple.test", b"Subject: y\r\n\r\nbonsoir\r\n")
    conn.close()
    files = sorted(p.name for p in (tmp_path / "mails").iterdir())
    assert files == ["000001.eml", "000002.eml"]
    assert not conn.pipelining and not conn.drop_announced()
