"""kill -9 of the sender mid-campaign, then a restart: the commands an operator runs.

The sender is `coopcrm jobs run sending.flush`, a real process on a database of
its own, sending a campaign of 40 to a slow aiosmtpd relay. The relay kills it
with SIGKILL the moment it has stored the 10th message, before its "250" goes
back: the worst instant, the message delivered and not yet marked sent. The
restart, past the outbox's lease (time as input, `--now`), must lose nobody and
send that one message, and only it, a second time (same Message-ID).
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter

from tests.plugins.smtp import SMTPSink
from tests.scheduler.fresh_db import cli_env, coopcrm_exe, fresh_database_url, prepared, run_cli

MEMBERS = 40
KILL_AT = 10
LAUNCH = "2027-03-16T10:00"  # Paris, a Tuesday; the job runs after the 60 s of undo
FEED = "2027-03-16T10:02"
RESTART = "2027-03-16T10:20"  # past the 15 minutes' lease of the killed run's claim
FOLLOW = "2027-03-16T10:21"

SETUP = f"""
from datetime import datetime
from coopcrm import clock
from coopcrm.auth.models import User
from coopcrm.campaigns import services
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.members.query import MemberFilter
from coopcrm.segments import services as segments
admin = User(email="admin@exemple.test", name="Admin", role="admin", password_hash="x")
db.session.add(admin)
for i in range({MEMBERS}):
    db.session.add(Member(last_name=f"Nom{{i}}", first_name="A", email=f"m{{i}}@exemple.test",
                          newsletter_consent=True))

db.session.flush()
seg = segments.create("Tous", MemberFilter.parse({{}})[0], admin)
body = {{"version": 1, "blocks": [{{"type": "paragraph", "html": "<p>Le chantier avance.</p>"}}]}}
c = services.create({{"name": "Chantier", "subject": "Chantier", "body": body,
                     "segment_id": seg.id}}, admin)
services.launch(c, datetime.fromisoformat("{LAUNCH}").replace(tzinfo=clock.PARIS))
db.session.commit()
print(services.run_due(datetime.fromisoformat("{FEED}").replace(tzinfo=clock.PARIS)))
"""


def _ok(env, *args: str) -> str:
    done = run_cli(env, *args)
    assert done.returncode == 0, f"coopcrm {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def test_kill_9_mid_campaign_then_restart_loses_nobody_and_repeats_one(tmp_path):
    sink = SMTPSink(delay=0.02).start()
    try:
        with fresh_database_url(tmp_path, "crash") as url:
            env = cli_env(url, tmp_path / "instance", COOPCRM_SMTP_URL=sink.url,
                          COOPCRM_SMTP_RATE="0")
            prepared(env)
            done = subprocess.run([coopcrm_exe(), "shell"], input=SETUP, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
            # The campaigns job as the scheduler runs it, in the same shell (one start-up less).
            assert f"{MEMBERS} email(s) confiés à l'envoi" in done.stdout, done.stdout

            sender = subprocess.Popen([coopcrm_exe(), "jobs", "run", "sending.flush",
                                       "--now", FEED], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)

            def kill_on_the_tenth(count: int) -> None:
                if count == KILL_AT:
                    os.kill(sender.pid, signal.SIGKILL)

            sink.handler.on_message = kill_on_the_tenth
            sender.communicate(timeout=60)
            assert sender.returncode == -signal.SIGKILL
            sink.handler.on_message = None
            assert len(sink.messages) == KILL_AT
            in_flight = sink.messages[-1].email["Message-ID"]

            # The restart: nothing is lost, the in-flight message goes again, once.
            _ok(env, "jobs", "run", "sending.flush", "--now", RESTART)
            _ok(env, "jobs", "run", "campaigns.run_due", "--now", FOLLOW)
            shown = _ok(env, "campaigns", "show", "1")
    finally:
        sink.stop()

    by_id = Counter(m.email["Message-ID"] for m in sink.messages)
    by_rcpt = Counter(r for m in sink.messages for r in m.rcpt_tos)
    assert set(by_rcpt) == {f"m{i}@exemple.test" for i in range(MEMBERS)}  # nobody lost
    assert len(by_id) == MEMBERS and len(sink.messages) == MEMBERS + 1
    assert [mid for mid, n in by_id.items() if n > 1] == [in_flight]  # only the in-flight one
    assert by_id[in_flight] == 2
    assert "État : Terminée" in shown and f"Envoyé : {MEMBERS}" in shown
