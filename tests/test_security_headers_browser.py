"""Every page in chromium with the CSP enforced: the `page` fixture fails on any refusal."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.events import services as events
from coopcrm.events.models import Event, Invitation
from coopcrm.extensions import db
from coopcrm.links import services as links
from coopcrm.members.models import Member
from coopcrm.seeding import demo
from coopcrm.sending import services as sending
from coopcrm.surveys import services as surveys
from coopcrm.surveys.models import SurveyInvitation
from tests import factories, routes
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

# The browser saves them: no page to check.
DOWNLOADS = (".csv", ".xlsx", ".ics", ".zip", ".pdf", "<fmt>", "/scan")


def _member_link_paths() -> list[str]:
    """The pages a member reaches from an email, each with a live token that opens it."""
    later = clock.now() + timedelta(days=30)
    rsvp = db.session.scalars(
        select(Invitation).join(Event).join(Member, Member.id == Invitation.member_id)
        .where(Event.cancelled_dt.is_(None), Member.anonymised_dt.is_(None),
               Member.email.is_not(None)).limit(1)).one()
    answer = db.session.scalars(select(SurveyInvitation).limit(1)).one()
    # A preferences link names the message whose body carries it.
    message = sending.enqueue("welcome", rsvp.member, {"booklet_url": "https://coop.example/l"},
                              "test:csp:preferences", bulk=False)
    assert message is not None
    urls = [links.unsubscribe_url(rsvp.member_id),
            links.preferences_url(rsvp.member_id, message.id),
            events.rsvp_url(links.issue(rsvp.member_id, events.LINK_PURPOSE, later,
                                        subject_id=rsvp.event_id)),
            surveys.survey_url(links.issue(answer.member_id, surveys.PURPOSE, later,
                                           subject_id=answer.survey_id))]
    return [urlsplit(url).path for url in urls]


def test_no_page_breaks_the_content_security_policy(page, live_server):
    demo.load(count=30, random_seed=5)
    admin = factories.user(role="admin", password=PASSWORD, all_entities=True)
    factories.campaign(admin)  # the demo holds no campaign: the walk needs one
    factories.inbound_message()  # nor a received message
    factories.import_task(admin)  # nor an import task
    factories.letter_task(admin)  # nor a letters PDF task (its page, its JSON)
    ids = routes.existing_ids()
    public = _member_link_paths()
    db.session.commit()

    for path in public:  # before signing in: as the member opens them
        assert page.goto(live_server + path).status == 200, path
    page.goto(live_server + "/connexion")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Coopérateurs").wait_for()
    seen = 0
    for rule in routes.rules("GET"):
        if rule.endpoint in ("static", "health.healthz") or rule.rule.endswith(DOWNLOADS):
            continue
        page.goto(live_server + routes.url(rule, ids))
        seen += 1
    assert seen > 60
