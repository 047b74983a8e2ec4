"""The catcher's web mailbox: a tiny Flask app of its own (no database, no login, loopback)."""

from __future__ import annotations

import hmac
import os
import secrets

from flask import Flask, abort, redirect, render_template, request, url_for

import coopcrm
from coopcrm import fr
from coopcrm.mailcatcher.store import ENVELOPE_FROM, ENVELOPE_TO, KEY_CHARS, MailStore
from coopcrm.security_headers import add_headers, email_frame

PER_PAGE = 50
_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "List-Unsubscribe",
            "List-Unsubscribe-Post", "Message-ID", ENVELOPE_FROM, ENVELOPE_TO)


def _load(store: MailStore, key: str):
    if not KEY_CHARS.match(key):
        abort(404)
    try:
        return store.message(key)
    except KeyError:
        abort(404)


def _part(msg, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # unknown charset: show what we can
        return part.get_payload(decode=True).decode("utf-8", "replace")


def create_web_app(store: MailStore) -> Flask:
    """The mailbox web app reading `store`."""
    root = os.path.dirname(coopcrm.__file__)
    app = Flask(
        "coopcrm.mailcatcher",
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    # Only loopback names: a web page using DNS rebinding cannot read the mailbox.
    app.config["TRUSTED_HOSTS"] = ["127.0.0.1", "localhost"]
    clear_token = secrets.token_urlsafe(16)  # one per process: enough against cross-site POSTs

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers["Cache-Control"] = "no-store"
        return add_headers(response)  # the app's: a message's HTML only in its sandboxed frame

    app.jinja_env.filters.update(fr.page_filters())

    @app.get("/")
    def index():
        page = request.args.get("page", 1, type=int) or 1
        messages, total = store.page(page, PER_PAGE)
        return render_template(
            "mailcatcher/index.html", messages=messages, total=total, page=page,
            pages=max(1, -(-total // PER_PAGE)), clear_token=clear_token,
        )

    @app.get("/message/<key>")
    def show(key: str):
        msg = _load(store, key)
        headers = [(name, str(msg.get(name))) for name in _HEADERS if msg.get(name) is not None]
        attachments = [p.get_filename() or p.get_content_type() for p in msg.iter_attachments()]
        return render_template(
            "mailcatcher/show.html", key=key, headers=headers, subject=str(msg.get("Subject", "")),
            has_html=msg.get_body(preferencelist=("html",)) is not None,
            text=_part(msg, "plain"), attachments=attachments,
        )

    @app.get("/message/<key>/html")
    def html(key: str):
        body = _part(_load(store, key), "html")
        if body is None:
            abort(404)
        return email_frame(body)

    @app.get("/message/<key>/source")
    def source(key: str):
        if not KEY_CHARS.match(key):
            abort(404)
        try:
            raw = store.raw(key)
        except KeyError:
            abort(404)
        return raw, 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.post("/vider")
    def clear():
        if not hmac.compare_digest(request.form.get("token", ""), clear_token):
            abort(400)
        store.clear()
        return redirect(url_for("index"), code=303)

    return app
