"""The member's answer page, reached by personal link /s/<token>.

No login: the stored link token is the credential. A GET never records
anything (mail scanners prefetch links, including the Oui/Non buttons of the
email, which only preselect an answer); the answer is saved by the form's
POST. Any bad link (unknown, tampered, expired, survey closed) gets the same
page, which names no member.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from coopcrm.links.web import private_link_headers
from coopcrm.surveys import answers
from coopcrm.surveys.models import YESNO
from coopcrm.views import render_form, transaction

bp = Blueprint("survey_public", __name__)


bp.after_request(private_link_headers)


def _bad_link():
    return render_template("survey_public/invalid.html"), 404


def _link(token: str):
    link = answers.open_link(token)
    if link is None or link.survey.is_closed():
        return None
    return link


@bp.route("/s/<token>", methods=["GET", "POST"])
def answer(token: str):
    link = _link(token)
    if link is None:
        return _bad_link()
    survey = link.survey
    if not survey.is_open():
        return render_template("survey_public/not_yet.html", survey=survey)
    existing = answers.current_response(survey, link.key)
    errors: dict[str, str] = {}
    values = dict(existing.answers or {}) if existing is not None else {}
    if request.method == "POST":
        with transaction(flash_rest=False) as saved:  # shown beside their questions
            parsed = answers.parse(survey, request.form.getlist)
            answers.submit(link, parsed)
        if saved.ok:
            return redirect(url_for("survey_public.thanks", token=token), code=303)
        errors, values = saved.errors, answers.typed(survey, request.form.getlist)
    preselected = False
    first = survey.questions[0] if survey.questions else None
    choice = request.args.get("reponse")
    if request.method == "GET" and first is not None and first.kind == "yesno" \
            and choice in YESNO:
        values[str(first.id)] = choice  # shown checked; saved only when the member confirms
        preselected = True
    return render_form("survey_public/answer.html", survey=survey, values=values,
                       errors=errors, existing=existing, preselected=preselected,
                       answered_elsewhere=(survey.anonymous and existing is None
                                           and link.invitation.answered_dt is not None),
                       first_name=link.invitation.member.first_name if not survey.anonymous
                       else "")


@bp.route("/s/<token>/merci")
def thanks(token: str):
    link = _link(token)
    if link is None:
        return _bad_link()
    return render_template("survey_public/thanks.html", survey=link.survey, token=token,
                           answered=link.invitation.answered_dt is not None)
