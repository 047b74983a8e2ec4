"""One log format for every long-running process: the web server and the scheduler.

Lines go to stderr (journald stores them under systemd) as
`2027-01-15T09:00:00.123+01:00 INFO coopcrm.scheduler message`: timestamp, level,
logger, message. The level comes from COOPCRM_LOG_LEVEL (default INFO).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from datetime import datetime
from typing import Literal

import click

from coopcrm.config import LOG_LEVELS

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LEVELS = LOG_LEVELS


class StartupError(click.ClickException):
    """A setting or resource a process needs at start is wrong: one French line, exit 1."""

    def show(self, file=None) -> None:
        # click would prefix "Error:"; the operator reads French.
        click.echo(f"Erreur : {self.format_message()}", err=True)


def shown(value: object) -> str:
    """`value` safe to quote in a one-line message: control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))


def parse_level(value: str | int | None) -> int:
    """The logging level named by `value` (case-insensitive); StartupError if unknown."""
    if value is None or value == "":
        return logging.INFO
    if isinstance(value, int):
        return value
    name = value.strip().upper()
    if name not in LEVELS:
        raise StartupError(
            f"COOPCRM_LOG_LEVEL invalide « {shown(value)} » : "
            f"valeurs possibles {', '.join(LEVELS)}."
        )
    return logging.getLevelNamesMapping()[name]


class Formatter(logging.Formatter):
    """ISO 8601 timestamps with milliseconds and offset; the message kept on one line.

    A message can carry text from outside (a member's name, a header): escaping its
    line breaks stops it from forging log lines. Tracebacks stay multi-line.
    """

    def __init__(self, fmt: str = FORMAT, datefmt: str | None = None,
                 style: Literal["%", "{", "$"] = "%"):
        super().__init__(fmt, datefmt, style)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created).astimezone().isoformat(
            timespec="milliseconds")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802
        record.message = record.message.replace("\r", "\\r").replace("\n", "\\n")
        return super().formatMessage(record)


# Static beginnings of the paths that carry a secret in their first variable part: a
# member's personal link (/s/<token>, /u/<token>…) or a password-reset link. Filled by
# remember_private_paths() from the app's own routes, so a new link page is covered.
_private_prefixes: set[str] = set()
_private_pattern: re.Pattern[str] | None = None
HIDDEN = "…"


def remember_private_paths(rules: Iterable) -> None:
    """Learn, from the app's URL rules, the paths whose `token` part must not be logged.

    A link token in a log line would let whoever reads the logs (a host's support, a
    backup) open a member's survey, RSVP or preferences, or reset a password.
    """
    global _private_pattern
    for rule in rules:
        if "token" in rule.arguments:
            prefix, _, _rest = rule.rule.partition("<")
            _private_prefixes.add(prefix)
    _private_pattern = re.compile(
        "(" + "|".join(re.escape(p) for p in sorted(_private_prefixes, key=len, reverse=True))
        + r')[^/?#\s"]+') if _private_prefixes else None


def hide_tokens(text: str) -> str:
    """`text` (a request line, a path, a referer) with every link token replaced by …."""
    if _private_pattern is None:
        return text
    return _private_pattern.sub(lambda m: m.group(1) + HIDDEN, text)


class HideTokens(logging.Filter):
    """Hides link tokens in the arguments of every record: gunicorn's access atoms (a
    mapping) and werkzeug's request lines (a tuple) alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, MutableMapping):
            # In place: gunicorn's atoms are a dict subclass that answers "-" for a
            # header the format names and the request lacks; a plain copy would not.
            for key, value in args.items():
                if isinstance(value, str):
                    args[key] = hide_tokens(value)
        elif isinstance(args, tuple):
            record.args = tuple(hide_tokens(v) if isinstance(v, str) else v for v in args)
        if isinstance(record.msg, str):
            record.msg = hide_tokens(record.msg)
        return True


class _Handler(logging.StreamHandler):
    """Our stderr handler, recognisable so that setup() never stacks a second one."""

    def __init__(self):
        super().__init__(sys.stderr)
        self.setFormatter(Formatter())
        self.addFilter(HideTokens())


def setup(level: int) -> None:
    """Send every logger's records to stderr in our format, at `level`; idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Handler):
            root.removeHandler(handler)
    root.addHandler(_Handler())
    root.setLevel(level)


def configured() -> bool:
    """Whether setup() (or gunicorn with dict_config) owns the root logger."""
    root = logging.getLogger()
    return any(isinstance(h, _Handler) or isinstance(h.formatter, Formatter)
               for h in root.handlers)


def dict_config(level: int) -> dict:
    """The same setup as a logging dictConfig, for gunicorn's `logconfig_dict`.

    Gunicorn's error and access loggers lose their own handlers and propagate to
    the root one, so their lines come out in our format too.
    """
    name = logging.getLevelName(level)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"coopcrm": {"()": "coopcrm.logs.Formatter", "fmt": FORMAT}},
        "filters": {"tokens": {"()": "coopcrm.logs.HideTokens"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "coopcrm",
                                "filters": ["tokens"], "stream": "ext://sys.stderr"}},
        "root": {"level": name, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": name, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": name, "handlers": [], "propagate": True},
        },
    }


# The processes that run for long and log as they go; the other commands report on
# stdout/stderr themselves and stay quiet (cron mails whatever they print).
LONG_RUNNING = ("serve", "scheduler", "run")


def init_app(app) -> None:
    """Check COOPCRM_LOG_LEVEL at start; route Flask's own logger through ours.

    `coopcrm run` (the development server) gets our format too: its click context
    is the one building the app.
    """
    from flask.logging import default_handler

    level = parse_level(app.config.get("LOG_LEVEL"))
    ctx = click.get_current_context(silent=True)
    if not app.testing and ctx is not None and ctx.info_name in LONG_RUNNING:
        setup(level)
    if configured():
        # Unhandled request exceptions go through app.logger with their traceback.
        app.logger.removeHandler(default_handler)
