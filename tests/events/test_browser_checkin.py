"""The check-in desk on a tablet, in a real browser: search, present, proxy, undo, quorum."""

from __future__ import annotations

from datetime import date

import pytest

from coopcrm.events import services
from coopcrm.extensions import db
from tests import factories
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_check_in_with_a_proxy_and_undo(page, live_server, paris_now):
    paris_now(date(2027, 4, 1))
    referent = factories.user(name="Claire Referent", all_entities=True)
    factories.coop_member(first_name="Anne", last_name="Dupont")
    factories.coop_member(first_name="Paul", last_name="Martin")
    for i in range(8):
        factories.coop_member(first_name=f"P{i}", last_name=f"Autre{i}")
    event = factories.event(referent, date(2027, 6, 17))
    services.ensure_invitations(event)
    db.session.commit()
    paris_now(date(2027, 6, 17), 18, 0)
    desk = f"{live_server}/evenements/{event.id}/accueil"

    page.set_viewport_size({"width": 1024, "height": 768})  # a tablet in landscape
    page.goto(live_server + "/connexion")
    page.get_by_label("Email").fill(referent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(desk)
    panel = page.locator("#quorum")
    assert "Quorum non atteint" in panel.inner_text()

    page.get_by_label("Rechercher une personne par son nom").fill("dupont")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("button", name="Présent sur place").click()
    page.get_by_role("status").filter(has_text="Anne Dupont : présent(e) sur place").wait_for()
    assert "Présent sur place" in page.locator("tr[data-member] .situation").inner_text()

    page.get_by_label("Rechercher une personne par son nom").fill("martin")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_label("Représenté(e) par").select_option(label="Dupont Anne")
    page.get_by_role("button", name="Enregistrer le pouvoir").click()
    page.get_by_role("status").filter(has_text="pouvoir enregistré").wait_for()
    # 2 of 10 votes: one fifth reached.
    assert "Quorum atteint" in page.locator("#quorum").inner_text()

    page.get_by_label("Rechercher une personne par son nom").fill("dupont")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("button", name="Annuler").click()
    page.get_by_role("alert").filter(has_text="porte des pouvoirs").wait_for()

    page.get_by_label("Rechercher une personne par son nom").fill("martin")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("button", name="Annuler").click()
    page.get_by_role("status").filter(has_text="Paul Martin : annulé").wait_for()
    assert "Quorum non atteint" in page.locator("#quorum").inner_text()
