"""Jinja filters and globals of the pages: French formats (from coopcrm.fr), links."""

from __future__ import annotations

from flask import Flask, request, url_for

from coopcrm import clock, fr


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
    app.jinja_env.filters.update(fr.page_filters())
    app.jinja_env.globals["url_with"] = _url_with
    app.jinja_env.globals["today"] = clock.today

    @app.context_processor
    def _coop():
        return {"coop_name": app.config["COOP_NAME"]}
