"""Admin pages for the moment-type catalogue (blueprint `catalogue`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from coopcrm import ui
from coopcrm.auth.access import admin_required
from coopcrm.extensions import db
from coopcrm.journeys import catalogue
from coopcrm.journeys.forms import MomentTypeForm, NotesForm
from coopcrm.journeys.models import MomentType
from coopcrm.views import render_form, transaction

bp = Blueprint("catalogue", __name__)

ui.register_nav(bp, "catalogue.types", "Moments clés", order=100, visible=ui.admins)


@bp.route("/admin/moments")
@admin_required
def types():
    return _render_types(MomentTypeForm(formdata=None))


@bp.route("/admin/moments", methods=["POST"])
@admin_required
def add_type():
    form = MomentTypeForm()
    if form.validate_on_submit():
        with transaction(form) as saved:
            added = catalogue.add_type(form.label.data, form.track.data, form.repeatable.data)
        if saved.ok:
            flash(f"Type de moment « {added.label} » ajouté en fin de parcours.", "success")
            return redirect(url_for("catalogue.types"))
    flash("Le type de moment n'a pas été ajouté : corrigez le formulaire.", "error")
    return _render_types(form), 422


@bp.route("/admin/moments/<id:type_id>/modifier", methods=["GET", "POST"])
@admin_required
def edit_type(type_id: int):
    moment_type = db.get_or_404(MomentType, type_id)
    form = MomentTypeForm(obj=moment_type)
    if form.validate_on_submit():
        with transaction(form) as saved:
            catalogue.update_type(moment_type, form.label.data, form.track.data,
                                  form.position.data, form.repeatable.data)
        if saved.ok:
            flash(f"Type de moment « {moment_type.label} » enregistré.", "success")
            return redirect(url_for("catalogue.types"))
    return render_form("catalogue/edit.html", form, moment_type=moment_type,
                       used=catalogue.in_use(moment_type))


@bp.route("/admin/moments/<id:type_id>/activation", methods=["POST"])
@admin_required
def toggle_type(type_id: int):
    moment_type = db.get_or_404(MomentType, type_id)
    active = request.form.get("active") == "1"
    catalogue.set_active(moment_type, active)
    db.session.commit()
    if active:
        flash(f"« {moment_type.label} » est de nouveau proposé.", "success")
    else:
        flash(f"« {moment_type.label} » est désactivé : il n'est plus proposé, "
              "les moments déjà notés restent sur les fiches.", "success")
    return redirect(url_for("catalogue.types"))


@bp.route("/admin/moments/<id:type_id>/deplacer", methods=["POST"])
@admin_required
def move_type(type_id: int):
    moment_type = db.get_or_404(MomentType, type_id)
    track = request.form.get("track")
    if track not in ("accession", "locatif"):
        abort(400)
    direction = -1 if request.form.get("direction") == "up" else 1
    if catalogue.move(moment_type, track, direction):
        db.session.commit()
    return redirect(url_for("catalogue.types", _anchor=f"parcours-{track}"))


@bp.route("/admin/moments/<id:type_id>/supprimer", methods=["GET", "POST"])
@admin_required
def delete_type(type_id: int):
    moment_type = db.get_or_404(MomentType, type_id)
    used = catalogue.in_use(moment_type)
    form = NotesForm()
    if form.validate_on_submit():
        label = moment_type.label
        with transaction() as saved:
            catalogue.delete_type(moment_type)
        if saved.ok:
            flash(f"Type de moment « {label} » supprimé.", "success")
        return redirect(url_for("catalogue.types"))
    return render_template("catalogue/delete.html", moment_type=moment_type, used=used,
                           form=form)



def _render_types(form: MomentTypeForm):
    return render_template(
        "catalogue/index.html", journeys=catalogue.journeys(), usage=catalogue.usage(),
        type_tracks=catalogue.TYPE_TRACKS, form=form,
    )
