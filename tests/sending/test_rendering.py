"""Templates: every message renders from its sample, compiled once."""

from __future__ import annotations

import pytest
from markupsafe import escape

from coopcrm import fr
from coopcrm.sending import rendering, services

EXPECTED = {"newsletter_edition", "survey_invitation", "survey_reminder", "event_save_the_date",
            "convocation", "event_invitation", "event_reminder", "event_thanks_present",
            "event_thanks_absent", "welcome", "test_message", "preferences_link",
            "password_reset", "campaign"}


def _context(key):
    return {**services.system_context(), "unsubscribe_url": "https://x.test/u/t",
            "preferences_url": "https://x.test/p/t",
            **services.clean_context(rendering.samples()[key]),
            "member": {"first_name": "Marie", "full_name": "Mme Marie Curie"}}


def test_every_message_has_a_template_and_a_sample():
    assert set(rendering.template_keys()) == EXPECTED
    assert EXPECTED <= set(rendering.samples())


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_template_renders_html_and_text(key):
    t = rendering.get(key)
    assert rendering.get(key) is t  # compiled once, then cached
    out = rendering.render(t, _context(key))
    assert out.subject and out.preheader and t.label
    assert out.html.startswith("<!doctype html>") and "{{" not in out.html
    assert "<mj-" not in out.html and "{%" not in out.html
    assert str(escape(out.preheader)) in out.html  # the hidden preview line
    assert "{{" not in out.text and "<" not in out.text.replace("<b>", "")
    assert "https://x.test/u/t" in out.html and "https://x.test/u/t" in out.text
    if key != "test_message":
        assert "Marie" in out.text


def test_thanks_have_one_wording_for_present_and_one_for_absent_with_feedback_links():
    present = rendering.render(rendering.get("event_thanks_present"),
                               _context("event_thanks_present"))
    absent = rendering.render(rendering.get("event_thanks_absent"),
                              _context("event_thanks_absent"))
    assert "Merci d'avoir participé" in present.text and "pas pu être des nôtres" in absent.text
    assert "https://coop.example/s/exemple" in present.html
    assert "https://coop.example/s/exemple" in absent.html


def test_french_dates():
    assert fr.long_date("2027-06-01") == "mardi 1er juin 2027"
    assert fr.long_datetime("2027-06-17T16:30:00+00:00") == "jeudi 17 juin 2027 à 18 h 30"


def test_no_layout_link_without_unsubscribe_url():
    ctx = {**_context("convocation"), "unsubscribe_url": "", "preferences_url": ""}
    out = rendering.render(rendering.get("convocation"), ctx)
    assert "Se désinscrire" not in out.html and "Se désinscrire" not in out.text


def test_unknown_template():
    with pytest.raises(rendering.TemplateNotFound):
        rendering.get("../secret")
