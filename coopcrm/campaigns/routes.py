"""Campaign pages: list, write (block editor), audience, ledger, launch and its levers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from coopcrm import clock, ui
from coopcrm.auth.access import editor_required
from coopcrm.blocks import editor as blocks_editor
from coopcrm.blocks import placeholders
from coopcrm.campaigns import archive, attachments, letters, services, stats, trials
from coopcrm.campaigns.forms import (
    ActionForm,
    AttachmentForm,
    CampaignForm,
    PublishForm,
    ScheduleForm,
)
from coopcrm.campaigns.models import CHANNELS, RECIPIENT_STATUSES, Campaign
from coopcrm.extensions import db
from coopcrm.forms import choices
from coopcrm.members import scoping
from coopcrm.members.models import Member, Residence
from coopcrm.pagination import Page, paginate
from coopcrm.params import int_arg
from coopcrm.security_headers import email_frame
from coopcrm.segments import services as segments
from coopcrm.views import download, render_form, transaction

bp = Blueprint("campaigns", __name__)
ui.register_nav(bp, "campaigns.index", "Campagnes", order=75)

PER_PAGE = 50
# Action name in the URL -> (French button and question, whether it needs `now`).
ACTIONS = {
    "lancer": ("Lancer l'envoi", "Lancer l'envoi maintenant ? La liste des destinataires "
                                 "sera figée ; vous aurez 60 secondes pour annuler."),
    "annuler-envoi": ("Annuler l'envoi", "Annuler le lancement ? La campagne redevient un "
                                         "brouillon ; rien n'est parti."),
    "pause": ("Mettre en pause", "Mettre l'envoi en pause ? Les emails pas encore partis sont "
                                 "retenus."),
    "reprendre": ("Reprendre l'envoi", "Reprendre l'envoi ? Personne ne le recevra deux fois."),
    "annuler": ("Annuler la campagne", "Annuler définitivement la campagne ? Ce qui est parti "
                                       "ne peut pas être rappelé."),
    "renvoyer-echecs": ("Renvoyer aux échecs seulement", "Renvoyer l'email aux seuls "
                                                         "destinataires en échec ?"),
    "deprogrammer": ("Déprogrammer", "Déprogrammer la campagne ? Elle redevient un brouillon."),
    "courriers-envoyes": ("Marquer comme envoyés", "Les courriers sont-ils partis ? Chaque "
                                                   "destinataire par courrier aura un moment "
                                                   "« Courrier » dans son parcours (une fois)."),
}


def _editor(errors: dict) -> dict:
    return blocks_editor.settings(errors, user=current_user, allowed=placeholders.MEMBER_NAMES)


def _choices(form: CampaignForm, campaign: Campaign | None) -> None:
    form.sender_name.choices = choices((s, s) for s in services.senders())
    form.segment_id.choices = choices([("", "—")] + [
        (s.id, s.name) for s in segments.visible_segments(current_user)])
    residences = select(Residence).order_by(Residence.name)
    if not current_user.sees_all_entities:
        residences = residences.where(Residence.entity_id.in_(current_user.entity_ids))
    form.residence_id.choices = choices([("", "Toutes")] + [
        (r.id, r.name) for r in db.session.scalars(residences)])
    others = db.session.scalars(services.visible_campaigns(current_user)).all()
    form.exclude_campaign_id.choices = choices([("", "—")] + [
        (c.id, c.name) for c in others if campaign is None or c.id != campaign.id])


@bp.route("/campagnes")
@login_required
def index():
    page = paginate(db.session, services.visible_campaigns(current_user),
                    (int_arg("page", 1) or 1), PER_PAGE)
    return render_template("campaigns/index.html", page=page, state_text=services.state_text)


@bp.route("/campagnes/nouvelle", methods=["GET", "POST"])
@editor_required
def new():
    form = CampaignForm()
    form.entity_id.fill(current_user)
    _choices(form, None)
    errors: dict = {}
    if form.validate_on_submit():
        with transaction(form, fallback=None, flash_rest=False) as saved:
            campaign = services.create(form.to_data(), current_user, form.entity_id.data)
            archive.publish(campaign, form.published.data)
        if saved.ok:
            flash("Campagne enregistrée.", "success")
            return redirect(url_for(".show", campaign_id=campaign.id))
        errors = saved.rest
    elif request.method == "GET":
        form.window_days.data = list("1234567")
    return render_template("campaigns/edit.html", form=form, campaign=None, errors=errors,
                           editor=_editor(errors)), 422 if errors or form.errors else 200


@bp.route("/campagnes/<id:campaign_id>/modifier", methods=["GET", "POST"])
@editor_required
def edit(campaign_id: int):
    campaign = scoping.get_changeable(Campaign, campaign_id, current_user)
    form = CampaignForm()
    form.entity_id.fill(current_user, campaign.entity_id, new=False)
    _choices(form, campaign)
    errors: dict = {}
    if form.validate_on_submit():
        with transaction(form, fallback=None, flash_rest=False) as saved:
            services.update_campaign(campaign, form.to_data(), current_user)
            archive.publish(campaign, form.published.data)
        if saved.ok:
            flash("Campagne enregistrée.", "success")
            return redirect(url_for(".show", campaign_id=campaign.id))
        errors = saved.rest
    elif request.method == "GET":
        form.fill(campaign)
    return render_template("campaigns/edit.html", form=form, campaign=campaign, errors=errors,
                           editor=_editor(errors)), 422 if errors or form.errors else 200


@bp.route("/campagnes/<id:campaign_id>")
@login_required
def show(campaign_id: int):
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    now = clock.now()
    breakdown = services.breakdown(campaign) if campaign.state in ("draft", "scheduled") \
        else None
    services.sync(campaign)
    db.session.commit()
    status = request.args.get("statut") or None
    channel = request.args.get("canal") or None
    if status not in RECIPIENT_STATUSES:
        status = None
    if channel not in CHANNELS:
        channel = None
    query = scoping.only_seen(services.ledger(campaign, status, channel), Member.id,
                              current_user)
    total = paginate(db.session, query.with_only_columns(Member.id), 1, 1).total
    page_no = max(1, min((int_arg("page", 1) or 1), max(1, -(-total // PER_PAGE))))
    rows = db.session.execute(query.limit(PER_PAGE).offset((page_no - 1) * PER_PAGE)).all()
    return render_template(
        "campaigns/show.html", campaign=campaign, breakdown=breakdown,
        counts=services.counts(campaign), state_text=services.state_text(campaign),
        undo_left=services.undo_seconds_left(campaign, now),
        page=Page(list(rows), total, page_no, PER_PAGE), status=status, channel=channel,
        statuses=RECIPIENT_STATUSES, channels=CHANNELS, actions=ACTIONS, form=ActionForm(),
        schedule_form=ScheduleForm(), may_change=scoping.may_change(current_user, campaign),
        letters_pending=letters.pending(campaign, current_user),
        stats=stats.statistics(campaign, current_user) if campaign.launched_at else None,
        columns=stats.COLUMNS, publish_form=PublishForm(published=campaign.published),
        files=attachments.listed(campaign),
        **trials.page_context(campaign, current_user))


@bp.route("/campagnes/<id:campaign_id>/motif/<reason>")
@login_required
def reason(campaign_id: int, reason: str):
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    if reason not in services.RULES:
        abort(404)
    query = scoping.scope(services.members_for_reason(campaign, reason), current_user)
    page = paginate(db.session, query, (int_arg("page", 1) or 1), PER_PAGE)
    return render_template("campaigns/reason.html", campaign=campaign, page=page,
                           label=services.RULES[reason].label, reason=reason)


@bp.route("/campagnes/<id:campaign_id>/<action>", methods=["GET", "POST"])
@editor_required
def act(campaign_id: int, action: str):
    campaign = scoping.get_changeable(Campaign, campaign_id, current_user)
    if action not in ACTIONS:
        abort(404)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        now = clock.now()
        with transaction() as saved:
            message = _perform(campaign, action, now)
        if saved.ok:
            flash(message, "success")
        return redirect(url_for(".show", campaign_id=campaign.id))
    button, question = ACTIONS[action]
    return render_template("campaigns/confirm.html", campaign=campaign, form=form,
                           button=button, question=question, action=action)


def _perform(campaign: Campaign, action: str, now) -> str:
    if action == "lancer":
        n = services.launch(campaign, now)
        return f"Envoi lancé : {n} destinataire(s). Vous avez 60 secondes pour l'annuler."
    if action == "annuler-envoi":
        services.undo_launch(campaign, now)
        return "Envoi annulé : la campagne est redevenue un brouillon, rien n'est parti."
    if action == "pause":
        n = services.pause(campaign)
        return f"Envoi en pause ; {n} email(s) retenu(s)."
    if action == "reprendre":
        services.resume(campaign)
        return "Envoi repris."
    if action == "annuler":
        n = services.cancel(campaign, now)
        return f"Campagne annulée ; {n} membre(s) l'avaient déjà reçue."
    if action == "courriers-envoyes":
        n = letters.mark_posted(campaign, current_user, now)
        return f"{n} courrier(s) marqué(s) comme envoyé(s), notés dans le parcours des membres."
    if action == "renvoyer-echecs":
        n = services.retry_failures(campaign)
        return f"{n} destinataire(s) en échec remis en file, envoyés par lots."
    services.unschedule(campaign)
    return "Campagne déprogrammée."


@bp.route("/campagnes/<id:campaign_id>/programmer", methods=["POST"])
@editor_required
def schedule(campaign_id: int):
    campaign = scoping.get_changeable(Campaign, campaign_id, current_user)
    form = ScheduleForm()
    if form.validate_on_submit() and form.scheduled_at.data is not None:
        at = form.scheduled_at.data.replace(tzinfo=clock.PARIS)
        with transaction() as saved:
            services.schedule(campaign, at, clock.now())
        if saved.ok:
            flash("Campagne programmée.", "success")
    else:
        flash("Indiquez la date et l'heure d'envoi.", "error")
    return redirect(url_for(".show", campaign_id=campaign.id))


@bp.route("/campagnes/<id:campaign_id>/dupliquer", methods=["POST"])
@editor_required
def duplicate(campaign_id: int):
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as saved:
        copy = services.duplicate(campaign, current_user)
        copy.entity_id = scoping.checked_owner(current_user, scoping.default_owner(current_user))
    if not saved.ok:
        return redirect(url_for(".show", campaign_id=campaign.id))
    flash("Campagne dupliquée : voici la copie, en brouillon.", "success")
    return redirect(url_for(".edit", campaign_id=copy.id))


def _member_arg() -> Member | None:
    member_id = int_arg("membre")
    return scoping.get_member(current_user, member_id) if member_id else None


@bp.route("/campagnes/<id:campaign_id>/test", methods=["POST"])
@editor_required
def send_test(campaign_id: int):
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    member_id = form.member_id.data
    member = scoping.get_member(current_user, int(member_id)) \
        if member_id and member_id.isdigit() else None
    with transaction() as saved:
        services.send_test(campaign, current_user, member)
    if saved.ok:
        flash(f"Email de test envoyé à {current_user.email}.", "success")
    return redirect(url_for(".show", campaign_id=campaign.id))


@bp.route("/campagnes/<id:campaign_id>/apercu")
@login_required
def preview(campaign_id: int):
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    member = _member_arg()
    width = "phone" if request.args.get("largeur") == "telephone" else "desktop"
    rendered = services.preview(campaign, member)
    return render_template("campaigns/preview.html", campaign=campaign, rendered=rendered,
                           member=member, width=width, form=ActionForm())


@bp.route("/campagnes/<id:campaign_id>/apercu/email")
@login_required
def preview_html(campaign_id: int):
    """The email's HTML alone, for the preview's sandboxed frame: under the page's own
    policy its inline styles would be refused (security_headers.email_frame)."""
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    return email_frame(services.preview(campaign, _member_arg()).html)


# -- letters (coopcrm.letters): the recipients with status 'letter' the user sees ------------


@bp.route("/campagnes/<id:campaign_id>/imprimeur.csv")
@login_required
def printer_csv(campaign_id: int):
    campaign = scoping.get_owned(Campaign, campaign_id, current_user)
    return download(letters.printer_lines(campaign, current_user),
                    f"imprimeur-campagne-{campaign.id}.csv")


# -- public archive flag and attachments -----------------------------------------------


@bp.route("/campagnes/<id:campaign_id>/archives", methods=["POST"])
@editor_required
def publish(campaign_id: int):
    """"Publier dans les archives" (or take it off), at any state."""
    campaign = scoping.get_changeable(Campaign, campaign_id, current_user)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    with transaction() as saved:
        archive.publish(campaign, form.published.data)
    if saved.ok:
        flash("Campagne publiée dans les archives." if campaign.published
              else "Campagne retirée des archives.", "success")
    return redirect(url_for(".show", campaign_id=campaign.id))




@bp.route("/campagnes/<id:campaign_id>/pieces-jointes", methods=["GET", "POST"])
@editor_required
def files(campaign_id: int):
    """The campaign's attached files: add one (5 MB in all), or take one off (`retirer`)."""
    campaign = scoping.get_changeable(Campaign, campaign_id, current_user)
    form = AttachmentForm()
    errors: dict = {}
    if form.validate_on_submit():
        removed = int_arg("retirer")
        sent = request.files.get(attachments.FIELD)
        if removed is None and (sent is None or not sent.filename):
            errors = {attachments.FIELD: "Choisissez un fichier à joindre."}
        else:
            with transaction(flash_rest=False) as saved:
                if removed is not None:
                    if not attachments.remove(campaign, removed):
                        abort(404)
                elif sent is not None:
                    # One byte more than the limit is enough to refuse it, whatever its size.
                    data = sent.stream.read(attachments.MAX_TOTAL_BYTES + 1)
                    attachments.add(campaign, sent.filename or "", data)
            if saved.ok:
                flash("Pièce jointe retirée." if removed else "Pièce jointe ajoutée.", "success")
                return redirect(url_for(".files", campaign_id=campaign.id))
            errors = saved.rest
    return render_form("campaigns/attachments.html", form, campaign=campaign, errors=errors,
                       files=attachments.listed(campaign),
                       total=attachments.total_bytes(campaign), hint=attachments.HINT,
                       limit=attachments.MAX_TOTAL_BYTES, field=attachments.FIELD)
