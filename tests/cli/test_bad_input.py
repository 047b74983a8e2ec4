"""A command given bad input answers one French line and a non-zero exit, never a traceback."""

from __future__ import annotations

import socket

import pytest

from tests.helpers import free_port


def _one_french_line(proc, *expected: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_database_not_migrated(installation):
    _one_french_line(installation.run("jobs", "list", ok=False), "coopcrm db upgrade")


def test_database_unreachable(installation):
    port = free_port()  # nothing listens there
    proc = installation.run("outbox", "status", ok=False, env={
        "COOPCRM_DATABASE_URL": f"postgresql://coopcrm@127.0.0.1:{port}/coopcrm"})
    _one_french_line(proc, "Base de données injoignable")


@pytest.mark.parametrize("variable, value, expected", [
    ("COOPCRM_DATABASE_URL", "mysql://x@y/z", "COOPCRM_DATABASE_URL"),
    ("COOPCRM_SMTP_URL", "http://relay.example", "COOPCRM_SMTP_URL"),
    ("COOPCRM_OUTBOX_BATCH_SIZE", "beaucoup", "COOPCRM_OUTBOX_BATCH_SIZE"),
    ("COOPCRM_LOG_LEVEL", "BAVARD", "COOPCRM_LOG_LEVEL"),
])
def test_impossible_setting(installation, variable, value, expected):
    proc = installation.run("outbox", "status", ok=False, env={variable: value})
    _one_french_line(proc, "Configuration invalide", expected)
    check = installation.run("config", "check", ok=False, env={variable: value})
    assert check.returncode == 2 and expected in check.stderr and "Traceback" not in check.stderr


def test_config_check_wants_a_secret_key_for_a_public_address(installation):
    proc = installation.run("config", "check", ok=False, env={
        "COOPCRM_BASE_URL": "https://vie.coop.example", "COOPCRM_SECRET_KEY": ""})
    assert proc.returncode == 2 and "COOPCRM_SECRET_KEY" in proc.stderr


def test_config_check_masks_secrets(installation):
    proc = installation.run("config", "check", env={
        "COOPCRM_SMTP_URL": "smtp://relay:s3cr3t-pass@relay.example:587?starttls=1"})
    assert "s3cr3t-pass" not in proc.stdout and "cli-tests-secret-key" not in proc.stdout
    assert "COOPCRM_SMTP_URL = smtp://relay:***@relay.example:587" in proc.stdout


def test_missing_file(installation, tmp_path):
    installation.run("db", "upgrade")
    for args in (("members", "import", str(tmp_path / "absent.csv")),
                 ("bounces", "ingest", str(tmp_path / "absent"))):
        _one_french_line(installation.run(*args, ok=False), "absent", "introuvable")


def test_unknown_command_and_bad_option(installation):
    installation.run("db", "upgrade")
    _one_french_line(installation.run("membres", ok=False), "Commande inconnue")
    _one_french_line(installation.run("jobs", "run-due", "--now", "demain", ok=False),
                     "--now", "date invalide")


def test_port_in_use(installation):
    installation.run("db", "upgrade")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = installation.run("mailcatcher", "--smtp-port", str(port),
                                "--http-port", str(free_port()), ok=False)
        _one_french_line(proc, str(port))
        proc = installation.run("dev", "--port", str(free_port()), "--mail-port", str(port),
                                "--mailbox-port", str(free_port()), ok=False)
        _one_french_line(proc, str(port), "déjà utilisé")
