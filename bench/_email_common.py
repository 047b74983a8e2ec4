"""Shared set-up for the email benchmarks: an app on a scratch database, N members."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile

from sqlalchemy import insert, select, text

SINK_USER, SINK_PASSWORD = "bench", "bench-password"
# A local SMTP sink in its own process (so it does not share our GIL): accepts
# everything and offers PIPELINING, as Postfix and Exim do; STARTTLS + AUTH when given
# a certificate.
SINK = """
import logging, ssl, sys, warnings
warnings.simplefilter("ignore")  # aiosmtpd's own deprecation notices, once per login
logging.getLogger("mail.log").setLevel(logging.ERROR)  # …which it also logs, once per login
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
class Sink:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING", responses[-1]]  # as Postfix, Exim do

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
kwargs = {}
if cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    kwargs = dict(tls_context=ctx, require_starttls=True, auth_required=True,
                  authenticator=lambda *a: AuthResult(success=(a[4].login, a[4].password)
                                                      == (b"USER", b"PASSWORD"), handled=False))
c = Controller(Sink(), hostname="127.0.0.1", port=port, **kwargs)
c.start()
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.read()
c.stop()
""".replace("USER", SINK_USER).replace("PASSWORD", SINK_PASSWORD)


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int, cert: str = "", key: str = "") -> subprocess.Popen:
    """The sink on `port`, ready; stop it by closing its stdin."""
    proc = subprocess.Popen([sys.executable, "-c", SINK, str(port), cert, key],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


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
