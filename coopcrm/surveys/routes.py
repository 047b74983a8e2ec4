"""Referent pages for surveys: build, send, remind, print, key in paper replies, results."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from coopcrm import clock, ui
from coopcrm.auth.access import editor_required
from coopcrm.extensions import db
from coopcrm.members.scoping import check_change_group, get_changeable, get_member, get_owned
from coopcrm.pagination import paginate
from coopcrm.params import int_arg
from coopcrm.segments.services import count as segment_count
from coopcrm.segments.services import find_visible, visible_segments
from coopcrm.surveys import answers, query, results, services
from coopcrm.surveys.forms import QuestionForm, SendForm, SurveyForm
from coopcrm.surveys.models import Survey, SurveyQuestion
from coopcrm.views import download, render_form, transaction

bp = Blueprint("surveys", __name__)


ui.register_member_panel(bp, "sondages", "surveys/_member_surveys.html",
                         lambda member: {"invitations": query.member_invitations(member,
                                                                                 current_user)},
                         order=30)
ui.register_nav(bp, "surveys.index", "Sondages", order=60)


def _question(survey: Survey, question_id: int) -> SurveyQuestion:
    """One of the survey's questions; 404 for another survey's."""
    question = db.get_or_404(SurveyQuestion, question_id)
    if question.survey_id != survey.id:
        abort(404)
    return question


# ---------------------------------------------------------------- list, build


@bp.route("/sondages")
@login_required
def index():
    rows = [(s, results.reach(s, current_user)) for s in services.surveys(current_user)]
    return render_template("surveys/index.html", rows=rows, templates=services.templates(),
                           now=clock.now())


@bp.route("/sondages/nouveau", methods=["GET", "POST"])
@editor_required
def new():
    form = SurveyForm()
    form.entity_id.fill(current_user)
    if form.validate_on_submit():
        with transaction(form, fallback=None) as saved:
            survey = services.create_survey(form.data, current_user)
        if saved.ok:
            flash("Sondage créé : ajoutez maintenant ses questions.", "success")
            return redirect(url_for("surveys.show", survey_id=survey.id))
    return render_form("surveys/edit.html", form, survey=None)


@bp.route("/sondages/modeles/installer", methods=["POST"])
@editor_required
def install_templates():
    check_change_group(current_user)  # the models are the group's
    with transaction() as saved:
        services.seed_templates()
    if saved.ok:
        flash("Modèles prêts à l'emploi installés.", "success")
    return redirect(url_for("surveys.index"))


@bp.route("/sondages/<id:survey_id>")
@login_required
def show(survey_id: int):
    survey = get_owned(Survey, survey_id, current_user)
    return render_template("surveys/show.html", survey=survey, locked=services.is_locked(survey),
                           reach=results.reach(survey, current_user), now=clock.now())


@bp.route("/sondages/<id:survey_id>/modifier", methods=["GET", "POST"])
@editor_required
def edit(survey_id: int):
    survey = get_changeable(Survey, survey_id, current_user)
    form = SurveyForm(obj=survey)
    form.entity_id.fill(current_user, survey.entity_id, new=False)
    if form.validate_on_submit():
        with transaction(form, fallback=None) as saved:
            services.update_survey(survey, form.data, current_user)
        if saved.ok:
            flash("Sondage enregistré.", "success")
            return redirect(url_for("surveys.show", survey_id=survey.id))
    return render_form("surveys/edit.html", form, survey=survey)


@bp.route("/sondages/<id:survey_id>/dupliquer", methods=["POST"])
@editor_required
def duplicate(survey_id: int):
    survey = get_owned(Survey, survey_id, current_user)  # a copy: the original stays as is
    with transaction() as saved:
        copy = services.duplicate(survey, current_user)
    if not saved.ok:
        return redirect(url_for("surveys.show", survey_id=survey.id))
    flash(f"« {copy.title} » créé : vérifiez ses dates puis envoyez-le.", "success")
    return redirect(url_for("surveys.show", survey_id=copy.id))


@bp.route("/sondages/<id:survey_id>/questions/nouvelle", methods=["GET", "POST"])
@editor_required
def add_question(survey_id: int):
    survey = get_changeable(Survey, survey_id, current_user)
    form = QuestionForm()
    if form.validate_on_submit():
        with transaction(form, fallback=None) as saved:
            services.add_question(survey, form.data)
        if saved.ok:
            flash("Question ajoutée.", "success")
            return redirect(url_for("surveys.show", survey_id=survey.id) + "#questions")
    return render_form("surveys/question.html", form, survey=survey, question=None)


@bp.route("/sondages/<id:survey_id>/questions/<id:question_id>", methods=["GET", "POST"])
@editor_required
def edit_question(survey_id: int, question_id: int):
    survey = get_changeable(Survey, survey_id, current_user)
    question = _question(survey, question_id)
    form = QuestionForm(obj=question)
    if request.method == "GET":
        form.choices.data = "\n".join(question.choices or [])
    if form.validate_on_submit():
        with transaction(form, fallback=None) as saved:
            services.update_question(question, form.data)
        if saved.ok:
            flash("Question enregistrée.", "success")
            return redirect(url_for("surveys.show", survey_id=survey.id) + "#questions")
    return render_form("surveys/question.html", form, survey=survey, question=question)


@bp.route("/sondages/<id:survey_id>/questions/<id:question_id>/deplacer", methods=["POST"])
@editor_required
def move_question(survey_id: int, question_id: int):
    survey = get_changeable(Survey, survey_id, current_user)
    question = _question(survey, question_id)
    with transaction():
        services.move_question(question, -1 if request.form.get("sens") == "haut" else 1)
    return redirect(url_for("surveys.show", survey_id=survey.id) + "#questions")


@bp.route("/sondages/<id:survey_id>/questions/<id:question_id>/supprimer",
          methods=["GET", "POST"])
@editor_required
def delete_question(survey_id: int, question_id: int):
    survey = get_changeable(Survey, survey_id, current_user)
    question = _question(survey, question_id)
    if request.method == "POST":
        with transaction() as saved:
            services.delete_question(question)
        if saved.ok:
            flash("Question supprimée.", "success")
        return redirect(url_for("surveys.show", survey_id=survey.id) + "#questions")
    return render_template("surveys/delete_question.html", survey=survey, question=question)


# ---------------------------------------------------------------- send


@bp.route("/sondages/<id:survey_id>/envoyer", methods=["GET", "POST"])
@editor_required
def send(survey_id: int):
    survey = get_changeable(Survey, survey_id, current_user)
    form = SendForm()
    segments = visible_segments(current_user)
    form.fill(segments)
    segment = None
    chosen = int_arg("segment_id")
    if chosen is not None:
        segment = find_visible(current_user, chosen)
        if segment is None:
            abort(404)
    if request.method == "POST" and request.form.get("confirm") and segment is not None \
            and form.validate_on_submit():
        with transaction() as saved:
            n = services.send_to_segment(survey, segment, current_user)
        if saved.ok:
            flash(f"{n} invitation(s) mise(s) en file d'envoi. Les coopérateurs déjà invités "
                  "ne reçoivent rien de plus.", "success")
            return redirect(url_for("surveys.show", survey_id=survey.id))
    audience = segment_count(segment, current_user) if segment is not None else None
    return render_template("surveys/send.html", survey=survey, form=form, segment=segment,
                           audience=audience, segments=segments)


# ---------------------------------------------------------------- results


@bp.route("/sondages/<id:survey_id>/resultats")
@login_required
def results_page(survey_id: int):
    survey = get_owned(Survey, survey_id, current_user)
    return render_template("surveys/results.html", survey=survey,
                           reach=results.reach(survey, current_user),
                           questions=results.questions(survey, current_user),
                           breakdowns=results.breakdowns(survey, current_user))


@bp.route("/sondages/<id:survey_id>/reponses.<fmt>")
@login_required
def export(survey_id: int, fmt: str):
    survey = get_owned(Survey, survey_id, current_user)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    return download(results.export_rows(survey, as_text=fmt == "csv", user=current_user),
                    f"sondage-{survey.id}-reponses.{fmt}", sheet="Réponses")


# ---------------------------------------------------------------- by post


@bp.route("/sondages/<id:survey_id>/courrier")
@login_required
def by_post(survey_id: int):
    survey = get_owned(Survey, survey_id, current_user)
    q = (request.args.get("q") or "").strip()[:100]
    page = paginate(db.session, query.post_invitations(survey, current_user, q),
                    request.args.get("page", 1, type=int), 50)
    return render_template("surveys/by_post.html", survey=survey, page=page, q=q)


@bp.route("/sondages/<id:survey_id>/imprimer")
@login_required
def printable(survey_id: int):
    """One letter per member invited by post (or a blank copy), to print."""
    survey = get_owned(Survey, survey_id, current_user)
    rows = [] if request.args.get("vierge") else query.letters_to_print(survey, current_user)
    return render_template("surveys/print.html", survey=survey, rows=rows)


@bp.route("/sondages/<id:survey_id>/courrier/<id:member_id>", methods=["GET", "POST"])
@editor_required
def key_in(survey_id: int, member_id: int):
    """A referent types in the answers a member of theirs sent back by post (a group survey
    too: the answer is the member's, the survey stays as it is)."""
    survey = get_owned(Survey, survey_id, current_user)
    member = get_member(current_user, member_id)
    invitation = query.invitation(survey, member)
    if invitation is None:
        abort(404)
    link = answers.paper_link(survey, invitation)
    errors, values = {}, {}
    existing = answers.current_response(survey, link.key)
    if existing is not None:
        values = existing.answers or {}
    if survey.anonymous and invitation.answered_dt is not None:
        flash("Ce coopérateur a déjà répondu à ce sondage anonyme : sa réponse ne peut plus "
              "être saisie ni modifiée.", "error")
        return redirect(url_for("surveys.by_post", survey_id=survey.id))
    if request.method == "POST":
        with transaction(flash_rest=False) as saved:  # shown beside their questions
            parsed = answers.parse(survey, request.form.getlist)
            answers.submit(link, parsed, channel="courrier", user=current_user)
        if saved.ok:
            flash(f"Réponse de {member.full_name} enregistrée (courrier).", "success")
            return redirect(url_for("surveys.by_post", survey_id=survey.id))
        errors, values = saved.errors, answers.typed(survey, request.form.getlist)
    return render_form("surveys/key_in.html", survey=survey, member=member,
                       invitation=invitation, errors=errors, values=values)
