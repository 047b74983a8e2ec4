"""A referent plans the retroactive wave of courtesy visits, in a real browser."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from coopcrm import clock
from tests import factories
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_plan_two_visits_from_the_list(page, live_server, types, tmp_path):
    clock.set_now(datetime(2026, 3, 10, 9, 0))
    referent = factories.user(name="Claire Referent", all_entities=True)
    entity = factories.entity("MFLA")
    residence = factories.residence(entity, name="Les Annonciades")
    for name, moved in (("Moreau", date(2014, 2, 1)), ("Durand", date(2019, 9, 1)),
                        ("Petit", date(2025, 12, 1))):
        factories.member(entity, last_name=name, first_name="Anne", track="locatif",
                         residence=residence, moved_in_on=moved)

    page.goto(live_server + "/connexion")
    page.get_by_label("Email").fill(referent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Visites", exact=True).click()
    page.get_by_role("heading", name="Locataires à visiter (3)").wait_for()

    page.get_by_label("Tous").check()  # the whole page, then leave the newest out
    page.get_by_label("Choisir Anne Petit").uncheck()
    assert page.get_by_label("Choisir Anne Moreau").is_checked()
    page.get_by_label("Date de la visite").fill("2026-03-17")
    page.get_by_label("Suivie par").select_option(label="Claire Referent")
    page.screenshot(path=str(tmp_path / "courtesy.png"), full_page=True)
    page.get_by_role("button", name="Planifier").click()

    page.get_by_role("status").filter(has_text="2 visite(s) de courtoisie planifiée(s) "
                                               "le 17/03/2026.").wait_for()
    page.get_by_role("heading", name="Locataires à visiter (1)").wait_for()
    assert "2 prévue(s)" in page.locator("#ce-mois").inner_text()
    page.locator("#ce-mois").get_by_role("link", name="Anne Moreau").click()
    page.get_by_role("heading", name="Anne Moreau").wait_for()
