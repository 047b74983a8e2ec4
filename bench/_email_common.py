"""Shared set-up for the email benchmarks: an app on a scratch database, N members."""

from __future__ import annotations

import os
import tempfile

from sqlalchemy import insert, select, text


def make_app(tmpdir: str):
    """COOPCRM_BENCH_DATABASE_URL (PostgreSQL, emptied) or a SQLite file in `tmpdir`."""
    from coopcrm import create_app
    from coopcrm.config import _database_url

    url = os.environ.get("COOPCRM_BENCH_DATABASE_URL") or f"sqlite:///{tmpdir}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database_url(url, ""), "SECRET_KEY": "bench",
                      "BASE_URL": "https://coop.example",
                      "MAIL_FROM": "Vie coopérative <vie@coop.example>"})
    from coopcrm.extensions import db

    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def add_members(n: int) -> list:
    """Insert n members with Core; return rows shaped like enqueue_many expects."""
    from coopcrm.extensions import db
    from coopcrm.members.models import Member

    db.session.execute(insert(Member), [
        {"last_name": f"Nom{i}", "first_name": f"Prénom{i}", "civility": "Mme",
         "email": f"membre{i}@exemple.test", "email_status": "valid", "track": "accession",
         "status": "cooperateur", "search_text": ""}
        for i in range(n)
    ])
    db.session.commit()
    return db.session.execute(select(
        Member.id, Member.email, Member.email_status, Member.first_name, Member.last_name,
        Member.civility, Member.anonymised_dt,
    ).order_by(Member.id)).all()


def tempdir():
    return tempfile.TemporaryDirectory(prefix="coopcrm-bench-")


def vacuum(app) -> None:
    from coopcrm.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
