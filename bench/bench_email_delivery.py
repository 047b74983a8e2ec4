"""Delivery of 10,000 messages to a local aiosmtpd sink: connection reuse vs one per message.

The sink runs in its own process (so it does not share our GIL), accepts
everything and offers PIPELINING, as Postfix and Exim do. Every run goes
through the real `sending.flush.flush` (claim, render, MIME, SMTP, one commit
per message); the only difference between the two runs of a pair is
`max_per_connection=1`: each message then pays what a new connection costs in
production (TCP connect, greeting, EHLO, QUIT; with STARTTLS a TLS handshake,
a second EHLO and AUTH), not more (the TLS context and our host name are
built once per process, as a long-running sender would).

Two pairs: a plain loopback SMTP (a connection costs ~3 round trips, about what
one message costs, so reuse can only save that), and STARTTLS + AUTH with a
self-signed certificate, which is what a real relay (port 587) requires and
where a new connection means a TLS handshake and a login every time.
"""

from __future__ import annotations

import os
import subprocess
import time

from bench._email_common import SINK_PASSWORD, SINK_USER, free_port, start_sink

N = int(os.environ.get("COOPCRM_BENCH_DELIVERY_N", "10000"))
USER, PASSWORD = SINK_USER, SINK_PASSWORD


def _certificate(folder: str) -> tuple[str, str]:
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def _requeue() -> None:
    from sqlalchemy import update

    from coopcrm.extensions import db
    from coopcrm.sending.models import OutboxMessage

    db.session.execute(update(OutboxMessage).values(status="queued", attempts=0, sent_dt=None))
    db.session.commit()


def _pair(app, url: str) -> dict:
    from coopcrm.sending.flush import flush

    app.config["SMTP_URL"] = url
    _requeue()
    start = time.perf_counter()
    reused = flush(batch_size=500)
    reuse_s = time.perf_counter() - start
    assert reused.sent == N, reused
    _requeue()
    start = time.perf_counter()
    single = flush(batch_size=500, max_per_connection=1)
    single_s = time.perf_counter() - start
    assert single.sent == N and single.connections == N, single
    return {"reuse_msgs_per_s": round(N / reuse_s), "connections": reused.connections,
            "one_connection_per_message_msgs_per_s": round(N / single_s),
            "ratio": round(single_s / reuse_s, 2)}


def run() -> dict:
    from bench._email_common import add_members, make_app, tempdir
    from coopcrm.extensions import db
    from coopcrm.sending import services

    results = {"messages": N}
    with tempdir() as tmp:
        cert, key = _certificate(tmp)
        plain_port, tls_port = free_port(), free_port()
        sinks = [start_sink(plain_port), start_sink(tls_port, cert, key)]
        try:
            app = make_app(tmp)
            app.config["SMTP_RATE"] = 0
            with app.app_context():
                results["database"] = db.engine.dialect.name
                rows = add_members(N)
                services.enqueue_many(
                    "survey_invitation", rows, lambda r: f"s:{r.id}",
                    lambda r: {"survey_url": f"https://coop.example/s/{r.id:08d}abcdef"},
                    shared={"survey_title": "Sondage", "intro": "Trois questions.",
                            "deadline": "2027-03-31"})
                db.session.commit()
                plain = _pair(app, f"smtp://127.0.0.1:{plain_port}")
                tls = _pair(app, f"smtp://{USER}:{PASSWORD}@127.0.0.1:{tls_port}"
                                 f"?starttls=1&cafile={cert}")
                db.session.remove()
                db.engine.dispose()
        finally:
            for proc in sinks:
                proc.stdin.close()
                proc.wait(timeout=30)
    for name, pair in (("plain", plain), ("starttls_auth", tls)):
        for key_, value in pair.items():
            results[f"{name}_{key_}"] = value
    return results
