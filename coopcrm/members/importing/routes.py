"""Import (upload → check task → report → confirm → write task) and export of the member file.

The web process never reads the file: it stores it (uploads.py) and queues an
import task (tasks.py) that the scheduler process runs; the task's page polls
its progress (`etat`, JSON) and then shows the report, whose confirmation
queues the writing of the same file.
"""

from __future__ import annotations

import os

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from coopcrm import clock, ui
from coopcrm.auth.access import editor_required
from coopcrm.members import exporter, lookups
from coopcrm.members.importing import tasks, uploads
from coopcrm.members.importing.models import ImportTask
from coopcrm.members.importing.read import COLUMNS
from coopcrm.members.query import audience_filter
from coopcrm.views import download, transaction

bp = Blueprint("imports", __name__)
ui.register_nav(bp, "imports.upload", "Importer", order=90, visible=ui.editors)


def _entity_choices():
    return lookups.entities_for(current_user)


@bp.route("/import", methods=["GET"])
@editor_required
def upload():
    return render_template("imports/upload.html", entities=_entity_choices(), columns=COLUMNS)


@bp.route("/import", methods=["POST"])
@editor_required
def analyse():
    """Store the file and queue its check (nothing is read here, nothing is written)."""
    uploads.sweep()
    uploaded = request.files.get("file")
    code = (request.form.get("entity") or "").strip()
    entity = next((e for e in _entity_choices() if e.code == code), None)
    if uploaded is None or not uploaded.filename:
        flash("Choisissez un fichier à importer.", "error")
        return render_template("imports/upload.html", entities=_entity_choices(),
                               columns=COLUMNS), 422
    filename = os.path.basename(uploaded.filename)[:120]
    stored = uploads.store(uploaded.stream)
    with transaction() as saved:
        task = tasks.queue_check(current_user, stored, filename, entity)
    if not saved.ok:
        uploads.remove(stored.stem)
        return redirect(url_for("imports.upload"))
    return redirect(url_for("imports.task", task_id=task.id), code=303)


def _own_task(task_id: int) -> ImportTask:
    """The user's own task; anyone else's is a 404."""
    task = tasks.visible_task(task_id, current_user)
    if task is None:
        abort(404)
    return task


@bp.route("/import/taches/<id:task_id>")
@editor_required
def task(task_id: int):
    """The task's progress bar, then its report (a check) or its result (a write)."""
    found = _own_task(task_id)
    report = tasks.shown(found)
    if found.status == "failed" and report is not None and report.file_problem:
        return render_template("imports/upload.html", entities=_entity_choices(),
                               columns=COLUMNS, report=report), 422
    if found.status != "done":
        return render_template("imports/progress.html", task=found, report=report), \
            422 if found.status == "failed" else 200
    if found.kind == "write":
        return render_template("imports/done.html", report=report, task=found)
    follow = tasks.follow_up(found)
    if follow is not None:  # confirmed already (a second tab, the back button)
        return redirect(url_for("imports.task", task_id=follow.id))
    return render_template("imports/report.html", report=report, task=found)


@bp.route("/import/taches/<id:task_id>/etat")
@editor_required
def task_state(task_id: int):
    """The progress bar's JSON (static/js/app.js polls it)."""
    response = jsonify(tasks.state(_own_task(task_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/import/taches/<id:task_id>/confirmer", methods=["POST"])
@editor_required
def confirm(task_id: int):
    """Queue the writing of the checked file (the all-or-nothing rule, or skip invalid rows)."""
    check = _own_task(task_id)
    with transaction() as saved:
        written = tasks.confirm(check, skip_invalid=request.form.get("skip_invalid") == "1")
    if not saved.ok:
        return redirect(url_for("imports.upload"))
    return redirect(url_for("imports.task", task_id=written.id), code=303)


@bp.route("/import/taches/<id:task_id>/annuler", methods=["POST"])
@editor_required
def cancel(task_id: int):
    found = _own_task(task_id)
    with transaction() as saved:
        tasks.cancel(found)
    if saved.ok:
        flash("Import annulé : rien n'a été enregistré.", "info")
    return redirect(url_for("imports.upload"))


@bp.route("/membres/export.csv")
@editor_required
def export_csv():
    return _export("csv")


@bp.route("/membres/export.xlsx")
@editor_required
def export_xlsx():
    return _export("xlsx")


def _export(extension: str):
    """The filtered list, within the user's entities, written whole before it is sent."""
    f = audience_filter(request.args)
    return download(exporter.rows(current_user, f, as_text=extension == "csv"),
                    _export_name(extension), sheet=exporter.SHEET)


def _export_name(extension: str) -> str:
    return f"cooperateurs-{clock.today():%Y-%m-%d}.{extension}"
