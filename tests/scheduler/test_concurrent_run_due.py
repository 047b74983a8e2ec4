"""Two `coopcrm jobs run-due --now X` started at once, as two operators (or cron lines) would."""

from __future__ import annotations

import email
import email.policy
import subprocess

from sqlalchemy import create_engine, text

from tests.scheduler.fresh_db import cli_env, coopcrm_exe, fresh_database_url, prepared

NOWS = ("2027-01-15T09:00", "2027-01-15T09:01")


def test_two_run_due_at_once_both_end_cleanly_and_do_the_work_once(tmp_path):
    mail = tmp_path / "mail"
    with fresh_database_url(tmp_path, "race") as url:
        env = cli_env(url, tmp_path / "instance", COOPCRM_SMTP_URL=f"file://{mail}")
        prepared(env, "reference", "demo --members 60")
        outputs = []
        for now in NOWS:
            procs = [subprocess.Popen([coopcrm_exe(), "jobs", "run-due", "--now", now], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]
            for proc in procs:
                out, err = proc.communicate(timeout=120)
                assert proc.returncode == 0, f"{now}: {out}\n{err}"
                assert "Traceback" not in err and "IntegrityError" not in out + err, err
                outputs.append(out)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                runs = conn.execute(text(
                    "SELECT name, started_dt, status, origin FROM job_runs ORDER BY id")).all()
                steps = conn.execute(text(
                    "SELECT event_id, step, count(*) FROM event_steps GROUP BY event_id, step"
                )).all()
                # The demo's history is "sent" without a Message-ID: only this test's sends.
                sent = conn.execute(text(
                    "SELECT message_id FROM outbox_messages WHERE status = 'sent'"
                    " AND message_id IS NOT NULL")).scalars().all()
        finally:
            engine.dispose()

    assert {r.status for r in runs} == {"ok"}, runs
    per_claim = {}
    for r in runs:
        per_claim[(r.name, str(r.started_dt))] = per_claim.get((r.name, str(r.started_dt)), 0) + 1
    assert set(per_claim.values()) == {1}, per_claim  # each job once per date, whoever ran it
    assert {"cycle.due", "events.timeline", "sending.flush"} <= {r.name for r in runs}
    assert steps and all(count == 1 for _, _, count in steps)

    # Every message the outbox sent was written once, as one .eml file, read whole and parsed.
    files = sorted(mail.glob("*.eml"))
    assert sent and len(files) == len(sent)
    ids = []
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert msg["To"] and msg["Subject"]
        ids.append(msg["Message-ID"])
    assert sorted(ids) == sorted(sent) and len(set(ids)) == len(ids)

    for out in outputs:  # each line is French: a success, or a skip of the other's work
        for line in out.splitlines()[1:]:
            assert line.startswith(("  réussie  ", "  déjà faite  ")), line
        assert out.startswith("Au 15/01/2027 09:0")
