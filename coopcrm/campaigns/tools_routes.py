"""Campaign tools beside the campaign pages: the "information d'avancement" kit, the send
to a test segment, and the letters' PDF prepared by the scheduler (coopcrm.letters.tasks)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coopcrm.auth.access import editor_required
from coopcrm.campaigns import kit, trials
from coopcrm.campaigns.forms import KitForm, TestSegmentForm
from coopcrm.campaigns.models import MILESTONES, Campaign
from coopcrm.forms import choices
from coopcrm.letters import tasks as paper_tasks
from coopcrm.members import scoping
from coopcrm.params import int_arg
from coopcrm.views import transaction

bp = Blueprint("campaign_tools", __name__)

# The kinds of document in the URL -> (the task's kind, the file's name prefix).
DOCUMENTS = {"courriers": ("letters", "courriers"), "etiquettes": ("labels", "etiquettes")}


@bp.route("/campagnes/avancement", methods=["GET", "POST"])
@editor_required
def kit_page():
    """The programmes of the user's entities and the milestones that prefill a campaign."""
    form = KitForm()
    programmes = kit.programmes(current_user)
    chosen = kit.get_residence(current_user, int_arg("residence"))
    if request.args.get("residence") and chosen is None:
        abort(404)
    form.residence_id.choices = choices((p.residence.id, p.residence.name) for p in programmes)
    errors: dict = {}
    if form.validate_on_submit():
        residence = kit.get_residence(current_user, form.residence_id.data)
        if residence is None:
            errors["residence_id"] = "Choisissez une résidence de vos entités."
        else:
            with transaction(form, fallback=None) as saved:
                campaign = kit.prefill(residence, form.milestone.data, current_user)
            if saved.ok:
                flash("Campagne préparée : relisez-la, complétez-la (photos, rendez-vous…) "
                      "puis lancez-la.", "success")
                return redirect(url_for("campaigns.edit", campaign_id=campaign.id))
    elif chosen is not None:
        form.residence_id.data = chosen.id
    status = 422 if errors or form.errors else 200
    return render_template("campaign_tools/kit.html", form=form, programmes=programmes,
                           chosen=chosen, milestones=MILESTONES, news=kit.NEWS,
                           errors=errors), status


@bp.route("/campagnes/<id:campaign_id>/test-segment", methods=["POST"])
@editor_required
def send_test_segment(campaign_id: int):
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    form = TestSegmentForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as saved:
        sent = trials.send_to_segment(campaign, form.test_segment_id.data, current_user)
    if saved.ok:
        message = f"Test envoyé à {sent.queued} membre(s) du segment, objet préfixé « [TEST] »."
        if sent.skipped:
            message += f" {sent.skipped} sans adresse utilisable."
        flash(message, "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/campagnes/<id:campaign_id>/courriers/preparer/<document>", methods=["POST"])
@editor_required
def prepare_document(campaign_id: int, document: str):
    """Queue the PDF of the campaign's letters (or labels) for the scheduler to lay out."""
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    if document not in DOCUMENTS:
        abort(404)
    form = TestSegmentForm()  # CSRF only
    if not form.validate_on_submit():
        abort(400)
    task_kind, prefix = DOCUMENTS[document]
    with transaction() as saved:
        task = paper_tasks.queue("campaign", campaign.id, task_kind, current_user,
                                 entity_id=campaign.entity_id,
                                 filename=f"{prefix}-campagne-{campaign.id}.pdf")
    if not saved.ok:
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return redirect(url_for("letters.task", document_id=task.id), code=303)
