"""`coopcrm inbox ingest` as an operator runs it: a fresh database, the app's own email
written by the file transport, the member's mail client's reply in a maildir."""

from __future__ import annotations

import mailbox
from email import policy
from email.parser import BytesParser

from tests.cli.mua import mua_reply

# Made in the app's own shell (this folder imports no coopcrm): one member, one bulk email
# queued for her. (An interactive console: a blank line ends the loop.)
SETUP = """
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.sending import services
m = Member(last_name="Durand", first_name="Alice", email="alice@exemple.test",
           newsletter_consent=True)
db.session.add(m)
db.session.flush()
services.enqueue("survey_invitation", m, {"survey_title": "Sondage", "intro": "",
                 "survey_url": "https://coop.example/s/a"}, "cli:inbox:1")
db.session.commit()
"""
STATE = """
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.privacy.models import ConsentRecord
m = db.session.get(Member, 1)
print("STATE", m.email_status, m.newsletter_consent, db.session.query(ConsentRecord).count())
"""


def test_a_mailto_reply_unsubscribes_and_a_rerun_changes_nothing(installation, tmp_path):
    run = installation.run
    run("db", "upgrade")
    run("shell", stdin=SETUP)
    run("outbox", "flush")
    (sent,) = sorted((tmp_path / "mails").glob("*.eml"))
    email = BytesParser(policy=policy.default).parsebytes(sent.read_bytes())
    box = mailbox.Maildir(tmp_path / "boite", create=True)
    box.add(mua_reply(email))
    box.add(b"From: curieux@ailleurs.example\r\nSubject: Question\r\n\r\nBonjour\r\n")

    first = run("inbox", "ingest", str(tmp_path / "boite")).stdout
    assert "2 message(s) lu(s) : 1 désinscription(s)" in first and "1 autre(s)" in first
    assert "STATE unsubscribed False 1" in run("shell", stdin=STATE).stdout
    again = run("inbox", "ingest", str(tmp_path / "boite")).stdout
    assert "2 déjà traité(s)" in again and "0 désinscription(s)" in again
    assert "STATE unsubscribed False 1" in run("shell", stdin=STATE).stdout

    missing = run("inbox", "ingest", str(tmp_path / "absente"), ok=False)
    assert missing.returncode == 1 and "boîte introuvable" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = run("inbox", "ingest", "imap://sans-utilisateur", ok=False)
    assert bad.returncode == 1 and "adresse IMAP invalide" in bad.stderr
