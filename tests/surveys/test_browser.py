"""A member answers from the link of a real email, on a phone, then changes the answer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.sending.flush import flush
from coopcrm.surveys import services
from coopcrm.surveys.models import SurveyResponse
from tests import factories

pytestmark = pytest.mark.browser


def test_answer_from_the_email_link_then_change_it(page, live_server, smtp_server):
    survey = factories.survey(("yesno", "single"), required=True, title="Sondage état des lieux")
    member = factories.member(first_name="Jeanne", email="jeanne@exemple.test")
    services.invite(survey, [member], key_prefix=f"survey:{survey.id}")
    db.session.commit()
    assert flush().sent == 1
    (received,) = smtp_server.received_by("jeanne@exemple.test")
    text = received.email.get_body(("plain",)).get_content()
    yes_url = re.search(r"Oui : (\S+)", text).group(1)
    path = yes_url.removeprefix("http://127.0.0.1")
    assert path.startswith("/s/")

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server + path)  # the "Oui" button of the email
    oui = page.get_by_role("radio", name="Oui")
    assert oui.is_checked()
    db.session.expire_all()
    assert db.session.scalar(select(SurveyResponse)) is None  # opening it recorded nothing
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_role("alert").wait_for()  # the required choice is missing
    page.get_by_role("radio", name="Terrasse").check()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_role("heading", name="Merci pour vos réponses").wait_for()

    page.get_by_role("link", name="Modifier mes réponses").click()
    assert page.get_by_role("radio", name="Terrasse").is_checked()
    page.get_by_role("radio", name="Non").check()
    page.get_by_role("button", name="Enregistrer mes nouvelles réponses").click()
    page.get_by_role("heading", name="Merci pour vos réponses").wait_for()
    db.session.expire_all()
    (response,) = db.session.scalars(select(SurveyResponse)).all()
    first, second = survey.questions
    assert response.answers == {str(first.id): "non", str(second.id): "Terrasse"}
