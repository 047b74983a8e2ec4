"""The one log format: timestamp, level, logger, message; the level from COOPCRM_LOG_LEVEL."""

from __future__ import annotations

import logging
import sys

import pytest

from coopcrm import logs
from tests.serving.helpers import LINE_START


def record(msg, *args, exc_info=None, name="coopcrm.test", level=logging.INFO):
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def test_a_line_has_timestamp_level_logger_message():
    line = logs.Formatter().format(record("job %s ok", "outbox.flush"))
    assert LINE_START.match(line), line
    assert line.endswith(" INFO coopcrm.test job outbox.flush ok")


def test_text_from_outside_cannot_forge_a_line():
    line = logs.Formatter().format(record("member %s", "Dupont\n2027-01-01 ERROR fake\r"))
    assert "\n" not in line and line.endswith("member Dupont\\n2027-01-01 ERROR fake\\r")


def test_a_traceback_follows_its_line():
    try:
        raise ValueError("boom")
    except ValueError:
        text = logs.Formatter().format(record("failed", exc_info=sys.exc_info(),
                                              level=logging.ERROR))
    lines = text.splitlines()
    assert lines[0].endswith(" ERROR coopcrm.test failed")
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "ValueError: boom"


@pytest.mark.parametrize("value, level", [(None, logging.INFO), ("", logging.INFO),
                                          ("debug", logging.DEBUG), (" Warning ", logging.WARNING),
                                          ("ERROR", logging.ERROR), ("critical", logging.CRITICAL)])
def test_levels(value, level):
    assert logs.parse_level(value) == level


@pytest.mark.parametrize("value", ["verbose", "10", "WARN", "infox"])
def test_a_bad_level_is_refused_in_french(value):
    with pytest.raises(logs.StartupError) as exc:
        logs.parse_level(value)
    assert exc.value.format_message().startswith(f"COOPCRM_LOG_LEVEL invalide « {value} »")


def test_gunicorn_config_sends_its_loggers_through_ours():
    config = logs.dict_config(logging.WARNING)
    assert config["root"] == {"level": "WARNING", "handlers": ["stderr"]}
    for name in ("gunicorn.error", "gunicorn.access"):
        assert config["loggers"][name] == {"level": "WARNING", "handlers": [],
                                           "propagate": True}
    assert config["formatters"]["coopcrm"]["()"] == "coopcrm.logs.Formatter"


def test_every_link_page_puts_its_token_first(app):
    """The log filter hides what follows a link page's static prefix: the token must come
    first, or a new page would leak it."""
    rules = [r for r in app.url_map.iter_rules() if "token" in r.arguments]
    assert len(rules) >= 6
    for rule in rules:
        assert "<" not in rule.rule.partition("<token>")[0], rule.rule
        assert rule.rule.partition("<")[2].startswith("token>"), rule.rule


@pytest.mark.parametrize("line, shown", [
    ('"GET /s/Ab3_x-9.QQ HTTP/1.1"', '"GET /s/… HTTP/1.1"'),
    ('"POST /e/tok123/evenement.ics HTTP/1.1"', '"POST /e/…/evenement.ics HTTP/1.1"'),
    ('"GET /u/a.b.c?x=1 HTTP/1.1"', '"GET /u/…?x=1 HTTP/1.1"'),
    ("https://crm.coop.example/crm/pr/zzz", "https://crm.coop.example/crm/pr/…"),
    ('"GET /mot-de-passe-oublie/secret HTTP/1.1"', '"GET /mot-de-passe-oublie/… HTTP/1.1"'),
    ('"GET /membres/12 HTTP/1.1"', '"GET /membres/12 HTTP/1.1"'),
    ('"GET /static/js/app.js HTTP/1.1"', '"GET /static/js/app.js HTTP/1.1"'),
])
def test_tokens_are_hidden_in_request_lines_and_referers(app, line, shown):
    assert logs.hide_tokens(line) == shown


def test_the_filter_rewrites_gunicorn_atoms_and_werkzeug_arguments(app):
    hide = logs.HideTokens()
    access = record("%(r)s %(f)s", {"r": "GET /s/SECRET HTTP/1.1", "f": "https://x/p/SECRET2",
                                    "s": "200"})
    assert hide.filter(access)
    assert "SECRET" not in access.getMessage() and "/s/…" in access.getMessage()
    dev = record('"%s" %s %s', "GET /e/SECRET HTTP/1.1", "200", "-", name="werkzeug")
    assert hide.filter(dev)
    assert dev.getMessage() == '"GET /e/… HTTP/1.1" 200 -'
    assert any(isinstance(f, logs.HideTokens) for f in logs._Handler().filters)
    assert logs.dict_config(logging.INFO)["handlers"]["stderr"]["filters"] == ["tokens"]


def test_gunicorn_atoms_keep_their_type_so_a_missing_header_is_still_a_dash(app):
    from gunicorn.glogging import SafeAtoms

    access = record('%(r)s %({x-absent}i)s', SafeAtoms({"r": "GET /s/SECRET HTTP/1.1"}))
    assert logs.HideTokens().filter(access)
    assert access.getMessage() == "GET /s/… HTTP/1.1 -"
