"""A referent logs a key moment from the member page, in a real browser."""

from __future__ import annotations

from datetime import datetime

import pytest

from coopcrm import clock
from tests import factories
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_find_a_member_and_log_a_moment(page, live_server, types):
    clock.set_now(datetime(2026, 3, 10, 9, 0))
    referent = factories.user(name="Claire Referent", all_entities=True)
    entity = factories.entity("MFLA")
    factories.member(entity, "L-7", last_name="Moreau", first_name="Anne", track="locatif")
    factories.member(entity, "L-8", last_name="Durand", first_name="Paul", track="locatif")

    page.goto(live_server + "/connexion")
    page.get_by_label("Email").fill(referent.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.goto(live_server + "/membres")
    page.get_by_label("Rechercher").fill("moreau")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="Moreau").first.click()
    page.get_by_role("heading", name="Anne Moreau").wait_for()

    form = page.get_by_role("form", name="Noter un moment")
    form.get_by_label("Moment").select_option(label="Visite de courtoisie")
    form.get_by_label("Réalisé").check()
    form.get_by_label("Date").fill("2026-03-09")
    form.get_by_label("Canal").select_option(label="Visite")
    form.get_by_label("Notes").fill("Très bon accueil, demande un composteur.")
    form.get_by_role("button", name="Enregistrer le moment").click()

    page.get_by_role("status").filter(has_text="Moment noté").wait_for()
    done = page.get_by_role("list", name="Moments réalisés")
    assert "Visite de courtoisie" in done.inner_text()
    assert "09/03/2026" in done.inner_text()
    assert "suivi par Claire Referent" in done.inner_text()
    assert "composteur" in done.inner_text()
    # The courtesy visit no longer appears among the next steps.
    next_steps = page.get_by_role("list", name="Prochaines étapes").inner_text()
    assert "Visite de courtoisie" not in next_steps
