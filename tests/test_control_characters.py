"""Control characters are refused at every way in: forms (HTTP), the member import,
and the services themselves (what an API to come would call), in French.

The output side (mail headers, .ics) has its own tests: tests/sending/test_header_injection.py
and tests/events/test_calendar_attachment.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopcrm import plaintext
from coopcrm.auth.models import User
from coopcrm.errors import ValidationFailed
from coopcrm.extensions import db
from coopcrm.members.models import Member
from tests import factories
from tests.helpers import post
from tests.members.test_import_support import csv_bytes, reference_data, row, xlsx_bytes

INJECTION = "Dupont\r\nBcc: victime@exemple.test"
ONE_LINE = "ce champ tient sur une ligne, sans caractère de contrôle."


# ---------------------------------------------------------------- the rule


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x00b", "a\tb", "a\x1bb", "a\x7fb",
                                   "a\x85b", "a\u2028b", "a\u2029b", "a\x9fb"])
def test_a_one_line_value_refuses_every_control(value):
    assert ONE_LINE in plaintext.line_problem(value)


def test_plain_text_passes():
    for value in ("", "Élodie L'Hôte-Ça", "« Les Tilleuls » — 3 bis", "😀 株式会社", None, 12):
        assert plaintext.line_problem(value) is None
        assert plaintext.text_problem(value) is None


def test_a_text_area_keeps_line_breaks_and_tabs_and_refuses_the_rest():
    assert plaintext.text_problem("un\r\ndeux\rtrois\nquatre\u2028cinq\x85six\tsept") is None
    assert plaintext.normalise_newlines("a\r\nb\rc\u2028d\u2029e\x85f") == "a\nb\nc\nd\ne\nf"
    for value in ("a\x00b", "a\x0bb", "a\x0cb", "a\x1bb", "a\x7fb", "a\x9bb"):
        assert "Caractère interdit" in plaintext.text_problem(value)


def test_problems_maps_keys_to_messages():
    assert set(plaintext.problems(lines={"a": "x\ny", "b": "ok", "c": None},
                                  texts={"d": "x\ny", "e": "x\x00y"})) == {"a", "e"}


# ---------------------------------------------------------------- services


@pytest.fixture
def admin_user():
    return factories.user(role="admin")


def _refused(call, key):
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert "Caractère interdit" in caught.value.errors[key], caught.value.errors
    db.session.rollback()


def test_services_refuse_what_their_forms_refuse(admin_user):
    from coopcrm.auth import services as auth
    from coopcrm.cycle.editions import validate_content
    from coopcrm.events import services as events
    from coopcrm.journeys import catalogue
    from coopcrm.members import reference, shares
    from coopcrm.members import services as members
    from coopcrm.members.query import MemberFilter
    from coopcrm.privacy.consents import set_consent
    from coopcrm.segments import services as segments
    from coopcrm.surveys import services as surveys

    entity = factories.entity("MFLA")
    member = factories.member(entity, reference="R1")
    _refused(lambda: members.create_member({"last_name": INJECTION}, admin_user), "last_name")
    _refused(lambda: members.update_member(member, {"email": "a@b.fr\r\nBcc: c@d.fr"},
                                           admin_user), "email")
    _refused(lambda: members.update_member(member, {"entities": {entity.id: "R\n2"}},
                                           admin_user), f"reference_{entity.id}")
    _refused(lambda: auth.create_user("nouveau@coop.example", INJECTION,
                                      "un mot de passe assez long", "admin"), "name")
    _refused(lambda: auth.update_user(admin_user, acting=admin_user, name=INJECTION,
                                      role="admin"), "name")
    data = events.EventData(kind="reunion", title="Réunion\rATTENDEE:x", starts_dt=None,
                            ends_dt=None, description="ligne\x00")
    assert {"title", "description"} <= set(events.check(data))
    _refused(lambda: segments.create("Segment\n2", MemberFilter(), admin_user), "name")
    _refused(lambda: surveys.create_survey({"title": "Avis\x00", "reminder_delay_days": 7,
                                            "reminder_max": 1}), "title")
    _refused(lambda: catalogue.add_type("Visite\u2028", "both"), "label")
    _refused(lambda: reference.save_entity(None, "E\n1", "Entité", Decimal(16)), "code")
    _refused(lambda: reference.save_residence(None, entity.id, "Résidence", "Lyon\rBcc",
                                              None, None), "commune")
    _refused(lambda: set_consent(member, "newsletter", True, "papier\r\nBcc:", ""), "source")
    _refused(lambda: validate_content({"title": "Lettre\nBcc", "teaser": "", "intro_html": ""}),
             "title")
    _refused(lambda: shares.record(member, "subscription", 1, date(2020, 1, 1),
                                   note="note\x1b"), "note")
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


# ---------------------------------------------------------------- forms, through HTTP


def test_member_form_refuses_a_name_with_a_line_break(client, admin):
    from tests.helpers import login

    login(client, admin)
    entity = factories.entity("MFLA")
    response = post(client, "/membres/nouveau", {
        "last_name": INJECTION, "first_name": "Jean\x00", "track": "accession",
        "email_status": "valid", f"entity_{entity.id}": "1",
        f"reference_{entity.id}": "R\r\n1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("Caractère interdit (retour à la ligne)") >= 2
    assert "Caractère interdit (caractère nul)" in page
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_staff_user_form_refuses_a_name_with_a_line_break(client, admin):
    from tests.helpers import login

    login(client, admin)
    response = post(client, "/admin/utilisateurs/nouveau", {
        "email": "nouvelle@coop.example", "name": INJECTION, "role": "admin",
        "password": "un mot de passe assez long"}, token_from="/admin/utilisateurs/nouveau")
    assert response.status_code == 422
    assert "Caractère interdit (retour à la ligne)" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


# ---------------------------------------------------------------- the member import


def test_import_refuses_a_cell_with_a_line_break_naming_line_and_column():
    from coopcrm.members.importing.service import import_members

    reference_data()
    data = csv_bytes(row(reference="R1", nom="Martin", entite="MFLA"),
                     row(reference="R2", nom='"Dupont\r\nBcc: x@exemple.test"', entite="MFLA"),
                     row(reference="R3", nom="Durand", ville="Lyon\u2028Bcc", entite="MFLA"))
    report = import_members(data, "membres.csv")
    assert not report.written and report.invalid == 2
    assert {(p.line, p.column) for p in report.problems} == {(3, "nom"), (5, "ville")}
    messages = {p.column: p.message for p in report.problems}
    assert messages["nom"] == f"Caractère interdit (retour à la ligne) : {ONE_LINE}"
    assert messages["ville"] == messages["nom"]
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_import_refuses_controls_in_a_workbook_and_reads_a_date_where_text_is_expected():
    from coopcrm.members.importing.service import import_members

    reference_data()
    data = xlsx_bytes([["reference", "nom", "prenom", "entite", "date_signature_reservation"],
                       ["R1", "Martin", "Jeanne\nBcc: x@exemple.test", "MFLA", date(2024, 3, 1)],
                       ["R2", date(2024, 5, 6), "Paul", "MFLA", "01/02/2024"]])
    report = import_members(data, "membres.xlsx")
    assert [(p.line, p.column) for p in report.problems] == [(2, "prenom")]
    report = import_members(data, "membres.xlsx", skip_invalid=True)
    assert report.written and report.created == 1
    # A date typed in a text column is its text, not a crash.
    assert db.session.scalar(select(Member.last_name)) == "2024-05-06"
