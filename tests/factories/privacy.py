"""A member touched by every domain, for the privacy tests (erasure, subject access)."""

from __future__ import annotations

from datetime import timedelta

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.links import services as links
from coopcrm.sending import bounces
from tests import factories
from tests.factories.consents import scan_pdf

OLD_PHONE = "0699887766"
IDENTITY = dict(civility="Mme", first_name="Zéphyrine", last_name="Quaxworth",
                email="zephyrine.quaxworth@exemple.test", phone=OLD_PHONE,
                address="12 rue des Lilas-Bleuets", postal_code="75011",
                city="Saint-Zéphyr-sur-Loire", status="cooperateur")
REFERENCE = "QX-778899"
SCAN = scan_pdf()
NEW_PHONE = "0611223344"
# Every identity string the member ever had, in the file or its history.
FORMERS = ["Zéphyrine", "Quaxworth", "zephyrine.quaxworth@exemple.test", OLD_PHONE, NEW_PHONE,
           REFERENCE, "rue des Lilas-Bleuets", "Saint-Zéphyr-sur-Loire"]


def touched_by_every_domain(admin):
    """A member with a row in every domain that holds personal data (and one more
    member naming them as proxy holder): the subject of the erasure and export tests."""
    entity = factories.entity()
    member = factories.member(entity, reference=REFERENCE, **IDENTITY)
    member.phone = NEW_PHONE  # the audit trail keeps [old, new]
    db.session.commit()
    factories.share(member)
    factories.moment_types()
    factories.moment(member, "premier_contact",
                      notes="Appel de Zéphyrine Quaxworth au 0611223344")
    factories.consent(member, source="formulaire zephyrine.quaxworth@exemple.test")
    # A paper form's scan (privacy/proofs.py): it names the person, so it goes with them.
    factories.consent(member, kind="econvocation", source="bulletin papier de Quaxworth",
                      user=admin, proof=SCAN)
    factories.outbox_message(member, "welcome")
    bounces.record_soft(member.email, member.id,
                        diagnostic="452 zephyrine.quaxworth@exemple.test: mailbox full")
    survey = factories.survey(kinds=("single", "short"))
    invitation = factories.survey_invitation(survey, member)
    single, short = (str(q.id) for q in survey.questions)
    factories.survey_response(survey, invitation,
                               {single: "Jardin", short: "Signé Zéphyrine Quaxworth"})
    event = factories.event(admin, clock.today() + timedelta(days=30))
    other = factories.member(entity, status="cooperateur")
    factories.proxy(factories.event_invitation(event, other), to="Quaxworth Zéphyrine")
    factories.event_invitation(event, member)
    factories.attendance(event, member)
    links.issue(member.id, "survey", clock.now() + timedelta(days=30), survey.id)
    factories.inbound_message(f"Zéphyrine Quaxworth <{member.email}>",
                              subject="Question de Zéphyrine Quaxworth",
                              body="Zéphyrine, 12 rue des Lilas-Bleuets, 0611223344")
    db.session.commit()
    return member, survey
