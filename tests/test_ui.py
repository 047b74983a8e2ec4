"""What domains register on pages they do not own (coopcrm/ui.py): panels and navigation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Blueprint, Flask, render_template, url_for
from flask_login import login_user
from jinja2 import StrictUndefined

from coopcrm import clock, ui
from coopcrm.events import services as events
from coopcrm.extensions import db
from coopcrm.surveys import services as surveys
from tests import factories
from tests.factories.surveys import NOW
from tests.helpers import login

NAV_FOR_ADMIN = ["Tableau de bord", "Coopérateurs", "Parts sociales", "Segments", "Visites",
                 "Lettres", "Sondages", "Événements", "Campagnes", "Envois", "Messages reçus",
                 "Importer", "RGPD",
                 "Moments clés", "Relances", "Planificateur", "Référentiel", "Utilisateurs",
                 "Sécurité"]
ADMIN_ONLY = {"Moments clés", "Relances", "Planificateur", "Référentiel", "Utilisateurs",
              "Sécurité"}


def test_every_domain_with_a_member_section_registers_it(app):
    names = [p.name for p in ui.member_panels(app)]
    assert names == ["moments", "lettres", "sondages", "evenements", "emails", "historique",
                     "donnees-personnelles", "consultations"]


def test_every_registered_panel_template_exists_and_renders(app, monkeypatch):
    user = factories.user(role="admin")
    member = factories.member(factories.entity())
    # A variable the panel's context no longer gives fails here instead of rendering empty.
    monkeypatch.setattr(app.jinja_env, "undefined", StrictUndefined)
    with app.test_request_context("/"):
        login_user(user)
        for panel in ui.member_panels(app):
            app.jinja_env.get_template(panel.template)  # raises TemplateNotFound on a typo
            render_template(panel.template, member=member, **panel.context(member))


def test_panels_with_something_to_show_render_it(app, client, referent, monkeypatch):
    clock.set_now(NOW)
    member = factories.member(factories.entity(), status="cooperateur", share_count=1)
    survey = factories.survey(("yesno",))
    surveys.invite(survey, [member], key_prefix=f"survey:{survey.id}")  # also an email
    event = factories.event(referent, NOW.date() + timedelta(days=60))
    events.ensure_invitations(event)
    db.session.commit()
    monkeypatch.setattr(app.jinja_env, "undefined", StrictUndefined)
    login(client, referent)
    html = client.get(f"/membres/{member.id}").get_data(as_text=True)
    ids = re.findall(r'<section class="card" id="([^"]+)"', html)
    # "consultations" needs the read_audit right, which a referent is not given by default.
    assert [i for i in ids if i not in ("parts", "consentements")] == [
        "moments", "lettres", "sondages", "evenements", "emails", "historique",
        "donnees-personnelles"]
    assert survey.title in html and event.title in html


def test_a_link_registered_twice_is_refused_at_start_up():
    bp = Blueprint("twice", __name__)
    ui.register_nav(bp, "twice.index", "Deux fois", order=1)
    ui.register_nav(bp, "twice.index", "Deux fois encore", order=2)
    with pytest.raises(ValueError, match="registered twice"):
        Flask(__name__).register_blueprint(bp)


@pytest.mark.parametrize(("role", "expected"), [
    ("admin", NAV_FOR_ADMIN),
    ("referent", [label for label in NAV_FOR_ADMIN if label not in ADMIN_ONLY]),
    ("lecteur", [label for label in NAV_FOR_ADMIN
                 if label not in ADMIN_ONLY and label not in ("Importer", "RGPD")]),
])
def test_navigation_is_built_from_the_registry_by_role(app, role, expected):
    user = factories.user(role=role, all_entities=True)
    with app.test_request_context("/"):
        entries = ui.nav_entries(user)
        assert [e.label for e in entries] == expected
        for entry in entries:
            url_for(entry.endpoint)  # raises BuildError on an unknown endpoint


def test_base_html_draws_the_registered_links(client, admin):
    login(client, admin)
    html = client.get("/tableau-de-bord").get_data(as_text=True)
    nav = html.split('<nav aria-label="Navigation principale">')[1].split("</nav>")[0]
    assert re.findall(r">([^<]+)</a>", nav) == NAV_FOR_ADMIN
