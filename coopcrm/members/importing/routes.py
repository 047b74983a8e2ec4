"""Import (upload → report → confirm) and export of the member file, from the web.

Between the report and the confirmation the file waits in `uploads`, so the
import written is exactly the file whose report the referent read.
"""

from __future__ import annotations

import os

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from coopcrm import clock, ui
from coopcrm.auth.access import editor_required
from coopcrm.members import exporter, lookups
from coopcrm.members.importing import uploads
from coopcrm.members.importing.read import COLUMNS
from coopcrm.members.importing.service import import_members
from coopcrm.members.query import audience_filter
from coopcrm.views import download

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
    """Keep the file, and show what importing it would do (nothing is written)."""
    uploads.discard()
    uploads.sweep()
    uploaded = request.files.get("file")
    entity_code = (request.form.get("entity") or "").strip() or None
    if entity_code and entity_code not in {e.code for e in _entity_choices()}:
        entity_code = None
    if uploaded is None or not uploaded.filename:
        flash("Choisissez un fichier à importer.", "error")
        return render_template("imports/upload.html", entities=_entity_choices(),
                               columns=COLUMNS), 422
    data = uploaded.read()
    filename = os.path.basename(uploaded.filename)[:120]
    report = import_members(data, filename, user=current_user, entity_code=entity_code,
                            dry_run=True)
    if report.file_problem:
        return render_template("imports/upload.html", entities=_entity_choices(),
                               columns=COLUMNS, report=report), 422
    uploads.keep(data, filename, entity_code)
    return render_template("imports/report.html", report=report, entity=entity_code)


@bp.route("/import/confirmer", methods=["POST"])
@editor_required
def confirm():
    found = uploads.pending()
    if found is None:
        flash("Aucun import en attente (déjà importé, annulé ou expiré) : "
              "déposez à nouveau le fichier.", "error")
        return redirect(url_for("imports.upload"))
    pending, path = found
    report = import_members(path.read_bytes(), pending["filename"], user=current_user,
                            entity_code=pending["entity"],
                            skip_invalid=request.form.get("skip_invalid") == "1")
    if not report.written:
        # Something changed since the report (or invalid rows were not to be skipped).
        return render_template("imports/report.html", report=report,
                               entity=pending["entity"]), 422
    uploads.discard()
    return render_template("imports/done.html", report=report)


@bp.route("/import/annuler", methods=["POST"])
@editor_required
def cancel():
    uploads.discard()
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
