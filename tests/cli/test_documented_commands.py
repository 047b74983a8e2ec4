"""Every command the README lists, run as a user runs it, on a fresh database.

The console script runs in a subprocess from an empty folder; the test pushes
no app context. The last assertion reads the README's command table and fails
if a documented command was not exercised here.
"""

from __future__ import annotations

import csv
import io
import json
import mailbox
import re
import signal
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from email import policy
from email.parser import BytesParser
from pathlib import Path

import openpyxl

from tests.cli.mua import mua_reply
from tests.helpers import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
PASSWORD = "mot-de-passe-du-bureau-2027"  # not containing the name or the address

DSN = """From: MAILER-DAEMON@mx.example
To: vie@coop.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-smoke-1@mx.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Votre message n'a pas pu etre remis.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 no such user

--B--
"""


# Documented commands whose run needs data of their own: the module that runs them.
ELSEWHERE = {f"campaigns {verb}": "test_campaigns.py"
             for verb in ("list", "show", "pause", "resume", "cancel")}


def documented_commands() -> set[str]:
    """`coopcrm X [Y]` of each row of the README's command table."""
    found = set()
    for line in README.read_text(encoding="utf-8").splitlines():
        for cell in re.findall(r"`coopcrm ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", line):
            words = cell.split()
            found.add(" ".join(w for w in words[:2] if not w.startswith("-")))
    return found


def _wait_for_port(port: int, proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode}: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def _lines_of(stream) -> list[str]:
    """The lines of `stream` as they come, read by a thread (a pipe never fills up)."""
    lines: list[str] = []

    def read() -> None:
        for line in stream:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _stop(proc) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    return out, err


def _messages(maildir: Path) -> list:
    box = mailbox.Maildir(maildir, factory=None, create=False)
    return [BytesParser(policy=policy.default).parsebytes(box.get_bytes(k)) for k in box.keys()]


def _browse_as_admin(base: str) -> None:
    """Log in and open the pages that need the shipped templates, emails and seeds."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    login = opener.open(base + "/connexion", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": "admin@coop.example",
                                   "password": PASSWORD}).encode()
    home = opener.open(base + "/connexion", data=form, timeout=10)
    assert "/connexion" not in home.geturl(), "login refused"
    outbox = opener.open(base + "/envois", timeout=10).read().decode()
    assert "newsletter_edition" in outbox or "convocation" in outbox  # the shipped templates
    cycle = opener.open(base + "/lettres-d-information", timeout=10).read().decode()
    edition = re.search(r'href="(/lettres-d-information/editions/\d+)"', cycle).group(1)
    page = opener.open(base + edition, timeout=10)
    assert page.status == 200
    # `members export` is in the security log, with its file and row count.
    log = opener.open(base + "/admin/journal-securite?type=export", timeout=10).read().decode()
    assert "membres.csv : " in log and "ligne de commande" in log


def test_every_documented_command(installation, tmp_path, restored_database):
    run = installation.run
    ran = installation.ran

    # A new install: nothing works before the migrations, and says so in French.
    refused = run("outbox", "status", ok=False)
    assert refused.returncode != 0 and "coopcrm db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr

    run("db", "upgrade")
    assert "Configuration valide" in run("config", "check").stdout
    assert "ajoutées" in run("seed", "reference").stdout

    created = run("users", "create", "--email", "admin@coop.example", "--name", "Admin",
                  "--role", "admin", "--all-entities", "--password-stdin", stdin=PASSWORD + "\n")
    assert "Utilisateur créé : admin@coop.example" in created.stdout
    short = run("users", "create", "--email", "b@coop.example", "--name", "B",
                "--password-stdin", stdin="court\n", ok=False)
    assert short.returncode != 0 and "12" in short.stderr and "Traceback" not in short.stderr
    # The common-password list ships in the wheel: a long but well-known one is refused.
    common = run("users", "create", "--email", "c@coop.example", "--name", "C",
                 "--role", "admin", "--password-stdin", stdin="motdepasse123\n", ok=False)
    assert common.returncode != 0 and "les plus courants" in common.stderr

    assert "Démonstration chargée" in run("seed", "demo", "--members", "120",
                                         "--random-seed", "7").stdout
    assert run("seed", "demo", "--if-empty").returncode == 0

    # Export, read whole and parsed, in both formats; then import a new member.
    run("members", "export", str(tmp_path / "membres.csv"))
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "membres.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) >= 120
    run("members", "export", str(tmp_path / "membres.xlsx"))
    sheet = openpyxl.load_workbook(tmp_path / "membres.xlsx").active
    assert [c.value for c in sheet[1]] == list(rows[0].keys())
    assert sheet.max_row == len(rows) + 1
    header = ";".join(rows[0].keys())
    new_row = {key: "" for key in rows[0]}
    new_row.update({key: value for key, value in rows[0].items()
                    if key in ("entite", "parcours", "statut", "college", "nombre_parts",
                               "montant_parts", "date_signature")})
    new_row.update(nom="Nouvelle", prenom="Personne", email="nouvelle.personne@exemple.fr",
                   reference="SMOKE-0001")
    new_file = tmp_path / "nouveau.csv"
    new_file.write_text(header + "\n" + ";".join(new_row[k] for k in rows[0]) + "\n",
                        encoding="utf-8")
    dry = run("members", "import", str(new_file), "--dry-run", ok=False)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "à créer : 1" in dry.stdout
    assert "à créer : 1" in run("members", "import", str(new_file)).stdout

    # Privacy: the member's data, read whole, then their erasure; after it, nobody answers.
    archive = tmp_path / "acces.zip"
    assert "SMOKE-0001" in run("privacy", "export", "SMOKE-0001", "--out", str(archive)).stdout
    with zipfile.ZipFile(archive) as zf:
        exported = json.loads(zf.read("donnees.json"))
    assert exported["sections"]["members"]["rows"][0]["last_name"] == "Nouvelle"
    erased = run("privacy", "anonymise", "SMOKE-0001", "--reason", "Demande du 2 décembre",
                 "--yes")
    assert "Coopérateur anonymisé" in erased.stdout and "Effacé" in erased.stdout
    counted = run("privacy", "retention", "--dry-run").stdout
    assert "Prospects sans contact" in counted and "rien n'a été modifié" in counted
    applied = run("privacy", "retention").stdout
    assert "allégé" in applied and "reçu(s) vidé(s)" in applied
    gone = run("privacy", "export", "SMOKE-0001", "--out", str(archive), ok=False)
    assert gone.returncode == 1 and "Aucun coopérateur" in gone.stderr
    assert "Traceback" not in gone.stderr

    # Mail through a real SMTP server: the local mail catcher.
    smtp_port, http_port = free_port(), free_port()
    maildir = tmp_path / "catcher"
    catcher = installation.start("mailcatcher", "--smtp-port", str(smtp_port),
                                 "--http-port", str(http_port), "--maildir", str(maildir))
    try:
        _wait_for_port(smtp_port, catcher)
        installation.env["COOPCRM_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
        assert "En attente" in run("outbox", "status").stdout
        run("outbox", "flush")
        listing = run("jobs", "list").stdout
        assert "cycle.due" in listing and "sending.flush" in listing
        due = run("jobs", "run-due", "--now", "2027-01-15T09:30")
        assert "N°1 · 2027" in due.stdout, due.stdout
        run("jobs", "run", "sending.flush", "--now", "2027-01-15T09:31")
        newsletters = [m for m in _messages(maildir) if "N°1" in str(m["Subject"])]
        assert newsletters, "no newsletter reached the SMTP server"
        html = newsletters[0].get_body(("html",)).get_content()
        assert "<mj-" not in html and "<table" in html  # MJML compiled, not raw
        assert newsletters[0]["List-Unsubscribe"]
    finally:
        _stop(catcher)

    # A delivery status notification for one of the recipients.
    recipient = str(newsletters[0]["To"]).split("<")[-1].rstrip(">")
    dsn = tmp_path / "dsn" / "bounce.eml"
    dsn.parent.mkdir()
    dsn.write_text(DSN.format(recipient=recipient).replace("\n", "\r\n"), encoding="ascii")
    ingested = run("bounces", "ingest", str(dsn.parent))
    assert "1" in ingested.stdout
    assert run("bounces", "ingest", str(dsn.parent)).returncode == 0  # safe to rerun

    # A member's mail client answering the List-Unsubscribe mailto of the newsletter, read
    # by the job as of the day after the newsletter (its token is signed as of then), then
    # by the command: already done.
    unsubscribes = tmp_path / "desinscriptions"
    mailbox.Maildir(unsubscribes, create=True).add(mua_reply(newsletters[-1]))
    job = run("jobs", "run", "inbox.ingest", "--now", "2027-01-16T09:00",
              env={"COOPCRM_INBOX_URL": str(unsubscribes)})
    assert "1 désinscription(s)" in job.stdout, job.stdout
    assert "1 déjà traité(s)" in run("inbox", "ingest", str(unsubscribes)).stdout

    # The long-running processes start, work and stop cleanly on SIGTERM.
    scheduler = installation.start("scheduler", "--poll", "0.2")
    seen = _lines_of(scheduler.stderr)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and scheduler.poll() is None \
            and not any("scheduler is the leader" in line for line in seen):
        time.sleep(0.1)
    assert any("scheduler is the leader" in line for line in seen), seen
    scheduler.send_signal(signal.SIGTERM)
    assert scheduler.wait(timeout=30) == 0, seen

    port, mail_port, mailbox_port = free_port(), free_port(), free_port()
    dev = installation.start("dev", "--port", str(port), "--mail-port", str(mail_port),
                             "--mailbox-port", str(mailbox_port))
    try:
        _wait_for_port(port, dev)
        _browse_as_admin(f"http://127.0.0.1:{port}")
    finally:
        _stop(dev)

    # Production serving, then a backup restored into a second, empty database.
    port = free_port()
    server = installation.start("serve", "--port", str(port), "--workers", "1")
    try:
        _wait_for_port(port, server)
        _browse_as_admin(f"http://127.0.0.1:{port}")
        try:
            health = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
        except urllib.error.HTTPError as degraded:  # 503 with the same JSON
            health = degraded
        report = json.loads(health.read())
        assert report["database"]["ok"] and report["migrations"]["ok"], report
    finally:
        _, err = _stop(server)
    assert server.returncode == 0 and '"GET /envois' in err  # the access log

    backup = tmp_path / "coopcrm.sauvegarde"
    assert "Sauvegarde écrite" in run("backup", str(backup)).stdout
    second = restored_database()
    run("restore", str(backup), env={"COOPCRM_DATABASE_URL": second})
    again = run("outbox", "status", env={"COOPCRM_DATABASE_URL": second}).stdout
    assert again == run("outbox", "status").stdout

    exercised = {" ".join(args[:2]) for args in ran} | {args[0] for args in ran}
    for command, module in ELSEWHERE.items():  # run by their own test, with their own data
        words = ", ".join(f'"{w}"' for w in command.split())
        assert f"run({words}" in (Path(__file__).parent / module).read_text(encoding="utf-8")
        exercised.add(command)
    missing = documented_commands() - exercised
    assert not missing, f"documented but not run here: {sorted(missing)}"
