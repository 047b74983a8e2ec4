import pytest
from flask import g
from sqlalchemy import select

from coopcrm.auth.models import User
from coopcrm.extensions import db
from tests import factories
from tests.helpers import PASSWORD, csrf_token, login, post


def test_create_scoped_referent_and_all_entities_user(as_admin):
    ght = factories.entity("GHT")
    r = post(as_admin, "/admin/utilisateurs/nouveau",
             {"email": "Paul@Coop.example", "name": "Paul", "role": "referent",
              "entities": [str(ght.id)], "password": "un mot de passe long"})
    assert r.status_code == 302
    paul = db.session.scalar(select(User).where(User.email == "paul@coop.example"))
    assert (paul.role, paul.entity_ids, paul.all_entities) == ("referent", [ght.id], False)
    r = post(as_admin, "/admin/utilisateurs/nouveau",
             {"email": "lea@coop.example", "name": "Léa", "role": "lecteur", "all_entities": "y",
              "password": "un mot de passe long"})
    assert r.status_code == 302
    assert db.session.scalar(select(User).where(User.email == "lea@coop.example")).sees_all_entities
    listing = as_admin.get("/admin/utilisateurs").get_data(as_text=True)
    assert "paul@coop.example" in listing and "GHT" in listing and "Toutes" in listing


def test_create_shows_every_error(as_admin):
    factories.user(email="pris@coop.example")
    r = post(as_admin, "/admin/utilisateurs/nouveau",
             {"email": "pris@coop.example", "name": "", "role": "referent", "password": "court"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    for message in ("Un utilisateur existe déjà avec cet email.", "Indiquez le nom.",
                    "Choisissez au moins une entité", "au moins 12 caractères"):
        assert message in html, message
    bad = post(as_admin, "/admin/utilisateurs/nouveau",
               {"email": "pas-un-email", "name": "X", "role": "admin", "password": "x" * 12})
    assert "Adresse email invalide." in bad.get_data(as_text=True)


def test_edit_role_scope_and_password(as_admin, client):
    a, b = factories.entity("A"), factories.entity("B")
    u = factories.user(entities=[a])
    r = post(as_admin, f"/admin/utilisateurs/{u.id}",
             {"email": u.email, "name": "Nouveau nom", "role": "lecteur",
              "entities": [str(b.id)], "password": "une autre phrase secrète"})
    assert r.status_code == 302
    db.session.refresh(u)
    assert (u.name, u.role, u.entity_ids) == ("Nouveau nom", "lecteur", [b.id])
    assert u.check_password("une autre phrase secrète")
    short = post(as_admin, f"/admin/utilisateurs/{u.id}",
                 {"email": u.email, "name": "N", "role": "lecteur", "all_entities": "y",
                  "password": "court"})
    assert short.status_code == 422 and "au moins 12 caractères" in short.get_data(as_text=True)


def test_admin_cannot_demote_or_deactivate_self(as_admin, admin):
    r = post(as_admin, f"/admin/utilisateurs/{admin.id}",
             {"email": admin.email, "name": admin.name, "role": "lecteur", "all_entities": "y"})
    assert "Vous ne pouvez pas retirer votre propre rôle" in r.get_data(as_text=True)
    r = post(as_admin, f"/admin/utilisateurs/{admin.id}/desactiver", follow_redirects=True,
             token_from="/admin/utilisateurs")
    assert "Vous ne pouvez pas désactiver votre propre compte." in r.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active


def _forget_current_user():
    """Test requests share the test's app context, so what Flask-Login and
    Flask-WTF cache in `g` (user, CSRF token) would leak from one client to the next."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def test_deactivate_with_confirmation_ends_sessions(as_admin, app):
    victim = factories.user(password=PASSWORD, all_entities=True)
    other = app.test_client()
    _forget_current_user()
    login(other, victim)
    assert other.get("/membres").status_code == 200
    _forget_current_user()
    confirm = as_admin.get(f"/admin/utilisateurs/{victim.id}/desactiver").get_data(as_text=True)
    assert f"Désactiver le compte de {victim.name} ?" in confirm
    db.session.refresh(victim)
    assert victim.active
    r = post(as_admin, f"/admin/utilisateurs/{victim.id}/desactiver")
    assert r.status_code == 302
    db.session.refresh(victim)
    assert not victim.active
    _forget_current_user()
    assert other.get("/membres").status_code == 302  # back to the login page
    _forget_current_user()
    refused = login(app.test_client(), victim).get_data(as_text=True)
    assert "Email ou mot de passe incorrect." in refused
    _forget_current_user()
    post(as_admin, f"/admin/utilisateurs/{victim.id}/reactiver", token_from="/admin/utilisateurs")
    db.session.refresh(victim)
    assert victim.active


@pytest.mark.parametrize("role", ["referent", "lecteur"])
def test_user_admin_is_for_admins_only(client, role):
    u = factories.user(role=role, password=PASSWORD, all_entities=True)
    login(client, u)
    assert client.get("/admin/utilisateurs").status_code == 403
    token = csrf_token(client, "/membres")
    for url in ("/admin/utilisateurs/nouveau", f"/admin/utilisateurs/{u.id}",
                f"/admin/utilisateurs/{u.id}/desactiver"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    assert "Utilisateurs</a>" not in client.get("/membres").get_data(as_text=True)
