"""A campaign to 100,000 members: the launch (freeze + enqueue) and its delivery to a sink.

On SQLite always, and on PostgreSQL when COOPCRM_BENCH_DATABASE_URL names a server,
each on a throwaway database with COOPCRM_BENCH_CAMPAIGN_MEMBERS members (default
100,000; all coopérateurs with a valid address and the information consent, one in
ten without email, who get a letter). COOPCRM_BENCH_CAMPAIGN_DELIVERED stops the
delivery after that many messages (default 0: the whole campaign).

* **launch**: `services.launch` (the audience classified and written into the
  ledger by one INSERT … SELECT) and its commit, in seconds.
* **delivery**: from the end of the 60 seconds of "annuler l'envoi" to the campaign
  "terminée", as the scheduler drives it: the `campaigns.run_due` job (feeding the
  outbox in batches under its high-water mark, following the ledger) then the
  `sending.flush` run (claim, render, MIME, SMTP on one connection, one commit per
  message), round after round; messages/s end to end.
* **baseline**: the bare smtplib ceiling to the same sink in the same run: one
  connection, `sendmail` of a message of the campaign's size (its rendered HTML and
  text), no database. `ratio` = baseline rate / delivery rate: what the ledger, the
  outbox and its per-message commit cost over the wire alone.

The sink runs in its own process (bench._email_common), accepting everything.
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from bench._databases import fresh_database
from bench._email_common import free_port, start_sink

MEMBERS = int(os.environ.get("COOPCRM_BENCH_CAMPAIGN_MEMBERS", "100000"))
# Stop the delivery after this many messages (0: the whole campaign), for a loaded machine.
DELIVERED = int(os.environ.get("COOPCRM_BENCH_CAMPAIGN_DELIVERED", "0"))
BASELINE_N = min(MEMBERS, DELIVERED or MEMBERS, 20000)  # enough for a steady rate
NOW = datetime(2027, 3, 16, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Paris
BODY = {"version": 1, "blocks": [
    {"type": "heading", "text": 'Bonjour <span data-placeholder="prenom"></span>'},
    {"type": "paragraph", "html": "<p>Les fondations de votre résidence sont coulées : "
                                  "le chantier avance comme prévu. <a href=\"https://coop."
                                  "example/chantier\">Les photos du chantier</a></p>"},
    {"type": "button", "label": "Voir le calendrier", "url": "https://coop.example/calendrier"},
]}


def _populate(db, n: int) -> None:
    from sqlalchemy import insert

    from coopcrm.members.models import Member

    chunk = 10000
    for start in range(0, n, chunk):
        db.session.execute(insert(Member), [
            {"last_name": f"Nom{i}", "first_name": f"Prénom{i}", "civility": "Mme",
             "email": None if i % 10 == 9 else f"membre{i}@exemple.test",
             "email_status": "valid", "track": "accession", "status": "cooperateur",
             "newsletter_consent": True, "postal_code": f"69{i % 1000:03d}", "search_text": ""}
            for i in range(start, min(n, start + chunk))])
    db.session.commit()


def _campaign(db):
    from coopcrm.auth.models import User
    from coopcrm.campaigns import services
    from coopcrm.members.query import MemberFilter
    from coopcrm.segments import services as segments

    admin = User(email="admin@coop.example", name="Admin", role="admin", password_hash="x")
    db.session.add(admin)
    db.session.flush()
    segment = segments.create("Tous", MemberFilter.parse({})[0], admin)
    campaign = services.create({"name": "Fondations", "subject": "Information d'avancement",
                                "body": BODY, "segment_id": segment.id}, admin)
    db.session.commit()
    return campaign


def _deliver(db, campaign, port: int) -> tuple[float, int, int]:
    """Rounds of job + flush until the campaign is finished (or DELIVERED are sent):
    (seconds, sent, rounds)."""
    from coopcrm.campaigns import services
    from coopcrm.sending.flush import flush

    at = NOW + services.UNDO_DELAY
    sent = rounds = 0
    start = time.perf_counter()
    while True:
        services.run_due(at)
        db.session.refresh(campaign)
        if campaign.state != "sending" or (DELIVERED and sent >= DELIVERED):
            break
        sent += flush(now=at).sent
        rounds += 1
        at += timedelta(seconds=1)
    return time.perf_counter() - start, sent, rounds


def _baseline(port: int, html: str, text: str) -> float:
    """Messages/s of bare smtplib to the sink: one connection, the campaign's size."""
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "Vie coopérative <vie@coop.example>", "Information"
    msg.set_content(text, cte="quoted-printable")  # as ours: no line over 998
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    payload = msg.as_bytes(policy=email.policy.SMTP)  # CRLF, as on the wire
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(BASELINE_N):
            smtp.sendmail("vie@coop.example", [f"membre{i}@exemple.test"], payload)
    return BASELINE_N / (time.perf_counter() - start)


def _one_engine(base_url: str | None, tmp: Path, port: int) -> dict:
    from coopcrm import create_app
    from coopcrm.campaigns import services
    from coopcrm.extensions import db

    with fresh_database(base_url, tmp, "campaigns") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "BASE_URL": "https://coop.example", "SMTP_RATE": 0,
                          "SMTP_URL": f"smtp://127.0.0.1:{port}",
                          "MAIL_FROM": "Vie coopérative <vie@coop.example>"})
        with app.app_context():
            db.create_all()
            _populate(db, MEMBERS)
            campaign = _campaign(db)
            start = time.perf_counter()
            frozen = services.launch(campaign, NOW)
            db.session.commit()
            launch_s = time.perf_counter() - start
            counts = services.counts(campaign)
            rendered = services.preview(campaign)
            delivery_s, sent, rounds = _deliver(db, campaign, port)
            if not DELIVERED:
                assert services.counts(campaign) == {"sent": counts["queued"],
                                                     "letter": counts["letter"]}, \
                    services.counts(campaign)
            baseline = _baseline(port, rendered.html, rendered.text)
            rate = sent / delivery_s
            out = {"database": db.engine.dialect.name, "frozen": frozen,
                   "emails": counts["queued"], "letters": counts["letter"],
                   "launch_s": round(launch_s, 2), "delivery_s": round(delivery_s, 1),
                   "delivered": sent, "rounds": rounds, "delivery_msgs_per_s": round(rate),
                   "bare_smtplib_msgs_per_s": round(baseline),
                   "ratio": round(baseline / rate, 2)}
            db.session.remove()
            db.engine.dispose()
    return out


def run() -> dict:
    results: dict = {"members": MEMBERS, "baseline_messages": BASELINE_N}
    engines = [None] + ([os.environ["COOPCRM_BENCH_DATABASE_URL"]]
                        if os.environ.get("COOPCRM_BENCH_DATABASE_URL") else [])
    port = free_port()
    sink = start_sink(port)
    try:
        with tempfile.TemporaryDirectory(prefix="coopcrm-bench-") as tmp:
            for base_url in engines:
                one = _one_engine(base_url, Path(tmp), port)
                name = one.pop("database")
                results.update({f"{name}_{k}": v for k, v in one.items()})
    finally:
        assert sink.stdin is not None
        sink.stdin.close()
        sink.wait(timeout=30)
    return results
