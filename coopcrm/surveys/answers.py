"""Answering a survey: from a personal link, or keyed in by a referent from a paper reply.

An answer can be changed until the survey closes: the response is found again
by its `respondent_key` — the member id in a named survey, an HMAC of the raw
link token in an anonymous one (so the database alone cannot tell whose it is).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from coopcrm import clock, plaintext
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.journeys import services as journeys
from coopcrm.links import services as links
from coopcrm.surveys import services
from coopcrm.surveys.models import (
    SCALE,
    TEXT_ANSWER_MAX,
    YESNO,
    Survey,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)

REQUIRED = "Merci de répondre à cette question."


@dataclass
class Link:
    """What a valid survey link opens."""

    survey: Survey
    invitation: SurveyInvitation
    key: str  # respondent key


def field_name(question: SurveyQuestion) -> str:
    return f"q{question.id}"


def open_link(raw: str | None) -> Link | None:
    """The survey and invitation of a live link, or None (unknown, tampered, expired)."""
    token = links.resolve(raw, services.PURPOSE)
    if token is None or token.subject_id is None:
        return None
    survey = db.session.get(Survey, token.subject_id)
    invitation = db.session.scalar(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == token.subject_id,
        SurveyInvitation.member_id == token.member_id))
    if survey is None or invitation is None or invitation.member.anonymised_dt is not None:
        return None
    return Link(survey, invitation, respondent_key(survey, invitation.member_id, raw))


def respondent_key(survey: Survey, member_id: int, raw_token: str | None) -> str:
    if not survey.anonymous:
        return f"member:{member_id}"
    if raw_token is None:  # a paper reply keyed in: nothing may lead back to the member
        return "paper:" + secrets.token_hex(24)
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"survey-response:" + raw_token.encode(), hashlib.sha256).hexdigest()


def current_response(survey: Survey, key: str) -> SurveyResponse | None:
    return db.session.scalar(select(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.respondent_key == key))


def parse(survey: Survey, getlist: Callable[[str], list[str]]) -> dict:
    """The answers of a submitted form, checked; ValidationFailed({"q<id>": message}) if bad."""
    answers, errors = {}, {}
    for q in survey.questions:
        values = [v for v in (getlist(field_name(q)) or []) if v is not None]
        try:
            value = _one(q, values)
        except ValueError as exc:
            errors[field_name(q)] = str(exc)
            continue
        if value in (None, "", []):
            if q.required:
                errors[field_name(q)] = REQUIRED
            continue
        answers[str(q.id)] = value
    if errors:
        raise ValidationFailed(errors)
    return answers


def typed(survey: Survey, getlist: Callable[[str], list[str]]) -> dict:
    """What a refused form held, as `parse` reads it, to show it again beside its errors."""
    out: dict = {}
    for q in survey.questions:
        got = getlist(field_name(q))
        out[str(q.id)] = got if q.kind == "multiple" else (got[0] if got else "")
    return out


def _one(q: SurveyQuestion, values: list[str]):
    first = values[0].strip() if values else ""
    if q.kind == "yesno":
        if first and first not in YESNO:
            raise ValueError("Répondez par Oui ou par Non.")
        return first or None
    if q.kind == "single":
        if first and first not in (q.choices or []):
            raise ValueError("Ce choix ne fait pas partie des réponses proposées.")
        return first or None
    if q.kind == "multiple":
        picked = {v.strip() for v in values if v.strip()}
        if picked - set(q.choices or []):
            raise ValueError("Un choix ne fait pas partie des réponses proposées.")
        return [c for c in q.choices if c in picked]
    if q.kind == "scale":
        if not first:
            return None
        if first not in {str(n) for n in SCALE}:
            raise ValueError("Choisissez une note de 1 à 5.")
        return int(first)
    limit = q.answer_max or TEXT_ANSWER_MAX["long"]
    text = plaintext.normalise_newlines("\n".join(values)).strip()
    # A short answer is one line (an <input>), a long one a text area: the app's one rule.
    problem = plaintext.line_problem(text) if q.kind == "short" else plaintext.text_problem(text)
    if problem is not None:
        raise ValueError(problem)
    if len(text) > limit:
        raise ValueError(f"Votre réponse dépasse {limit} caractères : raccourcissez-la.")
    return text or None


def submit(link: Link, answers: dict, *, channel: str = "email", user=None) -> bool:
    """Save (or replace) the answers; True the first time this member answers. Never commits.

    The first answer of a named survey adds a "Réponse à un sondage" moment to
    the member's timeline.
    """
    survey, invitation = link.survey, link.invitation
    now = clock.now()
    today = clock.today()
    response = current_response(survey, link.key)
    if response is None and survey.anonymous and invitation.answered_dt is not None:
        # Answered already through another link (the invitation's or a reminder's):
        # a second anonymous response would count them twice.
        raise ValidationFailed({"link": "Vous avez déjà répondu à ce questionnaire. Pour "
                                        "modifier votre réponse, utilisez le lien de l'email "
                                        "avec lequel vous avez répondu."})
    if response is None:
        response = SurveyResponse(survey_id=survey.id, respondent_key=link.key)
        db.session.add(response)
    response.answers = answers
    response.channel = channel
    response.answered_on = today
    response.answered_dt = None if survey.anonymous else now
    response.member_id = None if survey.anonymous else invitation.member_id
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The same form posted twice at once: the other request created it; update that one.
        response = current_response(survey, link.key)
        assert response is not None  # the IntegrityError says the other request made it
        response.answers = answers
        db.session.flush()
    stamp = (datetime.combine(today, time(12), tzinfo=clock.PARIS) if survey.anonymous else now)
    first = cast(CursorResult, db.session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id, SurveyInvitation.answered_dt.is_(None))
        .values(answered_dt=stamp, answer_channel=channel)
        .execution_options(synchronize_session=False)
    )).rowcount == 1
    db.session.expire(invitation, ["answered_dt", "answer_channel"])
    if first and not survey.anonymous:
        _moment(survey, invitation, channel, user)
    return first


def _moment(survey: Survey, invitation: SurveyInvitation, channel: str, user) -> None:
    mtype = services.ensure_moment_type()
    try:
        with db.session.begin_nested():
            journeys.record(invitation.member, mtype, status="done", occurs_on=clock.today(),
                            channel=channel, notes=f"Sondage « {survey.title} »", user=user)
    except Exception:  # noqa: BLE001 — the timeline is a bonus: never lose the answer for it
        current_app.logger.exception("survey %s: moment not recorded", survey.id)


def paper_link(survey: Survey, invitation: SurveyInvitation) -> Link:
    """A referent keying in a paper reply for this invitation."""
    return Link(survey, invitation, respondent_key(survey, invitation.member_id, None))
