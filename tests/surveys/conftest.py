"""Survey fixtures: a survey with one question of each type, and invitations."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.sending.models import OutboxMessage
from coopcrm.surveys import services
from tests.sending.conftest import smtp_server  # noqa: F401 — the real SMTP fixture

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CLOSES = date(2027, 3, 31)


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


def make_survey(kinds=("yesno", "single", "multiple", "scale", "short", "long"), *,
                required=False, anonymous=False, closes_on=CLOSES, commit=True, **kw):
    survey = services.create_survey({"title": kw.pop("title", "Votre avis"),
                                     "intro": "Quelques questions.", "thanks": "Merci beaucoup !",
                                     "closes_on": closes_on, "anonymous": anonymous,
                                     "reminder_delay_days": kw.pop("reminder_delay_days", 7),
                                     "reminder_max": kw.pop("reminder_max", 1)})
    labels = {"yesno": "Êtes-vous satisfait ?", "single": "Votre résidence ?",
              "multiple": "Vos centres d'intérêt ?", "scale": "Note globale ?",
              "short": "Un mot ?", "long": "Vos remarques ?"}
    for kind in kinds:
        services.add_question(survey, {"kind": kind, "label": labels[kind], "required": required,
                                       "choices": "Jardin\nTerrasse\nAtelier"})
    if commit:
        db.session.commit()
    return survey


def invite_and_links(survey, members, key_prefix=None) -> dict[int, str]:
    """Invite members; returns {member id: personal URL path} read from the outbox."""
    services.invite(survey, members, key_prefix=key_prefix or f"survey:{survey.id}")
    db.session.commit()
    return links_of(survey)


def links_of(survey, template="survey_invitation") -> dict[int, str]:
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
    out = {}
    for row in rows:
        url = row.context.get("survey_url") or row.context.get("feedback_url")
        if url and "/s/" in url:
            out[row.member_id] = re.sub(r"^https?://[^/]+", "", url)
    return out
