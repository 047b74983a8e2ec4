"""A letters document's pages: its progress bar, its JSON state, its download.

The task is its author's only (another user's id is a 404): its letters are those
the author may see. The pages that queue one (a campaign's…) live with their domain.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from coopcrm.letters import tasks
from coopcrm.letters.models import LetterTask
from coopcrm.views import download_pdf

bp = Blueprint("letters", __name__)


def _own_task(task_id: int) -> LetterTask:
    task = tasks.visible_task(task_id, current_user)
    if task is None:
        abort(404)
    return task


@bp.route("/courriers/documents/<id:document_id>")
@login_required
def task(document_id: int):
    """The progress bar while the scheduler lays the PDF out, then its download link."""
    found = _own_task(document_id)
    return render_template("letters/task.html", task=found,
                           back=tasks.source_page(found)), \
        422 if found.status == "failed" else 200


@bp.route("/courriers/documents/<id:document_id>/etat")
@login_required
def task_state(document_id: int):
    """The progress bar's JSON (static/js/app.js polls it)."""
    response = jsonify(tasks.state(_own_task(document_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/courriers/documents/<id:document_id>/fichier")
@login_required
def download(document_id: int):
    """The finished PDF, whole; before it is ready or once it expired, the task's page."""
    found = _own_task(document_id)
    document = tasks.stored(found)
    if document is None:
        return redirect(url_for(".task", document_id=found.id))
    return download_pdf(document, found.filename, rows=found.done)
