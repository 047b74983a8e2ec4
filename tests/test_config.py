"""Settings: one list (config.SETTINGS), read from the environment, documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coopcrm import config

ROOT = Path(__file__).resolve().parents[1]
# Flask's and its extensions' own keys, which the code reads but we do not set from COOPCRM_*.
FRAMEWORK_KEYS = {"TESTING", "DEBUG", "SERVER_NAME", "TRUSTED_HOSTS", "SQLALCHEMY_DATABASE_URI",
                  "SESSION_COOKIE_SECURE", "PREFERRED_URL_SCHEME", "REMEMBER_COOKIE_SECURE"}


def _readme_table_variables() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(COOPCRM_[A-Z0-9_]+)`", section, flags=re.M)


def test_the_readme_table_lists_every_setting_once():
    documented = _readme_table_variables()
    assert len(documented) == len(set(documented))
    assert set(documented) == {s.env for s in config.SETTINGS} | {"COOPCRM_INSTANCE_PATH"}


def test_every_config_key_the_code_reads_is_a_setting_or_a_constant():
    known = {s.key for s in config.SETTINGS} | set(config.CONSTANTS) | FRAMEWORK_KEYS
    read = set()
    for path in (ROOT / "coopcrm").rglob("*.py"):
        read |= set(re.findall(r"config(?:\.get\(|\[)\s*\"([A-Z][A-Z0-9_]+)\"",
                               path.read_text(encoding="utf-8")))
    assert read - known == set()


def test_only_config_reads_coopcrm_variables():
    readers = []
    for path in (ROOT / "coopcrm").rglob("*.py"):
        if path.name == "config.py":
            continue
        if re.search(r"environ(?:\.get\(|\[)\s*[\"']COOPCRM_", path.read_text(encoding="utf-8")):
            readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def test_values_come_from_the_environment(tmp_path):
    values = config.load(str(tmp_path), {
        "COOPCRM_SECRET_KEY_FALLBACKS": "old-one, older-one",
        "COOPCRM_LINK_UNSUBSCRIBE_MAX_AGE_DAYS": "365",
        "COOPCRM_CONTACT_EMAIL": "contact@coop.example",
        "COOPCRM_UNSUBSCRIBE_MAILTO": "desabonnement@coop.example",
        "COOPCRM_MAX_UPLOAD_MB": "5",
        "COOPCRM_BASE_URL": "https://vie.coop.example/",
        "COOPCRM_DATABASE_URL": "postgres://u@db/coop",
        "COOPCRM_CONSENT_PROOF_MAX_MB": "3",
        "COOPCRM_RETENTION_INBOX_MONTHS": "6",
    })
    assert values["SECRET_KEY_FALLBACKS"] == ["old-one", "older-one"]
    assert values["LINK_UNSUBSCRIBE_MAX_AGE_DAYS"] == 365
    assert values["CONTACT_EMAIL"] == "contact@coop.example"
    assert values["UNSUBSCRIBE_MAILTO"] == "desabonnement@coop.example"
    assert values["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    assert values["BASE_URL"] == "https://vie.coop.example"
    assert values["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/coop"
    assert values["CONSENT_PROOF_MAX_MB"] == 3 and values["RETENTION_INBOX_MONTHS"] == 6
    # No secret given: one is made and kept in the instance folder, private.
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == values["SECRET_KEY"] and key_file.stat().st_mode & 0o077 == 0
    assert config.load(str(tmp_path), {})["SECRET_KEY"] == values["SECRET_KEY"]


@pytest.mark.parametrize("variable, value", [
    ("COOPCRM_BASE_URL", "vie.coop.example"),
    ("COOPCRM_SMTP_URL", "smtp://"),
    ("COOPCRM_DATABASE_URL", "oracle://x"),
    ("COOPCRM_SMTP_RATE", "-1"),
    ("COOPCRM_SMTP_RATE", "nan"),
    ("COOPCRM_BOUNCE_SOFT_LIMIT", "0"),
    ("COOPCRM_CONSENT_PROOF_MAX_MB", "0"),
    ("COOPCRM_RETENTION_INBOX_MONTHS", "0"),
    ("COOPCRM_RETENTION_INBOX_MONTHS", "121"),
    # Below what the law asks (Code de commerce L123-22): refused as in the admin page.
    ("COOPCRM_RETENTION_SHARE_REGISTER_YEARS", "9"),
])
def test_impossible_values_are_refused_in_french(tmp_path, variable, value):
    with pytest.raises(config.ConfigError, match=variable):
        config.load(str(tmp_path), {variable: value})


def test_secrets_are_masked(tmp_path):
    values = config.load(str(tmp_path), {
        "COOPCRM_SECRET_KEY": "k" * 40, "COOPCRM_SECRET_KEY_FALLBACKS": "old",
        "COOPCRM_DATABASE_URL": "postgresql://coop:pw-db@db/coop",
        "COOPCRM_SMTP_URL": "smtp://u:pw-smtp@relay:587"})
    shown = dict(config.effective(values))
    assert shown["COOPCRM_SECRET_KEY"] == "***"
    assert shown["COOPCRM_SECRET_KEY_FALLBACKS"] == "1 clé(s)"
    assert "pw-db" not in shown["COOPCRM_DATABASE_URL"]
    assert "pw-smtp" not in shown["COOPCRM_SMTP_URL"]


def test_production_needs_a_secret_key():
    assert config.problems({"COOPCRM_BASE_URL": "http://127.0.0.1:5000"}) == []
    assert config.problems({"COOPCRM_BASE_URL": "https://vie.coop.example"})
    assert config.problems({"COOPCRM_BASE_URL": "https://vie.coop.example",
                            "COOPCRM_SECRET_KEY": "x" * 48, "COOPCRM_BEHIND_PROXY": "1"}) == []


def test_an_https_address_needs_the_proxy_setting():
    """coopcrm serve speaks http: https means nginx in front, whose address every client
    would share without COOPCRM_BEHIND_PROXY (and the sign-in throttle would lock all)."""
    key = {"COOPCRM_SECRET_KEY": "x" * 48}
    [problem] = config.problems({"COOPCRM_BASE_URL": "https://vie.coop.example", **key})
    assert "COOPCRM_BEHIND_PROXY=1" in problem
    assert config.problems({"COOPCRM_BASE_URL": "http://crm.coop.example", **key}) == []
    assert config.problems({"COOPCRM_BASE_URL": "https://localhost:5000"}) == []


def test_postgresql_connections_give_up_in_seconds():
    from coopcrm import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://coop@127.0.0.1:9/coop"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["connect_timeout"] == 10


def test_the_schema_check_tells_behind_from_newer(app):
    """A database at an older revision must be upgraded; at an unknown one, the code is old."""
    from coopcrm.schema import SchemaState, head_revisions, known_revisions

    [head] = head_revisions()
    older = sorted(known_revisions() - {head})[0]
    assert SchemaState((head,), (head,), known_revisions()).problem_fr() == ""
    behind = SchemaState((older,), (head,), known_revisions()).problem_fr()
    assert "lancez `coopcrm db upgrade`" in behind and "récente" not in behind
    newer = SchemaState(("0123abcd",), (head,), known_revisions()).problem_fr()
    assert "plus récente" in newer
    assert "coopcrm db upgrade" in SchemaState((), (head,), known_revisions()).problem_fr()
