"""Reference data pages for admins: entities, residences, colleges."""

from flask import Blueprint, flash, redirect, render_template, url_for

from coopcrm import ui
from coopcrm.auth.access import admin_required
from coopcrm.extensions import db
from coopcrm.members import lookups, reference
from coopcrm.members.admin_forms import CollegeForm, EntityForm, ResidenceForm
from coopcrm.members.models import College, Entity, Residence
from coopcrm.views import render_form, transaction

bp = Blueprint("reference", __name__, url_prefix="/admin")
ui.register_nav(bp, "reference.index", "Référentiel", order=130, visible=ui.admins)


@bp.route("/referentiel")
@admin_required
def index():
    return render_template("reference/index.html", entities=lookups.entities(),
                           residences=lookups.residences(), colleges=lookups.colleges())


@bp.route("/entites/nouvelle", methods=["GET", "POST"], defaults={"entity_id": None})
@bp.route("/entites/<id:entity_id>", methods=["GET", "POST"])
@admin_required
def entity(entity_id):
    obj = _get(Entity, entity_id)
    form = EntityForm(obj=obj)
    words = ("Nouvelle entité", "Modifier l'entité", "Entité enregistrée.")
    return _save(form, obj, words, lambda: reference.save_entity(
        obj, form.code.data, form.name.data, form.share_unit_amount.data))


@bp.route("/residences/nouvelle", methods=["GET", "POST"], defaults={"residence_id": None})
@bp.route("/residences/<id:residence_id>", methods=["GET", "POST"])
@admin_required
def residence(residence_id):
    obj = _get(Residence, residence_id)
    form = ResidenceForm(obj=obj)
    form.fill_choices(lookups.entities())
    words = ("Nouvelle résidence", "Modifier la résidence", "Résidence enregistrée.")
    return _save(form, obj, words, lambda: reference.save_residence(
        obj, form.entity_id.data, form.name.data, form.commune.data, form.dwellings.data,
        form.delivery_date.data))


@bp.route("/colleges/nouveau", methods=["GET", "POST"], defaults={"college_id": None})
@bp.route("/colleges/<id:college_id>", methods=["GET", "POST"])
@admin_required
def college(college_id):
    obj = _get(College, college_id)
    form = CollegeForm(obj=obj)
    words = ("Nouveau collège", "Modifier le collège", "Collège enregistré.")
    return _save(form, obj, words, lambda: reference.save_college(
        obj, form.code.data, form.name.data, form.vote_weight.data, form.position.data))


def _get(model, id_):
    """The row to edit; None on the "new" route (no id)."""
    return None if id_ is None else db.get_or_404(model, id_)


def _save(form, obj, words: tuple[str, str, str], save):
    """Validate, call the service, commit; or show the form with French errors."""
    if form.validate_on_submit():
        with transaction(form) as saved:
            save()
        if saved.ok:
            flash(words[2], "success")
            return redirect(url_for("reference.index"))
    return render_form("reference/form.html", form, title=words[1] if obj else words[0])
