"""Fixtures: one app per run on SQLite or PostgreSQL, clean tables and config per test.

COOPCRM_TEST_DATABASE_URL selects PostgreSQL (CI's second pass); unset, the
suite runs on a SQLite file in a temporary directory.

Fixtures every folder uses are here or in the plugins below (the SMTP sink,
the CLI runner, the clock); a folder's conftest keeps only what is its own,
and no test imports a conftest (tests/test_suite_conventions.py checks both).
Objects come from tests/factories/, throwaway databases from tests/databases.py.
"""

from __future__ import annotations

import os
import threading
import traceback

import flask_migrate
import pytest
from flask import request_started
from werkzeug.serving import make_server

from coopcrm import clock, create_app
from coopcrm.extensions import db
from tests import factories
from tests.appstate import empty_tables, fresh_request_globals
from tests.databases import with_driver
from tests.helpers import PASSWORD, login

pytest_plugins = ["tests.plugins.smtp", "tests.plugins.cli", "tests.plugins.clock"]

NO_SESSION_LIMITS = {"SESSION_IDLE_MINUTES": 10**7, "SESSION_MAX_HOURS": 10**6}


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = os.environ.get("COOPCRM_TEST_DATABASE_URL")
    if not url:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("COOPCRM_SECRET_KEY", "test-secret-key-not-for-production")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": with_driver(url),
            "SERVER_NAME": None,
            "BASE_URL": "http://127.0.0.1",
            "SECRET_KEY": "test-secret-key-not-for-production",
            # Tests sign in, then move the clock by months (an AG's timeline, a year's
            # newsletters): staff sessions must outlive that here. tests/auth puts the
            # real limits back (its conftest) and tests them.
            **NO_SESSION_LIMITS,
        }
    )
    app.instance_path = str(instance)
    with app.app_context():
        db.drop_all()
        db.create_all()
        # create_all builds the head schema (tests/test_migrations.py checks it): say so,
        # or every command would refuse the database as not migrated.
        flask_migrate.stamp()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()




@pytest.fixture(autouse=True)
def _clean(app):
    """Every test starts with empty tables, the app's own config, a running clock and an
    app context (a `clock` mark then freezes it: tests/plugins/clock.py).

    (A module that shares one seeded database among its tests overrides this fixture:
    tests/test_scoping_walk.py.)"""
    clock.set_now(None)
    # A test may change the config (a sender, a limit) without putting it back: the
    # next one must not inherit it. Values are copied one level deep, enough for the
    # dicts and lists the settings hold.
    config = {key: _copied(value) for key, value in app.config.items()}
    ctx = app.app_context()
    ctx.push()
    # Test-client requests reuse this app context, hence its `g`: without this,
    # the user Flask-Login cached for one client would act in the next one.
    request_started.connect(fresh_request_globals, app)
    yield
    db.session.remove()
    empty_tables()
    request_started.disconnect(fresh_request_globals, app)
    app.config.clear()
    app.config.update(config)
    ctx.pop()
    clock.set_now(None)


def _copied(value):
    return value.copy() if isinstance(value, dict | list | set) else value


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin():
    return factories.user(role="admin", password=PASSWORD)


@pytest.fixture
def referent():
    return factories.user(role="referent", password=PASSWORD, all_entities=True)


@pytest.fixture
def logged_in(client, referent):
    login(client, referent)
    return client


@pytest.fixture
def as_admin(client, admin):
    """The test client, signed in as an administrator."""
    login(client, admin)
    return client


@pytest.fixture
def live_server(app):
    """The app served on a loopback port in a thread, for the browser.

    Each request in the server thread has its own app context and session:
    commit what the browser must see, and `db.session.expire_all()` before
    reading what it wrote. A request that crashes fails the test with its
    traceback (the browser alone would only show a 500 page, then time out).
    """
    from flask import got_request_exception

    crashes: list[BaseException] = []

    def _crashed(sender, exception, **extra):
        crashes.append(exception)

    got_request_exception.connect(_crashed, app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()
    got_request_exception.disconnect(_crashed, app)
    if crashes:
        pytest.fail("the live server crashed:\n"
                    + "".join(traceback.format_exception(crashes[0])), pytrace=False)


@pytest.fixture(scope="session")
def _playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def _chromium(_playwright):
    executable = "/usr/bin/chromium"
    if not os.path.exists(executable):
        pytest.fail("Debian chromium is missing: `make test` installs it "
                    "(apt-get install chromium)")
    browser = _playwright.chromium.launch(
        executable_path=executable,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def page(_chromium):
    """A fresh page; the test fails if the browser refused anything under the CSP."""
    context = _chromium.new_context(locale="fr-FR")
    refused: list[str] = []
    context.on("console", lambda message: refused.append(
        f"{message.location.get('url')}: {message.text}")
        if "Content Security Policy" in message.text else None)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    if refused:
        pytest.fail("the page broke its Content-Security-Policy:\n" + "\n".join(refused),
                    pytrace=False)
