"""Render + enqueue of 100,000 personalised messages, against bare Jinja rendering.

Three loops over the same 100,000 members, in the same run:

* bare: `template.html.render(context)` of the compiled MJML, nothing else;
* shipped (`sending.services.enqueue_many`): what a send decision costs: the
  subject rendered per recipient (a broken template fails the decision), the
  suppression check, the variables as JSON, written by 5,000-row chunks
  (SQLite: INSERT … ON CONFLICT DO NOTHING executemany; PostgreSQL: the used
  keys looked up, then COPY); the HTML and text parts are rendered at send time;
* alternative: render HTML + text at enqueue and store them, to show why we
  do not (throughput and bytes per row).
"""

from __future__ import annotations

import time

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert

N = 100_000
SHARED = {"survey_title": "Sondage état des lieux",
          "intro": "Nous aimerions mieux connaître ce que vous savez de la coopérative.",
          "deadline": "2027-03-31"}


def _url(row) -> str:
    return f"https://coop.example/s/{row.id:08d}abcdefghijklmnopqrstuvwxyz012345"


def run() -> dict:
    from bench._email_common import add_members, make_app, tempdir
    from coopcrm.extensions import db
    from coopcrm.sending import rendering, services

    with tempdir() as tmp:
        app = make_app(tmp)
        with app.app_context():
            rows = add_members(N)
            template = rendering.get("survey_invitation")
            base = {**services.system_context(), **SHARED, "subject": "Sujet",
                    "preheader": "Avant-titre", "unsubscribe_url": "https://coop.example/u/x",
                    "preferences_url": "https://coop.example/p/x"}

            start = time.perf_counter()
            html_bytes = 0
            for r in rows:
                html_bytes += len(template.html.render(
                    {**base, "member": services.member_context(r), "survey_url": _url(r)}))
            bare_s = time.perf_counter() - start

            start = time.perf_counter()
            inserted = services.enqueue_many(
                "survey_invitation", rows, lambda r: f"survey:1:member:{r.id}",
                lambda r: {"survey_url": _url(r)}, shared=SHARED)
            db.session.commit()
            shipped_s = time.perf_counter() - start
            assert inserted == N

            alt_n = N // 5
            table = Table("bench_rendered", MetaData(), Column("id", Integer, primary_key=True),
                          Column("key", String(200), unique=True), Column("html", Text),
                          Column("text", Text))
            table.drop(db.engine, checkfirst=True)
            table.create(db.engine)
            start = time.perf_counter()
            chunk, stored = [], 0
            for r in rows[:alt_n]:
                ctx = {**base, "member": services.member_context(r), "survey_url": _url(r)}
                out = rendering.render(template, ctx)
                stored += len(out.html) + len(out.text)
                chunk.append({"key": f"k:{r.id}", "html": out.html, "text": out.text})
                if len(chunk) == 5000:
                    db.session.execute(insert(table), chunk)
                    chunk = []
            if chunk:
                db.session.execute(insert(table), chunk)
            db.session.commit()
            alt_s = time.perf_counter() - start
            table.drop(db.engine)
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()

    bare_rate = N / bare_s
    shipped_rate = N / shipped_s
    alt_rate = alt_n / alt_s
    return {
        "database": dialect,
        "messages": N,
        "bare_jinja_render_msgs_per_s": round(bare_rate),
        "render_enqueue_msgs_per_s (shipped)": round(shipped_rate),
        "ratio_shipped_to_bare_render": round(shipped_rate / bare_rate, 2),
        "alternative_render_html_text_and_store_msgs_per_s": round(alt_rate),
        "ratio_alternative_to_bare_render": round(alt_rate / bare_rate, 2),
        "html_bytes_per_message": html_bytes // N,
        "alternative_stored_bytes_per_message": stored // alt_n,
    }
