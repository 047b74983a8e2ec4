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
