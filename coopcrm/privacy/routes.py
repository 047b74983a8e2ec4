"""The member's personal data: subject-access export, anonymisation, and the register of
data subjects' requests (issue 14)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from coopcrm import clock, fr, params, ui, views
from coopcrm.auth.access import admin_required, editor_required, right_required
from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members import validation
from coopcrm.members.models import STATUSES, Member
from coopcrm.members.scoping import by_reference, get_member, sees_member
from coopcrm.pagination import paginate
from coopcrm.params import int_arg
from coopcrm.privacy import (
    access,
    audit,
    erasure,
    notice,
    periods,
    proofs,
    reads,
    register,
    requests,
    retention,
)
from coopcrm.privacy.forms import AnonymiseForm, AnswerForm, PeriodsForm, RequestForm
from coopcrm.privacy.models import READ_KINDS, ConsentRecord, DataRequest
from coopcrm.views import render_form, transaction

bp = Blueprint("privacy", __name__)

ui.register_member_panel(bp, "donnees-personnelles", "privacy/_member_privacy.html",
                         lambda member: {}, order=90)
ui.register_member_panel(
    bp, "consultations", "privacy/_member_reads.html",
    lambda member: {"reads": reads.of_member(member.id)
                    if current_user.has_right("read_audit") else None}, order=95)
ui.register_globals(bp, privacy_notice=notice.text)
ui.register_nav(bp, "privacy.request_list", "RGPD", order=95,
                visible=lambda user: user.can_edit)


@bp.route("/membres/<id:member_id>/donnees-personnelles.zip")
@right_required("export_data")
def export(member_id: int):
    """The member's subject-access ZIP (readable document + JSON), recorded as a download."""
    member = get_member(current_user, member_id)
    result = access.archive(member)
    with audit.acting_as(current_user):
        access.record_export(member, result)
    reads.record(member.id, "access_export", current_user)
    return views.send_bytes(result.content, result.filename, "application/zip", result.rows)


@bp.route("/membres/<id:member_id>/consentements/<id:record_id>/scan")
@login_required
def consent_proof(member_id: int, record_id: int):
    """The scan of a paper consent form, as an attachment of the type its bytes are
    (never inline); another entity's member, another member's record or a record
    without a scan answer 404."""
    member = get_member(current_user, member_id)
    record = db.session.get(ConsentRecord, record_id)
    found = proofs.path(record.proof_file) if record and record.member_id == member.id else None
    if record is None or found is None:
        abort(404)
    return views.send_bytes(found.read_bytes(), f"consentement-{record.id}.{found.suffix[1:]}",
                            proofs.mimetype(found.name), 1)


@bp.route("/membres/<id:member_id>/anonymiser", methods=["GET", "POST"])
@right_required("anonymise")
def anonymise(member_id: int):
    """What will be wiped and kept, then the erasure once confirmed with a reason."""
    member = get_member(current_user, member_id)
    form = AnonymiseForm()
    if form.validate_on_submit():
        name = member.full_name
        with transaction(form) as saved:
            erasure.anonymise([member.id], reason=form.reason.data or "", user=current_user)
        if saved.ok:
            flash(f"{name} est anonymisé(e) : identité et coordonnées effacées, "
                  "statistiques et registres légaux conservés.", "success")
            return redirect(url_for("members.index"))
    return render_form("privacy/anonymise.html", form, member=member,
                       plan=erasure.plan(member.id))


# --- The requests register --------------------------------------------------------


def _request(request_id: int) -> DataRequest:
    """A request this user may see; 404 otherwise (like an unknown id)."""
    found = db.session.scalar(requests.visible(current_user)
                              .where(DataRequest.id == request_id))
    if found is None:
        abort(404)
    return found


def _member_by_reference(reference: str):
    """The member of the user's scope with this reference; the same French error whether
    the reference is unknown or another entity's."""
    member = by_reference(reference)
    if member is None or not sees_member(current_user, member.id):
        raise ValidationFailed({"reference": f"Aucun coopérateur de votre périmètre n'a la "
                                             f"référence « {reference} »."})
    return member


@bp.route("/rgpd/demandes")
@editor_required
def request_list():
    page = paginate(db.session, requests.listed(current_user),
                    int_arg("page", 1) or 1, 50)
    return render_template("privacy/requests.html", page=page, today=clock.today(),
                           late=requests.late)


@bp.route("/rgpd/demandes/nouvelle", methods=["GET", "POST"])
@editor_required
def request_new():
    form = RequestForm()
    member = None
    if not form.is_submitted():
        form.received_on.data = clock.today()
        wanted = int_arg("membre")
        if wanted is not None:
            member = get_member(current_user, wanted)
            form.reference.data = access.member_reference(member)
    if form.validate_on_submit():
        with transaction(form) as saved:
            reference = (form.reference.data or "").strip()
            member = _member_by_reference(reference) if reference else None
            created = requests.record(requests.RequestData(
                kind=form.kind.data or "", channel=form.channel.data or "",
                received_on=form.received_on.data, requester=form.requester.data or "",
                member_id=member.id if member else None, notes=form.notes.data or ""),
                current_user, clock.today())
        if saved.ok:
            flash(f"Demande enregistrée : réponse due le {fr.date(created.due_on)}.", "success")
            return redirect(url_for("privacy.request_show", request_id=created.id))
    return render_form("privacy/request_form.html", form)


@bp.route("/rgpd/demandes/<id:request_id>", methods=["GET", "POST"])
@editor_required
def request_show(request_id: int):
    """The request, and the form recording its answer."""
    data_request = _request(request_id)
    form = AnswerForm()
    if not form.is_submitted():
        form.answered_on.data = clock.today()
    elif form.validate_on_submit():
        with transaction(form) as saved:
            requests.answer(data_request, form.answer.data or "",
                            form.answered_on.data, clock.today())
        if saved.ok:
            flash("Réponse enregistrée : la demande est close.", "success")
            return redirect(url_for("privacy.request_list"))
    member = (db.session.get(Member, data_request.member_id)
              if data_request.member_id is not None else None)
    return render_form("privacy/request.html", form, data_request=data_request, member=member,
                       late=requests.late(data_request, clock.today()))


@bp.route("/rgpd/demandes/<id:request_id>/prolonger", methods=["POST"])
@editor_required
def request_extend(request_id: int):
    data_request = _request(request_id)
    with transaction() as saved:
        requests.extend(data_request)
    if saved.ok:
        flash(f"Délai prolongé de deux mois : réponse due le {fr.date(data_request.due_on)}. "
              "Informez-en le demandeur.", "success")
    return redirect(url_for("privacy.request_show", request_id=data_request.id))


# --- The read audit -------------------------------------------------------------------


def _date_arg(name: str):
    """A date of the query string (JJ/MM/AAAA or ISO); 400 with the French message."""
    try:
        return validation.day(request.args.get(name, ""))
    except validation.FieldError as error:
        raise params.BadInput(str(error)) from None


def _read_filter() -> reads.ReadFilter:
    since, until = _date_arg("depuis"), _date_arg("jusqu_au")
    return reads.ReadFilter(user_id=int_arg("utilisateur"), member_id=int_arg("membre"),
                            since=since, until=until)


@bp.route("/admin/consultations")
@right_required("read_audit")
def reads_journal():
    """Every read, filtered by user, member and dates; the CSV of what is shown."""
    found = _read_filter()
    page = paginate(db.session, found.query(current_user), int_arg("page", 1) or 1, 100)
    users = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("privacy/reads.html", page=page, found=found, users=users,
                           kinds=READ_KINDS)


@bp.route("/admin/consultations.csv")
@right_required("read_audit")
def reads_csv():
    return views.download(reads.lines(_read_filter(), current_user),
                          f"consultations-{clock.today():%Y%m%d}.csv")


# --- Retention by status ----------------------------------------------------------------


@bp.route("/rgpd/conservation")
@right_required("anonymise")
def retention_index():
    """Each rule with its number of members to review (the dry run)."""
    found = retention.counts(clock.today(), current_user)
    return render_template("privacy/retention.html", rules=retention.RULES, found=found,
                           periods=periods.PERIODS, values=periods.values())


@bp.route("/rgpd/conservation/durees", methods=["GET", "POST"])
@admin_required
def retention_periods():
    """Each retention period in force, changed by an admin (stored; the setting is the
    default), with who changed what."""
    form = PeriodsForm()
    if not form.is_submitted():
        form.fill(periods.values())
    if form.validate_on_submit():
        with transaction(form) as saved:
            done = periods.change(form.wanted(), current_user)
        if saved.ok:
            flash(f"{len(done)} durée(s) de conservation modifiée(s)." if done
                  else "Aucune durée n'a changé.", "success" if done else "info")
            return redirect(url_for("privacy.retention_periods"))
    return render_form("privacy/periods.html", form, periods=periods.PERIODS,
                       history=periods.history())


@bp.route("/rgpd/conservation/<retention_rule>", methods=["GET", "POST"])
@right_required("anonymise")
def retention_review(retention_rule: str):
    """The rule's list, then its anonymisation once approved with a reason."""
    rule = retention.RULES.get(retention_rule)
    if rule is None:
        abort(404)
    form = AnonymiseForm()
    if form.validate_on_submit():
        with transaction(form) as saved:
            done = retention.anonymise_rule(rule.key, form.reason.data or "", current_user,
                                            clock.now())
        if saved.ok:
            flash(f"{fr.count(done)} fiche(s) anonymisée(s) ({rule.label.lower()}).", "success")
            return redirect(url_for("privacy.retention_index"))
    ids = retention.candidates(rule, clock.today(), current_user)
    page = paginate(db.session, select(Member).where(Member.id.in_(ids))
                    .order_by(Member.last_name, Member.first_name, Member.id),
                    int_arg("page", 1) or 1, 100)
    return render_form("privacy/retention_review.html", form, rule=rule, page=page,
                       statuses=STATUSES)


# --- Register of processing activities --------------------------------------------------


@bp.route("/rgpd/registre-des-traitements")
@admin_required
def processing_register():
    """Art. 30 register, from what the application does and its settings."""
    return render_template("privacy/register.html", **register.context(clock.today()))


@bp.route("/rgpd/registre-des-traitements.pdf")
@admin_required
def processing_register_pdf():
    """The same register as a PDF, for the DPO's file."""
    today = clock.today()
    return views.download_pdf(register.document(today),
                              f"registre-des-traitements-{today:%Y%m%d}.pdf", rows=0)
