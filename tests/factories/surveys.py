"""Surveys: a survey with one question of each type, invitations, answers.

The survey tests run with the clock at NOW (tests/surveys/conftest.py): CLOSES,
the default closing day, is then a month ahead.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.sending.models import OutboxMessage
from coopcrm.surveys import answers as survey_answers
from coopcrm.surveys import services
from coopcrm.surveys.models import Survey, SurveyInvitation, SurveyResponse
from tests.factories._base import finished

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CLOSES = date(2027, 3, 31)


def survey(kinds=("yesno", "single", "multiple", "scale", "short", "long"), *,
           required=False, anonymous=False, closes_on=CLOSES, commit=True, **kw) -> Survey:
    row = services.create_survey({"title": kw.pop("title", "Votre avis"),
                                  "intro": "Quelques questions.", "thanks": "Merci beaucoup !",
                                  "closes_on": closes_on, "anonymous": anonymous,
                                  "reminder_delay_days": kw.pop("reminder_delay_days", 7),
                                  "reminder_max": kw.pop("reminder_max", 1)})
    labels = {"yesno": "Êtes-vous satisfait ?", "single": "Votre résidence ?",
              "multiple": "Vos centres d'intérêt ?", "scale": "Note globale ?",
              "short": "Un mot ?", "long": "Vos remarques ?"}
    for kind in kinds:
        services.add_question(row, {"kind": kind, "label": labels[kind], "required": required,
                                    "choices": "Jardin\nTerrasse\nAtelier"})
    return finished(row, commit)


def survey_invitation(survey_, member, commit=True, **kw) -> SurveyInvitation:
    """`member` invited through the service (a link queued, or the paper channel)."""
    services.invite(survey_, [member], key_prefix=kw.pop("key_prefix", f"survey:{survey_.id}"),
                    **kw)
    db.session.flush()
    row = db.session.scalars(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey_.id,
        SurveyInvitation.member_id == member.id)).one()
    return finished(row, commit)


def survey_response(survey_, invitation: SurveyInvitation, answers: dict | None = None,
                    channel="courrier", commit=True) -> SurveyResponse:
    """The answers {question id (str): value} keyed in for `invitation`, as a paper reply is."""
    link = survey_answers.paper_link(survey_, invitation)
    survey_answers.submit(link, answers or {}, channel=channel)
    db.session.flush()
    row = survey_answers.current_response(survey_, link.key)
    assert row is not None
    return finished(row, commit)


def invite_and_links(survey_, members, key_prefix=None) -> dict[int, str]:
    """Invite members; returns {member id: personal URL path} read from the outbox."""
    services.invite(survey_, members, key_prefix=key_prefix or f"survey:{survey_.id}")
    db.session.commit()
    return links_of(survey_)


def links_of(survey_, template="survey_invitation") -> dict[int, str]:
    """{member id: personal URL path} of the `template` messages queued so far."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
    out = {}
    for row in rows:
        url = row.context.get("survey_url") or row.context.get("feedback_url")
        if url and "/s/" in url:
            out[row.member_id] = re.sub(r"^https?://[^/]+", "", url)
    return out
