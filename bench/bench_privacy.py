"""Privacy figures (issue 14): subject-access export, anonymisation in bulk, read journal.

On a fresh database holding the demo group at 10,000 members (SQLite; and PostgreSQL
when COOPCRM_BENCH_DATABASE_URL names a server), each figure with its baseline from
the same run:

- export: `access.archive()` of a member given a 20-year history (bench/_history.py:
  ~300 emails, 80 receipts, moments, surveys, AGs, consents, 40 audited changes), against
  rendering that member's page in the same run; and of the demo's richest member as before;
- anonymisation of 10,000 members in one batch, against one UPDATE touching the same
  10,000 member rows;
- read journal: its size after 100,000 member-page views (rows as `reads.record` writes
  them, inserted in bulk), and the Consultations panel's query for one member, against
  the history panel's query (`member_audit`) for the same member; and the admin journal
  page filtered on that member, against the member page.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import _history
from bench._databases import fresh_database

MEMBERS = int(os.environ.get("COOPCRM_BENCH_MEMBERS", "10000"))
VIEWS = 100_000
RUNS = 15


def _median_ms(fn, runs: int = RUNS) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def _richest_member_id() -> int:
    from sqlalchemy import func, select

    from coopcrm.extensions import db
    from coopcrm.journeys.models import Moment

    return db.session.execute(select(Moment.member_id).group_by(Moment.member_id)
                              .order_by(func.count().desc()).limit(1)).scalar_one()


def _table_bytes(table: str) -> int | None:
    from sqlalchemy import text

    from coopcrm.extensions import db

    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(text(f"SELECT pg_total_relation_size('{table}')"))
    try:  # SQLite's dbstat virtual table, when compiled in
        return db.session.scalar(text(
            "SELECT SUM(pgsize) FROM dbstat WHERE name = :t OR name IN "
            "(SELECT name FROM sqlite_master WHERE tbl_name = :t AND type = 'index')"),
            {"t": table})
    except Exception:  # noqa: BLE001 - not every SQLite has dbstat
        db.session.rollback()
        return None


def _measure(url: str) -> dict:
    from sqlalchemy import insert, select, update

    from coopcrm import create_app
    from coopcrm.auth.models import User
    from coopcrm.extensions import db
    from coopcrm.members.models import Member
    from coopcrm.privacy import access, erasure, reads
    from coopcrm.privacy import services as privacy
    from coopcrm.privacy.models import MemberRead
    from coopcrm.seeding import demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "TESTING": True})
    out: dict = {}
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        demo.load(MEMBERS, random_seed=7)
        db.session.commit()
        out["demo_load_s"] = round(time.perf_counter() - start, 1)
        admin = db.session.scalars(select(User).where(User.role == "admin")).first()
        rich = db.session.get(Member, _richest_member_id())
        out["demo_richest_rows"] = sum(len(s.rows) for s in access.collect(rich.id))
        veteran_id = db.session.scalars(select(Member.id).where(
            Member.status == "cooperateur", Member.id != rich.id).order_by(Member.id)).first()
        out["history_rows_added"] = sum(_history.build(veteran_id, admin,
                                                       random.Random(11)).values())
        veteran = db.session.get(Member, veteran_id)
        out["export_member_rows"] = sum(len(s.rows) for s in access.collect(veteran_id))

        with app.test_request_context():
            from flask_login import login_user

            login_user(admin)
            view = app.view_functions["members.show"]
            out["export_ms"] = _median_ms(lambda: access.archive(veteran), runs=3)
            out["baseline_member_page_ms"] = _median_ms(lambda: view(member_id=veteran_id))
            out["demo_richest_export_ms"] = _median_ms(lambda: access.archive(rich), runs=3)
            out["demo_richest_page_ms"] = _median_ms(lambda: view(member_id=rich.id))
        out["export_ratio"] = round(out["export_ms"] / out["baseline_member_page_ms"], 2)

        # The read journal after 100,000 views spread over a year and over the file.
        ids = list(db.session.scalars(select(Member.id)))
        rng = random.Random(3)
        now = datetime(2027, 1, 1, tzinfo=UTC)
        rows = [{"member_id": rng.choice(ids), "user_id": admin.id, "kind": "page",
                 "read_dt": now - timedelta(minutes=rng.randint(0, 525_600))}
                for _ in range(VIEWS)]
        rows += [{"member_id": rich.id, "user_id": admin.id, "kind": "page",
                  "read_dt": now - timedelta(days=d)} for d in range(60)]
        for i in range(0, len(rows), 10_000):
            db.session.execute(insert(MemberRead), rows[i:i + 10_000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE member_reads")
        out["reads_rows"] = reads.count()
        size = _table_bytes("member_reads")
        out["reads_table_mb"] = round(size / 1e6, 1) if size else "n/a (no dbstat)"
        out["consultations_ms"] = _median_ms(lambda: reads.of_member(rich.id).items)
        out["baseline_history_ms"] = _median_ms(lambda: privacy.member_audit(rich.id).items)
        out["consultations_ratio"] = round(out["consultations_ms"]
                                           / max(out["baseline_history_ms"], 0.1), 2)
        journal = app.view_functions["privacy.reads_journal"]
        with app.test_request_context(f"/admin/consultations?membre={rich.id}"):
            from flask_login import login_user

            login_user(admin)
            out["journal_page_ms"] = _median_ms(journal)
            view = app.view_functions["members.show"]
            out["baseline_journal_member_page_ms"] = _median_ms(lambda: view(member_id=rich.id))
        out["journal_ratio"] = round(out["journal_page_ms"]
                                     / out["baseline_journal_member_page_ms"], 2)

        # 10,000 anonymised in one batch, against one UPDATE over the same rows.
        batch = ids[:10_000]
        start = time.perf_counter()
        for i in range(0, len(batch), 500):
            db.session.execute(update(Member).where(Member.id.in_(batch[i:i + 500]))
                               .values(updated_dt=now))
        db.session.commit()
        out["baseline_update_10k_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        done = erasure.anonymise(batch, reason="bench", user=admin)
        db.session.commit()
        out["anonymise_10k_s"] = round(time.perf_counter() - start, 2)
        out["anonymised"] = done
        out["anonymise_ratio"] = round(out["anonymise_10k_s"]
                                       / max(out["baseline_update_10k_s"], 0.01), 1)
        db.session.remove()
        db.engine.dispose()
    return out


def run() -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", None)]
        if os.environ.get("COOPCRM_BENCH_DATABASE_URL"):
            targets.append(("postgresql", os.environ["COOPCRM_BENCH_DATABASE_URL"]))
        for label, base in targets:
            with fresh_database(base, Path(tmp), f"privacy_{label}") as url:
                for key, value in _measure(url).items():
                    results[f"{label}.{key}"] = value
    return results
