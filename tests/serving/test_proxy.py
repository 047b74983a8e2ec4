"""ProxyFix only with COOPCRM_BEHIND_PROXY; secure cookies with an https COOPCRM_BASE_URL."""

from __future__ import annotations

import pytest
from flask import request

from coopcrm import create_app
from coopcrm.extensions import db
from coopcrm.logs import StartupError

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "crm.coop.example", "X-Forwarded-Prefix": "/crm"}


@pytest.fixture
def build(app):
    """A second app on the suite's database, with settings of the test's choosing."""
    built = []

    def _build(**config):
        other = create_app({"TESTING": True, "SECRET_KEY": "k",
                            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            **config})

        @other.get("/_seen")
        def _seen():
            return {"remote_addr": request.remote_addr, "scheme": request.scheme,
                    "host": request.host, "script_root": request.script_root}

        built.append(other)
        return other

    yield _build
    for other in built:
        with other.app_context():
            db.engine.dispose()


def seen(app, headers=None):
    resp = app.test_client().get("/_seen", headers=headers or {},
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert resp.status_code == 200
    return resp.get_json()


def test_forwarded_headers_are_ignored_by_default(build):
    assert seen(build(), FORWARDED) == {"remote_addr": "127.0.0.1", "scheme": "http",
                                        "host": "localhost", "script_root": ""}


@pytest.mark.parametrize("flag", ["1", "true", "TRUE", " yes ", True])
def test_behind_the_proxy_they_count(build, flag):
    assert seen(build(BEHIND_PROXY=flag), FORWARDED) == {
        "remote_addr": "203.0.113.7", "scheme": "https", "host": "crm.coop.example",
        "script_root": "/crm"}


def test_only_the_last_proxy_is_trusted(build):
    app = build(BEHIND_PROXY="1")
    got = seen(app, {"X-Forwarded-For": "10.6.6.6, 203.0.113.7"})
    assert got["remote_addr"] == "203.0.113.7"


@pytest.mark.parametrize("flag", ["", "0", "false", "off", False])
def test_off_values(build, flag):
    assert seen(build(BEHIND_PROXY=flag), FORWARDED)["remote_addr"] == "127.0.0.1"


def test_a_bad_flag_is_refused_in_french(build):
    with pytest.raises(StartupError) as exc:
        build(BEHIND_PROXY="sometimes")
    assert exc.value.format_message() == ("COOPCRM_BEHIND_PROXY invalide « sometimes » : "
                                          "mettre 1 (oui) ou 0 (non).")


def test_https_base_url_means_secure_cookies(build):
    app = build(BASE_URL="https://crm.coop.example")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    resp = app.test_client().get("/connexion", base_url="https://crm.coop.example")
    cookie = resp.headers["Set-Cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie


def test_http_base_url_keeps_plain_cookies(build):
    app = build(BASE_URL="http://127.0.0.1:5000")
    assert not app.config["SESSION_COOKIE_SECURE"]
    assert not app.config.get("REMEMBER_COOKIE_SECURE")
    assert app.config["PREFERRED_URL_SCHEME"] == "http"
