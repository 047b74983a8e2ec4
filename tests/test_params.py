"""Numbers from URLs, query strings and forms: out of range is 404 or 400, never a 500."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from werkzeug.routing.converters import NumberConverter

from coopcrm.events.models import Invitation
from coopcrm.extensions import db
from coopcrm.params import MAX_ID, parse_int
from coopcrm.seeding import demo
from tests import factories, routes
from tests.helpers import PASSWORD, csrf_token, login

HUGE = "99999999999999999999"
OUT_OF_RANGE = (HUGE, str(MAX_ID + 1), "0")
# Every number a page reads from its query string.
QUERY_NUMBERS = ("entity", "residence", "college", "tenure_min", "tenure_max", "membre",
                 "member_id", "type", "page")


@pytest.fixture
def admin_on_demo(client):
    demo.load(count=30, random_seed=5)
    admin = factories.user(role="admin", password=PASSWORD, all_entities=True)
    factories.campaign(admin)  # the demo holds no campaign: the walk needs one
    factories.inbound_message()  # nor a received message
    factories.import_task(admin)  # nor an import task
    factories.letter_task(admin)  # nor a letters PDF task (its page, its JSON)
    login(client, admin)
    return client


def _number_arguments(rule) -> list[str]:
    return [name for name, conv in rule._converters.items() if isinstance(conv, NumberConverter)]


def test_every_number_in_a_route_is_bounded():
    """A new `<int:…>` route fails here: ids are `<id:…>` (1 … 2**31-1)."""
    for rule in routes.rules("GET") + routes.rules("POST"):
        for name in _number_arguments(rule):
            converter = rule._converters[name]
            assert converter.max is not None and converter.max <= MAX_ID, rule.rule


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_id_out_of_range_in_any_route_is_404(admin_on_demo, value):
    client = admin_on_demo
    token = csrf_token(client, "/membres")
    ids = routes.existing_ids()
    tried = 0
    for method in ("GET", "POST"):
        for rule in routes.rules(method):
            for name in _number_arguments(rule):
                url = routes.url(rule, {**ids, name: value})
                resp = client.open(url, method=method, data={"csrf_token": token}, buffered=True)
                assert resp.status_code == 404, f"{method} {url}: {resp.status_code}"
                tried += 1
    assert tried > 60


@pytest.mark.parametrize("value", (HUGE, "-1", "١٢"))
def test_no_page_fails_on_a_bad_number_in_its_query_string(admin_on_demo, value):
    client = admin_on_demo
    ids = routes.existing_ids()
    query = urlencode(dict.fromkeys(QUERY_NUMBERS, value))
    for rule in routes.rules("GET"):
        url = routes.url(rule, ids) + "?" + query
        resp = client.get(url, buffered=True)
        assert resp.status_code != 500, url


@pytest.mark.parametrize("url, text", [
    (f"/membres?entity={HUGE}", "Valeur invalide"),
    ("/membres?tenure_min=5000", "Valeur invalide"),
    ("/membres?tenure_max=-3", "Valeur invalide"),
    (f"/membres/export.csv?entity={HUGE}", "Un critère de la sélection"),
    ("/membres/export.xlsx?tenure_min=5000", "Un critère de la sélection"),
    (f"/segments/nouveau?residence={HUGE}", "Un critère de la sélection"),
    (f"/visites-de-courtoisie?entity={HUGE}", "« entity » doit être un nombre entier"),
    (f"/envois/apercu?membre={HUGE}", "« membre » doit être un nombre entier"),
    ("/envois/apercu?membre=abc", "« membre » doit être un nombre entier"),
])
def test_list_filters_out_of_range_are_400_in_french(logged_in, url, text):
    resp = logged_in.get(url)
    assert resp.status_code == 400, url
    assert text in resp.get_data(as_text=True)


def test_a_huge_page_number_shows_the_last_page(logged_in):
    factories.member()
    assert logged_in.get(f"/membres?page={HUGE}").status_code == 200


class _Forms(HTMLParser):
    """The POST forms of a page as a browser would send them: {action: (fields, numeric)}.

    `numeric` names the fields that may hold a number (a number input, a digit value, a
    select): the ones to fill with a huge number, one at a time.
    """

    def __init__(self):
        super().__init__()
        self.url = ""  # the page's: where a form without an action posts
        self.forms: dict[str, tuple[dict[str, str], set[str]]] = {}
        self._form: tuple[dict[str, str], set[str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form = self.forms.setdefault(a.get("action") or self.url, ({}, set()))
        if self._form is None:
            return
        fields, numeric = self._form
        name, value = a.get("name"), a.get("value", "")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                fields.setdefault(name, "")
            else:
                fields[name] = value
            if a.get("type") == "number" or value.isdigit():
                numeric.add(name)
        elif tag in ("select", "textarea") and name:
            fields.setdefault(name, "")
            self._select = name if tag == "select" else None
            if tag == "select":
                numeric.add(name)  # an id, mostly; a choice list refuses any other value
        elif tag == "option" and self._select:
            if "selected" in a or not fields[self._select]:
                fields[self._select] = value

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


@pytest.mark.parametrize("value", (HUGE, "-5"))
def test_no_form_fails_on_a_bad_number(admin_on_demo, value):
    """Every POST form of every page as shown, each number field in turn `value`."""
    client = admin_on_demo
    ids = routes.existing_ids()
    parser = _Forms()
    pages = [routes.url(rule, ids) for rule in routes.rules("GET")]
    invited = db.session.scalars(select(Invitation.event_id).limit(1)).one()
    pages.append(f"/evenements/{invited}/accueil?q=e")  # the desk's forms, once searched
    for parser.url in pages:
        resp = client.get(parser.url, buffered=True)
        if resp.mimetype == "text/html":
            parser.feed(resp.get_data(as_text=True))
    forms = {action: form for action, form in parser.forms.items()
             if action.startswith("/") and action != "/deconnexion"}
    tried = 0
    for action, (fields, numeric) in sorted(forms.items()):
        for name in sorted(numeric - {"csrf_token"}):
            data = {**fields, name: value, "csrf_token": csrf_token(client, "/membres")}
            resp = client.post(action, data=data, buffered=True)
            assert resp.status_code != 500, f"{action} {name}"
            tried += 1
    assert len(forms) > 30 and tried > 40, (len(forms), tried)


def test_parse_int_takes_ascii_whole_numbers_in_range_only():
    assert parse_int(" 42 ") == 42 and parse_int("") is None and parse_int(None) is None
    assert parse_int("-5", low=-10) == -5
    for bad in ("1_000", "١٢", "+3", "4.0", "1e3", str(MAX_ID + 1), "0", HUGE * 3):
        with pytest.raises(ValueError):
            parse_int(bad)


def test_numbers_are_read_through_the_bounded_helpers_only():
    """wtforms' IntegerField, coerce=int and type=int take any Python int: not for ids."""
    package = Path(__file__).parent.parent / "coopcrm"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "forms.py" or path.parent != package:
            imports = re.findall(r"^from wtforms import (\([^)]*\)|.*)$", text, re.MULTILINE)
            assert not any("IntegerField" in names for names in imports), path
            assert "wtforms.IntegerField" not in text, path
        assert "coerce=int" not in text, path
        # a page number needs no bound: the pager clamps it to the last page
        assert not re.search(r"get\((?!\"page\")[^)]*type=int", text), path
