"""Who is due for a newsletter edition, on 1,000,000 members.

A fresh database (a temporary PostgreSQL database when
COOPCRM_BENCH_DATABASE_URL names a server, as the issue asks; SQLite
otherwise) gets COOPCRM_BENCH_MEMBERS members (default 1,000,000) generated
in SQL: varied statuses, signature dates over ten years, consents and email
statuses. A third of those due already hold a receipt for the edition (a send
resumed after a crash, or a late send). Timed, best of RUNS:

- the app's own due query (`cycle.due.due_query`), fetching every id;
- the same as a COUNT (`cycle.due.count_due`, what the cycle page shows);
- a bare `SELECT count(*)` with the same member filter and no receipt check;
- once, what the job does with it: receipts claimed by `INSERT … SELECT` in
  chunks of 5,000 walking the ids (rolled back afterwards).

The figure is the due query's time and its ratio to the bare count.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._databases import fresh_database

MEMBERS = int(os.environ.get("COOPCRM_BENCH_MEMBERS", "1000000"))
RUNS = 5
NOW = datetime(2027, 1, 15, 8, 5, tzinfo=UTC)

# Pseudo-random but reproducible columns from the row number n.
_COLUMNS = """
    civility, first_name, last_name, email, phone, address, postal_code, city, track, status,
    share_count, share_amount, reservation_signed_on, newsletter_consent,
    newsletter_consent_source, econvocation_consent, econvocation_consent_source, email_status,
    search_text, created_dt, updated_dt
"""
_VALUES = """
    '', 'Prénom', 'Nom' || n,
    CASE WHEN n % 10 < 8 THEN 'membre' || n || '@exemple.fr' END,
    '', '', '', '', CASE WHEN n % 2 = 0 THEN 'accession' ELSE 'locatif' END,
    CASE WHEN n % 10 < 8 THEN 'cooperateur' WHEN n % 10 = 8 THEN 'prospect' ELSE 'ancien' END,
    1, 16, {signed}, (n * 7) % 10 < 6, '', false, '',
    CASE WHEN (n * 13) % 20 = 0 THEN 'bounced' WHEN (n * 13) % 20 = 1 THEN 'unsubscribed'
         ELSE 'valid' END,
    'nom' || n, :now, :now
"""
_SIGNED = {
    "postgresql": "CASE WHEN n % 7 = 0 THEN NULL ELSE DATE '2017-01-01' + ((n * 31) % 3700) END",
    "sqlite": "CASE WHEN n % 7 = 0 THEN NULL "
              "ELSE date('2017-01-01', '+' || ((n * 31) % 3700) || ' days') END",
}
_NUMBERS = {
    "postgresql": "SELECT g AS n FROM generate_series(1, :count) AS g",
    "sqlite": "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count) "
              "SELECT n FROM g",
}


def _populate(db) -> float:
    from sqlalchemy import text

    from coopcrm.cycle.models import NewsletterIssue
    from coopcrm.cycle.schedule import ensure_editions

    dialect = db.engine.dialect.name
    t0 = time.perf_counter()
    numbers = _NUMBERS[dialect]
    sql = (f"INSERT INTO members ({_COLUMNS}) SELECT {_VALUES.format(signed=_SIGNED[dialect])} "
           f"FROM ({numbers}) AS numbers")
    stored_now = NOW if dialect == "postgresql" else NOW.replace(tzinfo=None)
    db.session.execute(text(sql), {"count": MEMBERS, "now": stored_now})
    for number, month in ((1, 1), (2, 6), (3, 9)):
        db.session.add(NewsletterIssue(number=number, theme=f"N°{number}", send_month=month,
                                       send_day=15, title=f"N°{number}"))
    db.session.flush()
    ensure_editions(datetime(2026, 12, 1, tzinfo=UTC))
    db.session.commit()
    edition = _edition(db)
    # A third of the due members already received it (a resumed or late send).
    db.session.execute(text(
        "INSERT INTO newsletter_receipts (edition_id, member_id, outcome, decided_dt) "
        "SELECT :edition, id, 'sent', :now FROM members WHERE id % 3 = 0"),
        {"edition": edition.id, "now": stored_now})
    db.session.commit()
    if dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - t0


def _edition(db):
    from sqlalchemy import select

    from coopcrm.cycle.models import Edition

    return db.session.scalars(select(Edition).order_by(Edition.send_dt)).first()


def _best(fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def run() -> dict:
    base_url = os.environ.get("COOPCRM_BENCH_DATABASE_URL")
    from sqlalchemy import func, select

    from coopcrm import create_app
    from coopcrm.cycle import due, schedule
    from coopcrm.extensions import db
    from coopcrm.members.models import Member

    with tempfile.TemporaryDirectory() as tmp_name, \
            fresh_database(base_url, Path(tmp_name), "cycle") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            db.create_all()
            populate_s = _populate(db)
            edition = _edition(db)
            on = schedule.local_date(edition.send_dt)
            query = due.due_query(edition)
            bare = select(func.count()).select_from(Member).where(*due.eligible(on))

            due_s, ids = _best(lambda: db.session.scalars(query).all())
            count_s, count = _best(lambda: due.count_due(edition))
            bare_s, bare_count = _best(lambda: db.session.scalar(bare))
            # What the job does with them: receipts claimed chunk by chunk (then rolled back).
            from datetime import timedelta

            t0 = time.perf_counter()
            claimed, after = 0, 0
            while True:
                chunk_ids = due._claim(edition, "sent", NOW + timedelta(minutes=5), due.CHUNK,
                                       after)
                claimed += len(chunk_ids)
                if len(chunk_ids) < due.CHUNK:
                    break
                after = max(chunk_ids)
            claim_s = time.perf_counter() - t0
            db.session.rollback()
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
    return {
        "database": dialect,
        "members": MEMBERS,
        "populate_s": round(populate_s, 1),
        "eligible (bare filter)": bare_count,
        "due now (eligible, no receipt)": len(ids),
        "due query, all ids fetched, s": round(due_s, 3),
        "due count, s": round(count_s, 3),
        "bare count(*) same filter, s": round(bare_s, 3),
        "due query / bare count": round(due_s / bare_s, 2),
        "due count / bare count": round(count_s / bare_s, 2),
        "claim every due member in chunks of 5,000 (INSERT … SELECT), s": round(claim_s, 3),
        "claim / bare count": round(claim_s / bare_s, 2),
        "counts agree": count == len(ids) == claimed,
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
