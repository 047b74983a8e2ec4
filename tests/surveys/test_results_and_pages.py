"""Results, exports (anonymity), the referent pages and paper replies."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from coopcrm.extensions import db
from coopcrm.journeys.models import Moment
from coopcrm.members.query import MemberFilter
from coopcrm.segments import services as segments
from coopcrm.sending.models import OutboxMessage
from coopcrm.surveys import results
from coopcrm.surveys.models import Survey, SurveyInvitation, SurveyResponse
from tests import factories
from tests.factories.surveys import invite_and_links
from tests.helpers import post


def test_reach_counts_and_per_question_figures(client):
    survey = factories.survey(("yesno", "multiple", "scale"))
    college = factories.college(name="Locataires")
    members = [factories.member(track="locatif", college=college) for _ in range(3)]
    members.append(factories.member(email=None, track="accession"))
    urls = invite_and_links(survey, members)
    q = [f"q{x.id}" for x in survey.questions]
    post(client, urls[members[0].id], {q[0]: "oui", q[1]: ["Jardin", "Atelier"], q[2]: "5"})
    post(client, urls[members[1].id], {q[0]: "non", q[1]: ["Jardin"], q[2]: "2"})
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued")).all()
    rows[0].status, rows[1].status = "sent", "bounced"
    db.session.commit()
    r = results.reach(survey)
    assert (r.invited, r.by_email, r.by_post, r.delivered, r.bounced, r.answered) == \
        (4, 3, 1, 1, 1, 2)
    assert r.rate == 50.0
    yesno, multiple, scale = results.questions(survey)
    assert [(o.label, o.count, o.percent) for o in yesno.options] == [("Oui", 1, 50.0),
                                                                      ("Non", 1, 50.0)]
    assert [(o.label, o.count) for o in multiple.options] == [("Jardin", 2), ("Terrasse", 0),
                                                               ("Atelier", 1)]
    assert scale.average == 3.5
    by = results.breakdowns(survey)
    assert [(g.label, g.invited, g.answered) for g in by["Parcours"]] == [("Accession", 1, 0),
                                                                          ("Locatif", 3, 2)]
    assert ("Locataires", 3, 2) in [(g.label, g.invited, g.answered) for g in by["Collège"]]


def test_results_page_prints_the_average_with_a_decimal_comma(client, logged_in):
    survey = factories.survey(("scale",))
    members = [factories.member() for _ in range(2)]
    urls = invite_and_links(survey, members)
    q = f"q{survey.questions[0].id}"
    post(client, urls[members[0].id], {q: "5"})
    post(client, urls[members[1].id], {q: "3"})
    page = logged_in.get(f"/sondages/{survey.id}/resultats").get_data(as_text=True)
    assert "moyenne 4,0 / 5" in page and "4.0 / 5" not in page


def test_anonymous_results_and_exports_hold_no_member_identifier(client, logged_in):
    survey = factories.survey(("yesno", "short"), anonymous=True)
    entity = factories.entity(code="MFLA")
    member = factories.member(entity, reference="REF-4242", first_name="Jeanne",
                              last_name="Dupontel", email="jeanne.dupontel@exemple.test")
    url = invite_and_links(survey, [member])[member.id]
    q = [f"q{x.id}" for x in survey.questions]
    post(client, url, {q[0]: "oui", q[1]: "=HYPERLINK(\"x\")"})
    response = db.session.scalar(select(SurveyResponse))
    assert response.member_id is None and response.answered_dt is None
    assert str(member.id) != response.respondent_key and "member" not in response.respondent_key
    csv = logged_in.get(f"/sondages/{survey.id}/reponses.csv").get_data(as_text=True)
    xlsx = logged_in.get(f"/sondages/{survey.id}/reponses.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    for text in (csv, " ".join(cells)):
        for leak in ("REF-4242", "Jeanne", "Dupontel", "jeanne.dupontel", "Référence"):
            assert leak not in text
        assert "Oui" in text and "'=HYPERLINK" in text  # formulas neutralised
    page = logged_in.get(f"/sondages/{survey.id}/resultats").get_data(as_text=True)
    assert "Dupontel" not in page and "1 réponse(s) sur 1 invité(s), soit 100,0\u00a0%" in page


def test_named_export_lists_the_member(client, logged_in):
    survey = factories.survey(("yesno",))
    member = factories.member(factories.entity(code="GHT"), reference="R-7",
                              last_name="Martin")
    url = invite_and_links(survey, [member])[member.id]
    post(client, url, {f"q{survey.questions[0].id}": "non"})
    csv = logged_in.get(f"/sondages/{survey.id}/reponses.csv").get_data(as_text=True)
    assert "GHT R-7" in csv and "Martin" in csv and "Non" in csv


def test_referent_builds_and_sends_a_survey(logged_in, referent):
    r = post(logged_in, "/sondages/nouveau", {"title": "Enquête locataires",
                                              "closes_on": "31/03/2027",
                                              "reminder_delay_days": "7", "reminder_max": "1"})
    assert r.status_code == 302
    survey = db.session.scalar(select(Survey))
    base = f"/sondages/{survey.id}"
    for kind in ("yesno", "single", "scale"):
        r = post(logged_in, base + "/questions/nouvelle",
                 {"kind": kind, "label": f"Question {kind}", "choices": "A\nB"})
        assert r.status_code == 302, r.get_data(as_text=True)
    assert post(logged_in, base + "/questions/nouvelle",
                {"kind": "single", "label": "Sans choix"}).status_code == 422
    last = survey.questions[-1]
    post(logged_in, f"{base}/questions/{last.id}/deplacer", {"sens": "haut"}, token_from=base)
    db.session.expire_all()
    assert [q.kind for q in db.session.get(Survey, survey.id).questions] == \
        ["yesno", "scale", "single"]
    assert "Question scale" in logged_in.get(base).get_data(as_text=True)
    tenant = factories.member(track="locatif")
    segment = segments.create("Locataires", MemberFilter.parse({"track": "locatif"})[0], referent)
    db.session.commit()
    confirm = logged_in.get(f"{base}/envoyer?segment_id={segment.id}").get_data(as_text=True)
    assert "compte aujourd'hui <strong>1</strong>" in confirm
    assert db.session.scalar(select(SurveyInvitation)) is None  # a GET sends nothing
    r = post(logged_in, f"{base}/envoyer", {"segment_id": segment.id, "confirm": "1"},
             token_from=f"{base}/envoyer?segment_id={segment.id}")
    assert r.status_code == 302
    assert db.session.scalar(select(SurveyInvitation.member_id)) == tenant.id
    assert "ne changent plus" in logged_in.get(base).get_data(as_text=True)
    r = post(logged_in, f"{base}/dupliquer", {}, token_from=base)
    assert r.status_code == 302
    for page in ("/sondages", f"{base}/resultats", f"{base}/courrier", f"{base}/imprimer",
                 f"{base}/imprimer?vierge=1", f"/membres/{tenant.id}"):
        assert logged_in.get(page).status_code == 200, page


def test_template_install_and_use(logged_in):
    post(logged_in, "/sondages/modeles/installer", {}, token_from="/sondages")
    html = logged_in.get("/sondages").get_data(as_text=True)
    assert "Sondage état des lieux" in html and "Connaissez-vous le montant" in html
    template = db.session.scalar(select(Survey).where(Survey.is_template.is_(True)))
    post(logged_in, f"/sondages/{template.id}/dupliquer", {}, token_from="/sondages")
    copy = db.session.scalar(select(Survey).where(Survey.is_template.is_(False)))
    assert copy.title == "Sondage état des lieux" and len(copy.questions) == 3


def test_paper_reply_keyed_in_by_the_referent(logged_in):
    survey = factories.survey(("yesno", "short"), required=True)
    member = factories.member(factories.entity(code="MFLA"), reference="P-1", email=None,
                              address="1 rue des Lilas", postal_code="69001", city="Lyon")
    invite_and_links(survey, [member])
    base = f"/sondages/{survey.id}"
    listing = logged_in.get(f"{base}/courrier").get_data(as_text=True)
    assert "MFLA P-1" in listing
    printed = logged_in.get(f"{base}/imprimer").get_data(as_text=True)
    assert "Votre référence : MFLA P-1" in printed and "1 rue des Lilas" in printed
    url = f"{base}/courrier/{member.id}"
    q = [f"q{x.id}" for x in survey.questions]
    assert post(logged_in, url, {q[0]: "oui"}).status_code == 422  # text is required
    assert post(logged_in, url, {q[0]: "oui", q[1]: "Reçu par la poste"}).status_code == 302
    response = db.session.scalar(select(SurveyResponse))
    assert response.channel == "courrier" and response.member_id == member.id
    invitation = db.session.scalar(select(SurveyInvitation))
    assert invitation.answer_channel == "courrier"
    moment = db.session.scalar(select(Moment))
    assert moment.channel == "courrier"
    assert "a répondu" in logged_in.get(f"/membres/{member.id}").get_data(as_text=True)


def test_lecteur_cannot_edit(client):
    from tests.helpers import login

    reader = factories.user(role="lecteur", all_entities=True)
    login(client, reader)
    assert client.get("/sondages").status_code == 200
    assert client.get("/sondages/nouveau").status_code == 403
