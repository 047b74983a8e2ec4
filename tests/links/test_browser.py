"""A member unsubscribes from a phone, in a real browser, then changes their mind."""

from __future__ import annotations

import re

import pytest

from coopcrm.extensions import db
from coopcrm.links import services
from coopcrm.members.models import Member
from coopcrm.sending.flush import flush
from tests import factories

pytestmark = pytest.mark.browser


def test_unsubscribe_then_preferences_on_a_phone(page, live_server, smtp_server):
    m = factories.member(first_name="Jeanne", newsletter_consent=True)
    address = m.email
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server + services.unsubscribe_url(m.id).removeprefix("http://127.0.0.1"))
    page.get_by_role("button", name="Me désinscrire").click()
    page.get_by_role("heading", name="Vous êtes désinscrit(e)").wait_for()
    # The unsubscribe page cannot grant: it emails a link to the member's address.
    page.get_by_role("button", name="Recevoir par email un lien").click()
    page.get_by_role("heading", name="Un lien vous a été envoyé").wait_for()
    db.session.expire_all()
    assert flush().sent == 1
    [mail] = smtp_server.received_by(address)
    text = mail.email.get_body(("plain",)).get_content()
    [path] = re.findall(r"http://127\.0\.0\.1(/pr/\S+)", text)
    page.goto(live_server + path)
    newsletter = page.get_by_role("checkbox", name="lettre d'information")
    assert not newsletter.is_checked()
    page.get_by_role("checkbox", name="convoqué(e) par email").check()
    page.get_by_role("button", name="Enregistrer mes préférences").click()
    page.get_by_role("status").filter(has_text="Vos préférences sont enregistrées").wait_for()
    db.session.expire_all()
    member = db.session.get(Member, m.id)
    assert (member.newsletter_consent, member.econvocation_consent) == (False, True)
    assert member.email_status == "unsubscribed"
