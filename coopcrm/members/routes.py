"""Member list, member page and member forms (thin views over query and services)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coopcrm import clock, ui
from coopcrm.auth.access import editor_required
from coopcrm.extensions import db
from coopcrm.forms import attach_errors
from coopcrm.members import lookups, services, shares
from coopcrm.members.forms import ConsentForm, MemberForm, ShareForm
from coopcrm.members.models import (
    EMAIL_STATUSES,
    SHARE_KINDS,
    STATUSES,
    TRACKS,
    Member,
    MemberEntity,
)
from coopcrm.members.query import MemberFilter, members_query
from coopcrm.members.scoping import get_member, may_change, may_change_group, owner_label
from coopcrm.models import text_limit
from coopcrm.pagination import paginate
from coopcrm.privacy import consents, proofs, reads
from coopcrm.privacy import services as privacy
from coopcrm.privacy.models import CONSENT_KINDS
from coopcrm.views import render_form, transaction

bp = Blueprint("members", __name__)

# The privacy domain keeps the audit trail; its page and panel are the member's.
ui.register_member_panel(bp, "historique", "privacy/_member_audit.html",
                         lambda member: {"audit": privacy.member_audit(member.id, 1, 20)},
                         order=60)
ui.register_nav(bp, "members.index", "Coopérateurs", order=20)
# Pages offer to change a shared object only to those who may (members.scoping decides).
ui.register_globals(bp, can_change=lambda obj: may_change(current_user, obj),
                    can_change_group=lambda: may_change_group(current_user),
                    owner_label=owner_label)


@bp.route("/membres")
@login_required
def index():
    f, errors = MemberFilter.parse(request.args)
    page = paginate(
        db.session,
        members_query(current_user, f),
        request.args.get("page", 1, type=int),
        current_app.config["MEMBERS_PER_PAGE"],
    )
    return render_template(
        "members/index.html",
        f=f,
        errors=errors,
        page=page,
        entities=lookups.entities_for(current_user),
        residences=lookups.residences_for(current_user),
        colleges=lookups.colleges(),
        tracks=TRACKS,
        statuses=STATUSES,
    ), 400 if errors else 200


@bp.route("/membres/<id:member_id>")
@login_required
def show(member_id: int):
    member = get_member(current_user, member_id)
    page = _render_show(member)
    _read(member, "page")
    return page


@bp.route("/membres/nouveau", methods=["GET", "POST"])
@editor_required
def new():
    return _member_form(None)


@bp.route("/membres/<id:member_id>/modifier", methods=["GET", "POST"])
@editor_required
def edit(member_id: int):
    return _member_form(get_member(current_user, member_id))


@bp.route("/membres/<id:member_id>/parts", methods=["POST"])
@editor_required
def add_share(member_id: int):
    member = get_member(current_user, member_id)
    form = ShareForm()
    if form.validate_on_submit():
        with transaction(form) as saved:
            shares.record(member, form.kind.data, form.quantity.data, form.occurred_on.data,  # type: ignore[arg-type]  # validated: an int
                          unit_amount=form.unit_amount.data, note=form.note.data or "",
                          user=current_user)
        if saved.ok:
            label = SHARE_KINDS[form.kind.data].lower()
            flash(f"Mouvement enregistré ({label} de {form.quantity.data} part(s)).", "success")
            return redirect(url_for("members.show", member_id=member.id, _anchor="parts"))
    flash("Le mouvement de parts n'a pas été enregistré : corrigez le formulaire.", "error")
    return _render_show(member, share_form=form), 422


@bp.route("/membres/<id:member_id>/consentements/<kind>", methods=["POST"])
@editor_required
def consent(member_id: int, kind: str):
    member = get_member(current_user, member_id)
    if kind not in CONSENT_KINDS:
        abort(404)
    form = ConsentForm(prefix=kind)
    if form.validate_on_submit():
        with transaction(form) as saved:
            changed = services.set_consent(member, kind, form.granted.data == "oui",
                                           form.source.data, form.wording.data or "", current_user,  # type: ignore[arg-type]  # validated: a str
                                           proof=proofs.read_upload(form.scan.data))
        if saved.ok:
            label = CONSENT_KINDS[kind]
            flash(f"{label} : consentement enregistré." if changed
                  else f"{label} : aucun changement.", "success" if changed else "info")
            return redirect(url_for("members.show", member_id=member.id, _anchor="consentements"))
    flash("Le consentement n'a pas été enregistré : corrigez le formulaire.", "error")
    return _render_show(member, consent_form=(kind, form)), 422


@bp.route("/membres/<id:member_id>/historique")
@login_required
def history(member_id: int):
    member = get_member(current_user, member_id)
    audit = privacy.member_audit(member.id, request.args.get("page", 1, type=int), per_page=50)
    page = render_template("members/history.html", member=member, audit=audit)
    _read(member, "history")
    return page


def _read(member: Member, kind: str) -> None:
    """The read audit: the page was rendered (an error page is not a read), then recorded."""
    reads.record(member.id, kind, current_user)
    db.session.commit()


def _member_form(member: Member | None):
    entities = lookups.entities_for(current_user)
    form = MemberForm(obj=member)
    form.fill_choices(lookups.residences_for(current_user), lookups.colleges())
    errors: dict[str, str] = {}
    # Links the user may not change (scoped referents) are shown, not offered.
    offered = {e.id for e in entities}
    own = member.entity_links if member else []
    fixed = [link for link in own if link.entity_id not in offered]
    links = {link.entity_id: link.reference or "" for link in own}
    if form.is_submitted():
        links = MemberForm.entity_links(request.form, entities)
        form_ok = form.validate()
        data = {**form.values(), "entities": links}
        errors = services.check_member(data, current_user, member)
        if not links and not fixed:
            errors.setdefault("entities", "Choisissez au moins une entité.")
        if form_ok and not errors:
            with transaction(flash_rest=False) as saved:  # the page shows them with the others
                if member is None:
                    member = services.create_member(data, current_user)
                else:
                    services.update_member(member, data, current_user)
            if saved.ok:
                flash("Fiche enregistrée.", "success")
                return redirect(url_for("members.show", member_id=member.id))
            errors = saved.errors
        errors = attach_errors(form, errors)
    return render_form("members/form.html", form, member=member, entities=entities, links=links,
                       fixed_links=fixed, errors=errors,
                       reference_max=text_limit(MemberEntity, "reference"))


def _render_show(member: Member, share_form: ShareForm | None = None,
                 consent_form: tuple[str, ConsentForm] | None = None):
    if share_form is None:
        share_form = ShareForm(formdata=None, occurred_on=clock.today())
    consent_forms = {}
    for kind in CONSENT_KINDS:
        if consent_form is not None and consent_form[0] == kind:
            consent_forms[kind] = consent_form[1]
        else:
            current = "oui" if getattr(member, f"{kind}_consent") else "non"
            consent_forms[kind] = ConsentForm(
                formdata=None, prefix=kind, granted=current,
                wording=consents.wording(kind, current_app.config["COOP_NAME"]))
    register = shares.register(member)
    return render_template(
        "members/show.html",
        member=member,
        tracks=TRACKS,
        statuses=STATUSES,
        email_statuses=EMAIL_STATUSES,
        movements=register.movements,
        authors=register.authors,
        share_kinds=SHARE_KINDS,
        share_totals={"subscribed": register.subscribed, "reimbursed": register.reimbursed},
        share_form=share_form,
        consent_kinds=CONSENT_KINDS,
        consent_forms=consent_forms,
        consent_history=services.consent_history(member),
    )
