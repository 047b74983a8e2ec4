"""Security headers on every response; no inline script or style for the CSP to refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from coopcrm import security_headers
from coopcrm.blocks import images
from coopcrm.extensions import db
from coopcrm.members.models import Member
from coopcrm.seeding import demo
from tests import factories, routes
from tests.blocks import _images
from tests.helpers import PASSWORD, login

TEMPLATES = Path(__file__).parent.parent / "coopcrm" / "templates"
# The email frames: an email's HTML, shown by the app's own pages only.
FRAMES = {"sending.preview_html", "sending.message_html", "cycle.preview_html",
          "campaigns.preview_html"}


def _directives(csp: str) -> dict[str, str]:
    return {d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2] for d in csp.split(";")}


@pytest.fixture
def walked(client):
    """Every GET route, as an admin, on the demo group: {endpoint: response}."""
    demo.load(count=30, random_seed=5)
    admin = factories.user(role="admin", password=PASSWORD, all_entities=True)
    factories.campaign(admin)  # the demo holds no campaign: the walk needs one
    factories.inbound_message()  # nor a received message
    factories.import_task(admin)  # nor an import task (its page and its progress JSON)
    factories.letter_task(admin)  # nor a letters PDF task (its page, its JSON)
    # nor a consent form's scan (an attachment: nosniff like every answer)
    factories.consent_scan(db.session.get(Member, routes.existing_ids()["member_id"]), admin)
    ids = {**routes.existing_ids(), "image": images.store(_images.png()).name}
    login(client, admin)
    # buffered: a streamed export is read whole before the next request starts.
    return {rule.endpoint + " " + rule.rule: (rule, client.get(routes.url(rule, ids),
                                                               buffered=True))
            for rule in routes.rules("GET")}


def test_every_get_route_answers_with_the_security_headers(walked):
    not_ok = []
    for name, (rule, resp) in walked.items():
        assert resp.status_code != 500, name  # /healthz: 503 without a scheduler
        if resp.status_code != 200:
            not_ok.append(f"{name}: {resp.status_code}")
        headers = resp.headers
        csp = _directives(headers["Content-Security-Policy"])
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert "unsafe-inline" not in csp.get("script-src", ""), name
        assert "Strict-Transport-Security" not in headers, name  # http://127.0.0.1
        if rule.endpoint in FRAMES:
            assert csp["frame-ancestors"] == "'self'" and "sandbox" in csp, name
            assert csp["default-src"] == "'none'" and "script-src" not in csp, name
            assert headers["X-Frame-Options"] == "SAMEORIGIN", name
            assert headers["Referrer-Policy"] == "no-referrer", name
            continue
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'", name
        assert csp["frame-ancestors"] == "'none'" and headers["X-Frame-Options"] == "DENY", name
        # Member links carry their token in the URL: it must not leave in a Referer.
        expected = "no-referrer" if "token" in rule.arguments else "same-origin"
        assert headers["Referrer-Policy"] == expected, name
    # Most pages really were shown (not just refused): the walk has teeth.
    assert len(not_ok) <= len(walked) // 5, not_ok


def test_the_email_frames_are_the_only_framed_pages(walked):
    framed = {rule.endpoint for rule, resp in walked.values()
              if resp.headers["X-Frame-Options"] != "DENY"}
    assert framed == FRAMES
    for endpoint in FRAMES:
        (resp,) = [r for rule, r in walked.values() if rule.endpoint == endpoint]
        assert resp.status_code == 200 and resp.mimetype == "text/html", endpoint


def test_hsts_when_the_public_address_is_https():
    app = Flask("hsts")
    app.config["BASE_URL"] = "https://crm.coop.example"
    security_headers.init_app(app)
    app.add_url_rule("/", "home", lambda: "ok")
    assert app.test_client().get("/").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_an_email_frame_is_refused_to_a_member_out_of_scope(client):
    mine, other = factories.entity(), factories.entity()
    stranger = factories.member(other)
    login(client, factories.user(entities=[mine], password=PASSWORD))
    assert client.get(f"/envois/apercu/html?membre={stranger.id}").status_code == 404


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"<style\b|<[^>]*\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"javascript:", re.IGNORECASE)


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_holds_inline_script_handler_or_style(path):
    """What the CSP would refuse in the browser, refused here first (static/js, static/*.css)."""
    text = path.read_text(encoding="utf-8")
    for pattern in (INLINE_SCRIPT, HANDLER, STYLE, JS_URL):
        found = pattern.search(text)
        assert found is None, f"{path.name}: {found.group(0)!r}"


BEHAVIOURS = re.compile(r"\sdata-(busy|print|check-all|refresh-url)\b")


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_template_using_a_script_behaviour_loads_the_script(path):
    """static/js/app.js is loaded where a page needs it only: the others run no script."""
    text = path.read_text(encoding="utf-8")
    if BEHAVIOURS.search(text):
        assert '{% include "_app_js.html" %}' in text, path.name
