"""`coopcrm serve` run as an operator runs it: gunicorn on a loopback port, a migrated database."""

from __future__ import annotations

import re
import socket
import urllib.parse
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.databases import with_driver
from tests.helpers import free_port
from tests.serving.helpers import (
    LINE_START,
    Database,
    Server,
    environment,
    get,
    migrate,
    post,
    run,
)

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated database for the module's servers (none of them writes to it)."""
    tmp = tmp_path_factory.mktemp("serve")
    db = Database(tmp)
    migrate(environment(db, tmp))
    yield db, tmp
    db.drop()


def start(db, tmp, *args: str, **env: str) -> tuple[Server, int]:
    port = free_port()
    server = Server(["serve", "--port", str(port), *args], environment(db, tmp, **env))
    server.wait_until_answering(port)
    return server, port


def access_line(server: Server, probe: str) -> str:
    return server.wait_for_line(
        rf'gunicorn\.access .*"GET /connexion\?probe={probe} HTTP/1\.1" 200')


@pytest.fixture(scope="module")
def plain(migrated):
    """Straight on http, no proxy setting."""
    server, port = start(*migrated, "--workers", "2",
                         COOPCRM_BASE_URL=f"http://127.0.0.1:{free_port()}")
    yield server, port
    server.stop()


@pytest.fixture(scope="module")
def proxied(migrated):
    """Behind a (pretend) nginx at an https address."""
    server, port = start(*migrated, COOPCRM_BASE_URL="https://crm.coop.example",
                         COOPCRM_BEHIND_PROXY="1", COOPCRM_WEB_WORKERS="1")
    yield server, port
    server.stop()


def test_the_login_page_answers_and_the_access_log_has_its_line(plain):
    server, port = plain
    probe = uuid.uuid4().hex
    resp = get(port, f"/connexion?probe={probe}", {"User-Agent": "sonde-test"})
    assert resp.status == 200
    assert 'name="csrf_token"' in resp.body and "</html>" in resp.body
    line = access_line(server, probe)
    assert LINE_START.match(line), line
    assert line.split(" INFO gunicorn.access ")[1].startswith('127.0.0.1 "GET /connexion?probe=')
    assert line.endswith('"sonde-test"')
    # gunicorn's own lines share the format: one format for the whole process
    assert LINE_START.match(server.wait_for_line(r"gunicorn\.error Listening at: http://127"))


def test_a_link_token_never_reaches_the_access_log(plain):
    server, port = plain
    probe = uuid.uuid4().hex
    resp = get(port, f"/s/{probe}", {"Referer": f"https://mail.example/u/{probe}x"})
    assert resp.status in (200, 404)
    line = server.wait_for_line(r'gunicorn\.access .*"GET /s/… HTTP/1\.1"')
    assert probe not in line and '"https://mail.example/u/…"' in line
    assert not any(probe in seen for seen in server.lines)


def test_two_workers_are_started(plain):
    server, _port = plain
    server.wait_for_line(r"Using worker: gthread")
    server.wait_for_line(r"Booting worker with pid")
    first = server.lines.index(server.wait_for_line(r"Booting worker with pid"))
    second = server.wait_for_line(r"Booting worker with pid: (?!"
                                  + server.lines[first].rsplit(" ", 1)[1] + r"$)\d+$")
    assert second != server.lines[first]


def test_without_the_proxy_setting_forwarded_headers_are_ignored(plain):
    server, port = plain
    probe = uuid.uuid4().hex
    resp = get(port, f"/connexion?probe={probe}", {
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/crm"})
    assert resp.status == 200
    assert "/crm/" not in resp.body and 'href="/static/app.css' in resp.body
    assert '127.0.0.1 "GET' in access_line(server, probe)
    # http base URL: the cookie may travel over http
    cookie = resp.header_values("Set-Cookie")[0]
    assert "HttpOnly" in cookie and "Secure" not in cookie


def test_behind_the_proxy_the_forwarded_client_and_prefix_count(proxied):
    server, port = proxied
    probe = uuid.uuid4().hex
    resp = get(port, f"/connexion?probe={probe}", {
        "X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "crm.coop.example", "X-Forwarded-Prefix": "/crm"})
    assert resp.status == 200
    assert 'href="/crm/static/app.css' in resp.body
    # one proxy trusted: the address it saw, never what the client wrote before it
    assert '203.0.113.7 "GET' in access_line(server, probe)


def test_an_https_base_url_makes_the_session_cookie_secure(proxied):
    _server, port = proxied
    resp = get(port, "/connexion", {"X-Forwarded-Proto": "https"})
    cookies = resp.header_values("Set-Cookie")
    assert cookies, resp.headers
    attributes = [a.strip().lower() for a in cookies[0].split(";")]
    assert "secure" in attributes and "httponly" in attributes and "samesite=lax" in attributes


def test_sigterm_stops_it_cleanly(migrated):
    server, port = start(*migrated, "--workers", "2")
    assert get(port, "/connexion").status == 200
    assert server.stop() == 0
    server.wait_for_line(r"Handling signal: term")
    server.wait_for_line(r"Shutting down: Master")
    assert not any("Traceback" in line for line in server.lines), server.lines
    with pytest.raises(OSError):
        get(port, "/connexion")


def test_a_crashing_request_is_logged_with_its_traceback(tmp_path):
    db = Database(tmp_path)
    try:
        migrate(environment(db, tmp_path))
        server, port = start(db, tmp_path)
        try:
            # Behind the running server's back, the login query loses its table.
            engine = create_engine(make_url(with_driver(db.url)))
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE users RENAME TO users_gone"))
            engine.dispose()
            page = get(port, "/connexion")
            token = TOKEN.search(page.body).group(1)
            cookie = page.header_values("Set-Cookie")[0].split(";")[0]
            form = urllib.parse.urlencode({"csrf_token": token, "email": "a@coop.example",
                                           "password": "x" * 12})
            resp = post(port, "/connexion", form, {
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            assert resp.status == 500
            assert "Erreur interne" in resp.body
            line = server.wait_for_line(r"ERROR coopcrm Exception on /connexion \[POST\]")
            assert LINE_START.match(line)
            at = server.lines.index(line)
            server.wait_for_line(r"^Traceback \(most recent call last\):")
            assert server.lines[at + 1] == "Traceback (most recent call last):"
        finally:
            assert server.stop() == 0
    finally:
        db.drop()


def test_a_port_in_use_is_one_french_line(migrated):
    db, tmp = migrated
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(["serve", "--port", str(port)], environment(db, tmp))
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert lines[-1] == (f"Erreur : Le port {port} est déjà utilisé (CoopCRM tourne peut-être "
                         f"déjà ?) : arrêtez l'autre programme ou choisissez un autre port, "
                         f"ex. coopcrm serve --port {port + 1}")
    assert all(LINE_START.match(line) for line in lines[:-1]), lines  # nothing but log lines
    assert "Traceback" not in done.stderr and "gunicorn" not in done.stderr


PREFIX = "Configuration invalide : "


@pytest.mark.parametrize("env, expected", [
    ({"COOPCRM_LOG_LEVEL": "bavard"}, "COOPCRM_LOG_LEVEL : niveau « bavard » inconnu : "
                                      "DEBUG, INFO, WARNING, ERROR ou CRITICAL."),
    ({"COOPCRM_BEHIND_PROXY": "peut-être"}, "COOPCRM_BEHIND_PROXY : 1 ou 0 attendu, "
                                            "pas « peut-être »."),
    ({"COOPCRM_WEB_WORKERS": "deux"}, "COOPCRM_WEB_WORKERS : nombre entier attendu, "
                                      "pas « deux »."),
    ({"COOPCRM_DATABASE_URL": "nosuchdb://x"}, "COOPCRM_DATABASE_URL : base « nosuchdb » non "
                                               "prise en charge : attendu sqlite:///chemin ou "
                                               "postgresql://utilisateur@serveur/base."),
])
def test_bad_settings_stop_the_start_in_one_french_line(migrated, env, expected):
    db, tmp = migrated
    done = run(["serve", "--port", str(free_port())], environment(db, tmp, **env))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [PREFIX + expected]


def test_a_bad_log_level_stops_every_command(migrated):
    db, tmp = migrated
    done = run(["jobs", "list"], environment(db, tmp, COOPCRM_LOG_LEVEL="LOUD\nforged"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [PREFIX + "COOPCRM_LOG_LEVEL : niveau « LOUD\\nforged » "
                                        "inconnu : DEBUG, INFO, WARNING, ERROR ou CRITICAL."]


def test_security_headers_and_no_version_under_gunicorn(plain, proxied):
    _server, port = plain
    resp = get(port, "/connexion")
    (server_header,) = resp.header_values("Server")
    assert not re.search(r"\d", server_header), server_header  # gunicorn ≥ 23: no version
    assert "script-src 'self'" in resp.header_values("Content-Security-Policy")[0]
    assert resp.header_values("X-Frame-Options") == ["DENY"]
    assert resp.header_values("Strict-Transport-Security") == []  # plain http
    _server, port = proxied
    hsts = get(port, "/connexion").header_values("Strict-Transport-Security")
    assert hsts == ["max-age=31536000"]



def test_the_development_server_names_no_version(migrated):
    """`coopcrm run`, the web process `coopcrm dev` starts: werkzeug, minus its versions."""
    port = free_port()
    server = Server(["run", "--port", str(port)], environment(*migrated))
    try:
        server.wait_until_answering(port)
        resp = get(port, "/connexion")
    finally:
        server.stop()
    assert resp.header_values("Server") == ["CoopCRM"]
    assert "script-src 'self'" in resp.header_values("Content-Security-Policy")[0]
