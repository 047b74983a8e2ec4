"""Every route, walked by a referent of one entity (issue 12, finding 6).

One database, seeded once for the module: two entities (the walker's, "GHT", and
another, "MFLA"), members of each, and of each shared kind (segment, event, survey,
edition, series) one object of the other entity, one of the group and one of the
walker's. Then, for every URL rule of the app (app.url_map):

- with the other entity's objects and members in every id: 404 (403 on admin pages);
- with the group's objects, on the routes that change them: 403;
- with the objects the walker may see: no page shows a name of the other entity's
  members or a title of its objects, and none answers 500.

A route is walked as its entry in ROUTES says; a route without one fails
`test_every_route_is_classified` (add it, and say why in EXCEPTIONS if it writes
while classified READ).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import request_started

from coopcrm import clock
from coopcrm.auth import services as auth_services
from coopcrm.auth.models import RIGHTS
from coopcrm.cycle.models import Edition, NewsletterIssue
from coopcrm.cycle.schedule import send_dt
from coopcrm.events import services as events
from coopcrm.events.models import Attendance, EventSeries, Invitation
from coopcrm.events.votes import services as votes
from coopcrm.extensions import db
from coopcrm.journeys import services as journeys
from coopcrm.journeys.models import MomentType
from coopcrm.privacy.models import DataRequest
from coopcrm.segments.models import Segment
from coopcrm.sending.models import OutboxMessage
from coopcrm.surveys import services as surveys
from coopcrm.surveys.models import SurveyInvitation, SurveyResponse
from tests import factories, routes
from tests.appstate import empty_tables, fresh_request_globals
from tests.helpers import csrf_token, login

# What no page may show the walker: the other entity's members' names, its objects' titles.
FOREIGN = ("Zorglub", "Quetzalcoatl")

PUBLIC = "public"        # no staff sign-in (links sent to members, sign-in, archive, health)
ADMIN = "admin"          # admins only: 403 for the walker
SELF = "self"            # the walker's own account: GET only (a POST would change the walker)
LIST = "list"            # no object in the path: lists and forms, scoped by the user
READ = "read"            # an object the walker may see: another entity's is a 404
WRITE = "write"          # changes the object: another entity's is a 404, the group's a 403
MEMBER = "member"        # a member's file: a member of another entity is a 404
GROUP_WRITE = "group"    # changes the group's settings: 403 for a one-entity referent

ROUTES = {
    "auth.home": LIST, "auth.login": PUBLIC, "auth.login_code": PUBLIC, "auth.logout": SELF,
    "password_reset.request_link": PUBLIC, "password_reset.use_link": PUBLIC,
    "account.index": SELF, "account.totp": SELF, "account.recovery_codes": SELF,
    "account.totp_disable": SELF, "account.password": SELF, "account.end_other_sessions": SELF,
    "static": PUBLIC, "health.healthz": PUBLIC, "archive.index": PUBLIC, "archive.show": PUBLIC,
    "event_public.rsvp": PUBLIC, "event_public.calendar": PUBLIC, "vote_public.vote": PUBLIC,
    "survey_public.answer": PUBLIC, "survey_public.thanks": PUBLIC,
    "links.preferences": PUBLIC, "links.send_link": PUBLIC, "links.unsubscribe": PUBLIC,
    # admin pages
    "reference.index": ADMIN, "reference.college": ADMIN, "reference.entity": ADMIN,
    "reference.residence": ADMIN, "security.log": ADMIN, "security.user_totp_reset": ADMIN,
    "scheduler.index": ADMIN, "auth.users": ADMIN, "auth.user_edit": ADMIN,
    "auth.user_deactivate": ADMIN, "auth.user_reactivate": ADMIN, "auth.user_new": ADMIN,
    "catalogue.types": ADMIN, "catalogue.add_type": ADMIN, "catalogue.toggle_type": ADMIN,
    "catalogue.move_type": ADMIN, "catalogue.edit_type": ADMIN, "catalogue.delete_type": ADMIN,
    "followups.rules": ADMIN, "followups.toggle_rule": ADMIN, "followups.edit_rule": ADMIN,
    "followups.new_rule": ADMIN, "cycle.edit_issue": ADMIN,
    # members and their journeys
    "members.index": LIST, "members.new": LIST, "members.show": MEMBER,
    "members.consent": MEMBER, "members.history": MEMBER, "members.edit": MEMBER,
    "privacy.export": MEMBER, "privacy.anonymise": MEMBER,
    # A data request names a member: another entity's member's request is a 404.
    "privacy.request_list": LIST, "privacy.request_new": LIST,
    "privacy.request_show": MEMBER, "privacy.request_extend": MEMBER,
    "privacy.reads_journal": LIST, "privacy.reads_csv": LIST,
    "privacy.retention_index": LIST, "privacy.retention_review": LIST,
    "privacy.processing_register": ADMIN, "privacy.processing_register_pdf": ADMIN,
    "privacy.retention_periods": ADMIN, "privacy.consent_proof": MEMBER,
    "share_register.index": LIST, "share_register.download": LIST,
    "members.add_share": MEMBER, "journeys.new": MEMBER, "journeys.record": MEMBER,
    "journeys.cancel": MEMBER, "journeys.complete": MEMBER, "journeys.reschedule": MEMBER,
    "imports.upload": LIST, "imports.analyse": LIST, "imports.export_csv": LIST,
    "imports.export_xlsx": LIST,
    # an import task is its author's own: anyone else's is a 404
    "imports.task": READ, "imports.task_state": READ, "imports.confirm": READ,
    "imports.cancel": READ,
    "reporting.dashboard": LIST,
    "followups.courtesy": LIST, "followups.plan": LIST, "followups.target": GROUP_WRITE,
    # sending
    "sending.outbox": LIST, "sending.preview": LIST, "sending.preview_html": LIST,
    "sending.send_test": LIST, "sending.message": READ, "sending.message_html": READ,
    # segments
    "segments.index": LIST, "segments.new": LIST, "segments.open": READ,
    "segments.rename": WRITE, "segments.delete": WRITE,
    # events
    "events.index": LIST, "events.new": LIST, "events.participation": LIST,
    "events.show": READ, "events.desk": READ, "events.desk_action": READ,
    "events.quorum_panel": READ, "events.sheet": READ, "events.letters": READ,
    "events.labels": READ, "events.series": READ, "events.letters_pdf": READ,
    "events.labels_pdf": READ,
    "events.edit": WRITE, "events.cancel": WRITE, "events.prepare_list": WRITE,
    "events.close_sheet": WRITE,
    # AG votes (events/votes)
    "votes.index": READ, "votes.results": READ, "votes.postal": READ,
    "votes.postal_forms_pdf": READ,
    "votes.new_resolution": WRITE, "votes.edit_resolution": WRITE,
    "votes.delete_resolution": WRITE, "votes.deadline": WRITE, "votes.open_vote": WRITE,
    "votes.room": WRITE,
    # surveys
    "surveys.index": LIST, "surveys.new": LIST, "surveys.install_templates": GROUP_WRITE,
    "surveys.show": READ, "surveys.results_page": READ, "surveys.export": READ,
    "surveys.by_post": READ, "surveys.printable": READ, "surveys.key_in": READ,
    "surveys.duplicate": READ,
    "surveys.edit": WRITE, "surveys.send": WRITE, "surveys.add_question": WRITE,
    "surveys.edit_question": WRITE, "surveys.move_question": WRITE,
    "surveys.delete_question": WRITE,
    # newsletter cycle
    "cycle.index": LIST, "cycle.preview": READ, "cycle.preview_html": READ,
    "cycle.send_test": READ, "cycle.edit": WRITE, "cycle.approve": WRITE, "cycle.reopen": WRITE,
    # block editor: an uploaded image is stored under a random name, shown in emails to
    # anyone the email reaches (no sign-in); uploading one needs an editor and no object.
    "blocks.media": PUBLIC, "blocks.upload": LIST,
    # campaigns
    "campaigns.index": LIST, "campaigns.new": LIST, "campaigns.show": READ,
    "campaigns.reason": READ, "campaigns.preview": READ, "campaigns.preview_html": READ,
    "campaigns.send_test": READ,
    "campaigns.duplicate": READ, "campaigns.edit": WRITE, "campaigns.act": WRITE,
    "campaigns.schedule": WRITE, "campaigns.printer_csv": READ,
    "campaigns.publish": WRITE, "campaigns.files": WRITE,
    "campaign_public.index": PUBLIC, "campaign_public.show": PUBLIC,
    "campaign_public.follow": PUBLIC,
    "campaign_tools.kit_page": LIST, "campaign_tools.send_test_segment": READ,
    "campaign_tools.prepare_document": READ,
    # a letters PDF task is its author's own: anyone else's is a 404
    "letters.task": READ, "letters.task_state": READ, "letters.download": READ,
    # messages received by the unsubscribe mailbox: those about the walker's members only
    "inbox.index": LIST, "inbox.show": READ, "inbox.handled": READ,
}

# Routes classified READ that take a POST: each writes something, never the object itself.
EXCEPTIONS = {
    "events.desk_action": "the check-in desk of the group's AG: each entity's referents record "
                          "their own members (another entity's member or holder is a 404)",
    "votes.postal": "a paper postal voting form of one of the walker's members for the group's "
                    "AG: another entity's member's code reads as unknown; the AG is unchanged",
    "surveys.key_in": "a paper answer of one of the walker's members to the group's survey: "
                      "the answer is the member's, the survey is unchanged",
    "surveys.duplicate": "a copy, owned by the walker's entity; the original is unchanged",
    "cycle.send_test": "a test of the edition to the walker's own address; the edition is "
                       "unchanged",
    "campaigns.send_test": "a test of the campaign to the walker's own address; the campaign "
                           "is unchanged",
    "campaigns.duplicate": "a copy, owned by the walker's entity; the original is unchanged",
    "campaign_tools.send_test_segment": "a test of the campaign to a test segment the walker "
                                        "sees (their members only); the campaign is unchanged",
    "campaign_tools.prepare_document": "queues the walker's own PDF of the letters they may "
                                       "see; the campaign is unchanged",
    "inbox.handled": "marks a message about one of the walker's members as dealt with; one "
                     "about another entity's member, or about nobody known, is a 404",
    "imports.confirm": "queues the writing of the walker's own upload (another user's task is "
                       "a 404); a task has no group version",
    "imports.cancel": "gives up the walker's own upload (another user's task is a 404)",
}

# Ids the walker may not see in a route's query string or form, besides the path.
FOREIGN_QUERY = {
    "sending.preview": "membre={member_id}", "sending.preview_html": "membre={member_id}",
    "cycle.preview": "membre={member_id}", "cycle.preview_html": "membre={member_id}",
    "campaigns.preview": "membre={member_id}", "campaigns.preview_html": "membre={member_id}",
}
FOREIGN_FORM = {"sending.send_test": {"template": "survey_invitation", "member_id": "{member_id}"}}
# What the allowed pass adds, so that the lists a page shows once searched are shown.
SEARCH = {"events.desk": "q=e", "cycle.preview": "q=e", "surveys.by_post": "q=e",
          "members.index": "q=e", "sending.outbox": "q=exemple",
          # every invited member, not only those convoked by post (none are, here)
          "events.letters": "tous=1", "events.letters_pdf": "tous=1",
          "events.labels_pdf": "tous=1", "events.labels": "tous=1"}
# The form the allowed pass posts to the READ exceptions.
ALLOWED_FORM = {"events.desk_action": {"action": "in_person"}}
SCOPED_IDS = {"event_id", "segment_id", "survey_id", "question_id", "edition_id", "series_id",
              "member_id", "moment_id", "message_id", "campaign_id", "request_id",
              "inbound_id", "task_id", "document_id", "resolution_id"}


@dataclass
class World:
    other: dict[str, int] = field(default_factory=dict)  # another entity's objects
    group: dict[str, int] = field(default_factory=dict)  # the group's, the walker's members
    own: dict[str, int] = field(default_factory=dict)    # the walker's entity's
    walker_email: str = ""
    ids: dict[str, int] = field(default_factory=dict)    # named rows for targeted checks


def _seed() -> World:
    w = World()
    mine = factories.entity("GHT", name="Groupe Habitat Toit")
    other = factories.entity("MFLA", name="Maisons Familiales")
    college = factories.college(name="Habitants", vote_weight=Decimal(1))
    coop = {"status": "cooperateur", "college_id": college.id}
    alice = factories.member(mine, "G-1", last_name="Durand", first_name="Alice", **coop)
    bruno = factories.member(mine, "G-2", last_name="Petit", first_name="Bruno", **coop)
    chloe = factories.member(mine, "G-3", last_name="Martin", first_name="Chloé", **coop)
    xav = factories.member(other, "M-1", last_name="Zorglub", first_name="Xavière", **coop)
    yves = factories.member(other, "M-2", last_name="Zorglub-Bis", first_name="Yves", **coop)
    both = factories.member(mine, "G-4", last_name="Lambert", first_name="Denis", **coop)
    both.entity_links.append(type(both.entity_links[0])(entity=other, reference="M-3"))
    admin = factories.user(role="admin", name="Admin Walk")
    walker = factories.user(role="referent", name="Référente GHT", entities=[mine])
    # Every right an admin may grant: rights open routes, never another entity's members.
    auth_services.grant(walker, RIGHTS)
    w.walker_email = walker.email
    other_referent = factories.user(role="referent", name="Référent MFLA", entities=[other])
    # Import tasks are their author's: the other referent's names the other entity's file.
    other_task = factories.import_task(other_referent, filename="Quetzalcoatl.csv",
                                       entity=other).id
    own_task = factories.import_task(walker, filename="ght.csv", entity=mine).id
    # Letters PDF tasks too: the other referent's is titled with the other entity's campaign.
    other_document = factories.letter_task(other_referent, title="Campagne Quetzalcoatl",
                                           entity_id=other.id).id
    own_document = factories.letter_task(walker, title="Campagne GHT", entity_id=mine.id).id

    def segment(name, owner):
        s = Segment(name=name, filters={}, entity_id=owner)
        db.session.add(s)
        db.session.flush()
        return s.id

    def campaign(name, owner):
        from coopcrm.campaigns.models import Campaign

        c = Campaign(name=name, subject=name, body={"version": 1, "blocks": []},
                     entity_id=owner)
        db.session.add(c)
        db.session.flush()
        return c.id

    start = clock.now().replace(microsecond=0) + timedelta(days=60)

    def event(title, owner, kind="ag_ordinaire", series=None):
        e = events.save(events.EventData(kind=kind, title=title, starts_dt=start,
                                         ends_dt=start + timedelta(hours=2), entity_id=owner,
                                         series_id=series), admin)
        return e

    def survey(title, owner, anonymous=False):
        s = surveys.create_survey({"title": title, "anonymous": anonymous,
                                   "closes_on": clock.today() + timedelta(days=300),
                                   "entity_id": owner}, admin)
        q = surveys.add_question(s, {"kind": "long", "label": "Votre avis ?"})
        return s, q

    def answer(s, q, member, text, anonymous=False):
        db.session.add(SurveyInvitation(survey_id=s.id, member_id=member.id, channel="courrier",
                                        outbox_key=f"walk:{s.id}:{member.id}",
                                        answered_dt=clock.now(), answer_channel="courrier"))
        db.session.add(SurveyResponse(survey_id=s.id, respondent_key=f"k{s.id}-{member.id}",
                                      member_id=None if anonymous else member.id,
                                      channel="courrier", answered_on=clock.today(),
                                      answers={str(q.id): text}))

    issue = NewsletterIssue(number=1, theme="Bienvenue", send_month=1, title="Lettre N°1")
    db.session.add(issue)
    db.session.flush()

    def edition(title, owner, year):
        e = Edition(issue_id=issue.id, year=year, send_dt=send_dt(issue, year), title=title,
                    entity_id=owner)
        db.session.add(e)
        db.session.flush()
        return e.id

    kind = MomentType(code="walk", label="Rencontre", track="both", position=1,
                      repeatable=True, active=True)
    db.session.add(kind)
    db.session.flush()

    def moment(member):
        return journeys.record(member, kind, status="done", occurs_on=clock.today()).id

    def message(member):
        msg = OutboxMessage(idempotency_key=f"walk:{member.id}", template="test_message",
                            member_id=member.id, to_address=member.email,
                            to_name=member.full_name, subject="Votre avis", context={})
        db.session.add(msg)
        db.session.flush()
        return msg.id

    series_other = EventSeries(title="Cycle Quetzalcoatl")
    series_group = EventSeries(title="Cycle du groupe")
    db.session.add_all([series_other, series_group])
    db.session.flush()

    def data_request(member):
        r = DataRequest(kind="access", channel="email", received_on=clock.today(),
                        due_on=clock.today(), member_id=member.id, requester=member.last_name)
        db.session.add(r)
        db.session.flush()
        return r.id

    # The other entity's objects, and its members in the member ids.
    ev_other = event("AG Quetzalcoatl", other.id, series=series_other.id)
    sv_other, q_other = survey("Sondage Quetzalcoatl", other.id)
    answer(sv_other, q_other, xav, "Réponse de Zorglub")
    db.session.add(Invitation(event_id=ev_other.id, member_id=xav.id))
    w.other = {"event_id": ev_other.id, "segment_id": segment("Segment Quetzalcoatl", other.id),
               "survey_id": sv_other.id, "question_id": q_other.id,
               "edition_id": edition("Lettre Quetzalcoatl", other.id, 2031),
               "series_id": series_other.id, "member_id": xav.id, "moment_id": moment(xav),
               "message_id": message(xav),
               "campaign_id": campaign("Campagne Quetzalcoatl", other.id),
               "request_id": data_request(xav),
               "inbound_id": factories.inbound_message(xav.email, "Question Quetzalcoatl").id,
               "task_id": other_task, "document_id": other_document,
               "record_id": factories.consent_scan(xav, admin).id,
               "resolution_id": factories.resolution(ev_other, "Résolution Quetzalcoatl",
                                                     commit=False).id}
    # A message about nobody known: group-wide users only (it names an outside address).
    factories.inbound_message("inconnu@ailleurs.example", "Quetzalcoatl inconnu")

    # The group's objects (the walker sees them, changes none), with both entities' members.
    ag = event("AG du groupe", None, series=series_group.id)
    for m in (alice, bruno, chloe, xav, yves, both):
        db.session.add(Invitation(event_id=ag.id, member_id=m.id))
    db.session.flush()
    announced = db.session.scalar(db.select(Invitation).where(
        Invitation.event_id == ag.id, Invitation.member_id == bruno.id))
    announced.response, announced.proxy_member_id = "proxy", xav.id
    announced.proxy_name = "Xavière Zorglub"
    db.session.add_all([
        Attendance(event_id=ag.id, member_id=xav.id, status="present", mode="in_person"),
        Attendance(event_id=ag.id, member_id=alice.id, status="represented", holder_id=xav.id)])
    sv_group, q_group = survey("Sondage du groupe", None)
    answer(sv_group, q_group, alice, "Réponse de Durand")
    answer(sv_group, q_group, xav, "Réponse de Zorglub")
    db.session.add(SurveyInvitation(survey_id=sv_group.id, member_id=chloe.id, channel="courrier",
                                    outbox_key=f"walk:{sv_group.id}:{chloe.id}"))
    sv_anon, q_anon = survey("Sondage anonyme du groupe", None, anonymous=True)
    answer(sv_anon, q_anon, alice, "Texte anonyme de Durand", anonymous=True)
    answer(sv_anon, q_anon, xav, "Texte anonyme de Zorglub", anonymous=True)
    w.group = {"event_id": ag.id, "segment_id": segment("Segment du groupe", None),
               "survey_id": sv_group.id, "question_id": q_group.id,
               "edition_id": edition("Lettre du groupe", None, 2030),
               "series_id": series_group.id, "member_id": chloe.id, "moment_id": moment(chloe),
               "message_id": message(chloe),
               "campaign_id": campaign("Campagne du groupe", None),
               "request_id": data_request(chloe),
               "inbound_id": factories.inbound_message(chloe.email, "Question de Chloé").id,
               "task_id": own_task,  # no task belongs to the group: the walker's own
               "document_id": own_document,
               "record_id": factories.consent_scan(chloe, admin).id,
               "resolution_id": factories.resolution(ag, "Résolution du groupe",
                                                     commit=False).id}
    # A postal form of the other entity's member: the results count it, naming nobody.
    votes.record_postal(ag, xav, {w.group["resolution_id"]: "for"}, clock.now())
    from coopcrm.campaigns.models import CampaignRecipient

    for m in (chloe, xav):  # the group's campaign writes to both entities' members by post
        db.session.add(CampaignRecipient(campaign_id=w.group["campaign_id"], member_id=m.id,
                                         channel="letter", status="letter"))

    # The walker's entity's objects.
    ev_own = event("AG GHT", mine.id)
    sv_own, q_own = survey("Sondage GHT", mine.id)
    answer(sv_own, q_own, alice, "Réponse GHT de Durand")
    w.own = {"event_id": ev_own.id, "segment_id": segment("Segment GHT", mine.id),
             "survey_id": sv_own.id, "question_id": q_own.id,
             "edition_id": edition("Lettre GHT", mine.id, 2032),
             "series_id": series_group.id, "member_id": alice.id, "moment_id": moment(alice),
             "message_id": message(alice),
             "campaign_id": campaign("Campagne GHT", mine.id),
             "request_id": data_request(alice),
             "inbound_id": factories.inbound_message(alice.email, "Question d'Alice").id,
             "task_id": own_task, "document_id": own_document,
             "record_id": factories.consent_scan(alice, admin).id,
             "resolution_id": factories.resolution(ev_own, "Résolution GHT", commit=False).id}

    # Rows the admin pages name (the walker is refused them anyway).
    fixed = {"user_id": walker.id, "entity_id": mine.id, "college_id": college.id,
             "residence_id": factories.residence(mine).id, "type_id": kind.id,
             "issue_id": issue.id, "rule_id": 1}
    for ids in (w.other, w.group, w.own):
        ids.update(fixed)
    w.ids = {"anonymous_survey": sv_anon.id, "alice": alice.id, "bruno": bruno.id,
             "xav": xav.id, "yves": yves.id, "both": both.id}
    db.session.commit()
    return w


@pytest.fixture(scope="module")
def world(app):
    with app.app_context():
        clock.set_now(None)
        seeded = _seed()
        db.session.remove()
    yield seeded
    with app.app_context():
        db.session.remove()
        empty_tables()


@pytest.fixture(autouse=True)
def _clean(app, world):
    """This module's tests share the seeded database (see conftest's `_clean`)."""
    ctx = app.app_context()
    ctx.push()
    request_started.connect(fresh_request_globals, app)
    yield
    db.session.remove()
    request_started.disconnect(fresh_request_globals, app)
    ctx.pop()


@pytest.fixture
def walker(client, world):
    assert login(client, _User(world.walker_email)).status_code == 200
    return client


@dataclass
class _User:
    email: str


def _text(resp) -> str:
    """The body as text; a workbook (zip) unpacked and a PDF's text extracted (pypdf), so
    their cells and lines are searched too."""
    data = resp.get_data()
    if data[:5] == b"%PDF-":
        from tests.letters._pdf import texts

        return "\n".join(texts(data))
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return data.decode("utf-8", "replace")


def _leaks(resp) -> list[str]:
    body = _text(resp)
    return [word for word in FOREIGN if word in body]


def _rules(kinds=None) -> list[tuple[str, object]]:
    """(method, rule) for every rule and method the walk takes, in a stable order."""
    out = []
    for method in ("GET", "POST"):
        for rule in routes.rules(method):
            if kinds is None or ROUTES.get(rule.endpoint) in kinds:
                out.append((method, rule))
    return out


def _open(client, method, url, token, form=None):
    data = {"csrf_token": token, **(form or {})} if method == "POST" else None
    return client.open(url, method=method, data=data, buffered=True)


def _fill(template: dict[str, str], ids: dict) -> dict[str, str]:
    return {k: v.format(**ids) for k, v in template.items()}


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ROUTES.keys() == set(), "new routes: classify them in ROUTES"
    assert ROUTES.keys() - endpoints == set(), "routes gone: remove them from ROUTES"
    posted_reads = {rule.endpoint for rule in routes.rules("POST")
                    if ROUTES[rule.endpoint] == READ}
    assert posted_reads == EXCEPTIONS.keys(), "a READ route that takes a POST needs its reason"


def test_another_entitys_objects_and_members_answer_404(walker, world):
    token = csrf_token(walker, "/membres")
    walked, wrong = 0, []
    for method, rule in _rules({READ, WRITE, MEMBER, LIST, ADMIN, GROUP_WRITE}):
        kind = ROUTES[rule.endpoint]
        names = set(rule.arguments)
        if not names & SCOPED_IDS and rule.endpoint not in FOREIGN_QUERY | FOREIGN_FORM:
            continue
        url = routes.url(rule, world.other)
        if rule.endpoint in FOREIGN_QUERY and method == "GET":
            url += "?" + FOREIGN_QUERY[rule.endpoint].format(**world.other)
        form = _fill(FOREIGN_FORM.get(rule.endpoint, {}), world.other)
        resp = _open(walker, method, url, token, form)
        expected = 403 if kind == ADMIN else 404
        if resp.status_code != expected or _leaks(resp):
            wrong.append(f"{method} {url}: {resp.status_code} {_leaks(resp)}")
        walked += 1
    assert wrong == []
    assert walked > 60


def test_the_groups_objects_cannot_be_changed_by_a_one_entity_referent(walker, world):
    token = csrf_token(walker, "/membres")
    walked, wrong = 0, []
    for method, rule in _rules({WRITE, GROUP_WRITE}):
        url = routes.url(rule, world.group)
        resp = _open(walker, method, url, token)
        if resp.status_code != 403 or _leaks(resp):
            wrong.append(f"{method} {url}: {resp.status_code} {_leaks(resp)}")
        walked += 1
    assert wrong == []
    assert walked > 25


def test_no_page_the_walker_may_open_shows_another_entitys_names(walker, world):
    token = csrf_token(walker, "/membres")
    walked, wrong = 0, []
    for method, rule in _rules():
        kind = ROUTES[rule.endpoint]
        if method == "POST" and kind not in (LIST, PUBLIC) and rule.endpoint not in EXCEPTIONS:
            continue  # changes (theirs or refused): the passes above and the tests below
        if kind == SELF and method == "POST":
            continue
        if kind == PUBLIC and method == "POST" and "token" not in rule.arguments:
            continue  # sign-in forms: posting one would act on the walker's session
        for ids in ((world.own,) if kind == WRITE else (world.group, world.own)):
            url = routes.url(rule, ids)
            if method == "GET" and rule.endpoint in SEARCH:
                url += "?" + SEARCH[rule.endpoint]
            form = ALLOWED_FORM.get(rule.endpoint, {})
            if rule.endpoint == "events.desk_action":
                url = routes.url(rule, {**ids, "member_id": world.ids["both"]})
            resp = _open(walker, method, url, token, form)
            refused = resp.status_code == 500 or (
                kind in (READ, WRITE, MEMBER, LIST) and method == "GET"
                and resp.status_code not in (200, 302))
            if refused or _leaks(resp):
                wrong.append(f"{method} {url}: {resp.status_code} {_leaks(resp)}")
            walked += 1
    assert wrong == [], "\n".join(wrong)
    assert walked > 120


# ------------------------------------------------------------------ the holes, one by one


def _desk(world) -> str:
    return f"/evenements/{world.group['event_id']}/accueil"


def test_the_desk_offers_only_the_walkers_members_as_proxy_holders(walker, world):
    html = walker.get(_desk(world) + "?q=petit").get_data(as_text=True)
    assert "Petit" in html and "Zorglub" not in html
    # Bruno announced a proxy to Xavière (another entity): the desk does not name her.
    assert "a annoncé un pouvoir à un coopérateur d&#39;une autre entité" in html
    html = walker.get(_desk(world) + "?q=durand").get_data(as_text=True)
    assert "Représenté par un coopérateur d&#39;une autre entité" in html


def test_the_desk_answers_404_for_another_entitys_holder_with_no_name(walker, world):
    url = f"{_desk(world)}/{world.ids['bruno']}"
    resp = walker.post(url, data={"csrf_token": csrf_token(walker, _desk(world)),
                                  "action": "proxy", "holder": str(world.ids["yves"])})
    assert resp.status_code == 404 and "Zorglub" not in resp.get_data(as_text=True)
    # Xavière is present (a holder an admin could choose): still not the walker's to choose.
    resp = walker.post(url, data={"csrf_token": csrf_token(walker, _desk(world)),
                                  "action": "proxy", "holder": str(world.ids["xav"])})
    assert resp.status_code == 404
    assert db.session.scalar(db.select(Attendance.id).where(
        Attendance.event_id == world.group["event_id"],
        Attendance.member_id == world.ids["bruno"])) is None


def test_the_desk_answers_404_for_another_entitys_member(walker, world):
    url = f"{_desk(world)}/{world.ids['yves']}"
    resp = walker.post(url, data={"csrf_token": csrf_token(walker, _desk(world)),
                                  "action": "in_person"})
    assert resp.status_code == 404 and "Zorglub" not in resp.get_data(as_text=True)


def test_a_postal_form_of_another_entitys_member_reads_as_an_unknown_code(walker, world):
    from coopcrm.events.models import Event

    url = f"/evenements/{world.group['event_id']}/vote/correspondance"
    ev = db.session.get(Event, world.group["event_id"])
    code = votes.postal_code(ev, world.ids["yves"])
    resp = walker.post(url, data={"csrf_token": csrf_token(walker, url), "code": code,
                                  "step": "check", f"r{world.group['resolution_id']}": "for"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Code inconnu" in html and "Zorglub" not in html


def test_the_group_surveys_results_show_the_walkers_respondents_only(walker, world):
    html = walker.get(f"/sondages/{world.group['survey_id']}/resultats").get_data(as_text=True)
    assert "Réponse de Durand" in html and "Réponse de Zorglub" not in html
    csv = walker.get(f"/sondages/{world.group['survey_id']}/reponses.csv").get_data(as_text=True)
    assert "Réponse de Durand" in csv and "Zorglub" not in csv


def test_an_anonymous_group_surveys_free_texts_are_withheld(walker, world):
    survey_id = world.ids["anonymous_survey"]
    html = walker.get(f"/sondages/{survey_id}/resultats").get_data(as_text=True)
    assert "Texte anonyme" not in html and "ne sont visibles que des utilisateurs" in html
    csv = walker.get(f"/sondages/{survey_id}/reponses.csv").get_data(as_text=True)
    assert "Texte anonyme" not in csv


def test_lists_hold_the_group_and_the_walkers_objects_only(walker, world):
    for url, mine in (("/segments", "Segment GHT"), ("/evenements", "AG GHT"),
                      ("/sondages", "Sondage GHT"), ("/lettres-d-information", "N°1")):
        html = walker.get(url).get_data(as_text=True)
        assert mine in html and "Quetzalcoatl" not in html, url


def test_group_wide_pages_say_why_they_cannot_be_changed(walker, world):
    resp = walker.get(f"/evenements/{world.group['event_id']}/annuler")
    assert resp.status_code == 403
    assert "appartient à tout le groupe" in resp.get_data(as_text=True)
