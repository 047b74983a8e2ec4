"""Latency of `GET /healthz`: 200 requests through the test client and a real HTTP server.

A fresh migrated database (SQLite by default; a temporary PostgreSQL database
when COOPCRM_BENCH_DATABASE_URL names a server) with a fresh heartbeat and
1,000 queued emails, so every check runs its query on the healthy path.
The server is werkzeug's, in a thread, on a loopback port (one new connection
per request, as a monitor polls). Target: p95 < 50 ms through the server.
"""

from __future__ import annotations

import logging
import os
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench._databases import fresh_database

REQUESTS, WARMUP, TARGET_MS = 200, 10, 50
QUEUED = 1000


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
            "max_ms": round(ordered[-1], 2)}


def _timed(call) -> list[float]:
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(REQUESTS):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def _prepare(app) -> None:
    from flask_migrate import upgrade

    from coopcrm import clock
    from coopcrm.extensions import db
    from coopcrm.scheduler.services import record_heartbeat
    from coopcrm.sending.models import OutboxMessage

    with app.app_context():
        upgrade()
        now = clock.now()
        record_heartbeat(leader_since=now)
        db.session.add_all(OutboxMessage(idempotency_key=f"bench:{i}", template="bench",
                                         to_address=f"m{i}@example.org", next_attempt_dt=now)
                           for i in range(QUEUED))
        db.session.commit()


def run() -> dict:
    from werkzeug.serving import make_server

    from coopcrm import create_app
    from coopcrm.extensions import db

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    base = os.environ.get("COOPCRM_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp, fresh_database(base, Path(tmp), "healthz") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        _prepare(app)
        client = app.test_client()

        def via_client():
            assert client.get("/healthz").status_code == 200

        in_process = _timed(via_client)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        address = f"http://127.0.0.1:{server.server_port}/healthz"

        def via_http():
            with urllib.request.urlopen(address, timeout=10) as response:
                assert response.status == 200
                response.read()

        try:
            over_http = _timed(via_http)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            with app.app_context():
                db.engine.dispose()
    http = _stats(over_http)
    return {
        "database": "postgresql" if base else "sqlite",
        "requests": REQUESTS,
        "queued_emails": QUEUED,
        **{f"test_client_{k}": v for k, v in _stats(in_process).items()},
        **{f"http_{k}": v for k, v in http.items()},
        "target_p95_ms": TARGET_MS,
        "meets_target": http["p95_ms"] < TARGET_MS,
    }
