"""Jinja filters and globals: French formats, Paris time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, format_decimal

from coopcrm import clock


def _date(value: date | None, fmt: str = "short") -> str:
    if not value:
        return "—"
    if fmt == "short":
        return value.strftime("%d/%m/%Y")
    return format_date(value, fmt)


def _datetime(value: datetime | None) -> str:
    if not value:
        return "—"
    return format_datetime(value.astimezone(clock.PARIS), "dd/MM/yyyy HH:mm")


def _money(value: Decimal | None) -> str:
    return format_decimal(value or 0, "#,##0.00") + " €"


def _url_with(**changes) -> str:
    """The current URL with some query arguments changed (pagination, sort)."""
    args = request.args.to_dict()
    for k, v in changes.items():
        if v in (None, ""):
            args.pop(k, None)
        else:
            args[k] = v
    # Only called while rendering a routed request: request.endpoint is set.
    return url_for(request.endpoint, **(request.view_args or {}), **args)  # type: ignore[arg-type]


def register(app: Flask) -> None:
    app.jinja_env.filters["date_fr"] = _date
    app.jinja_env.filters["datetime_fr"] = _datetime
    app.jinja_env.filters["money"] = _money
    app.jinja_env.globals["url_with"] = _url_with
    app.jinja_env.globals["today"] = clock.today

    @app.context_processor
    def _coop():
        return {"coop_name": app.config["COOP_NAME"]}
