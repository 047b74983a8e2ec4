"""Issue 12, finding 4: staff sessions live on the server and can be ended.

A cookie copied before logout, before a password/role change or a deactivation
opens nothing afterwards; idle and absolute limits hold; a remember-me cookie
does not get around them. Time moves by setting the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_login.utils import encode_cookie
from sqlalchemy import select

from coopcrm import clock
from coopcrm.auth.models import SecurityEvent, StaffSession
from coopcrm.extensions import db
from tests import factories
from tests.helpers import PASSWORD, login, post

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _signed_in(app, user, password=PASSWORD):
    client = app.test_client()
    login(client, user, password)
    assert client.get("/membres").status_code == 200
    return client


def _copy_of(client, app):
    """Another browser holding the same cookie (stolen, or saved before logout)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    return thief


def test_logout_ends_a_copied_cookie_and_the_other_sessions(app, referent):
    first = _signed_in(app, referent)
    other_browser = _signed_in(app, referent)
    saved = _copy_of(first, app)
    assert saved.get("/membres").status_code == 200
    post(first, "/deconnexion", token_from="/membres")
    for client in (first, saved, other_browser):
        response = client.get("/membres")
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    reasons = set(db.session.scalars(select(StaffSession.end_reason)))
    assert reasons == {"déconnexion"}


def test_an_old_style_cookie_without_a_session_token_is_refused(app, referent):
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(referent.id)  # what Flask-Login alone used to trust
        cookie["_fresh"] = True
    assert client.get("/membres").status_code == 302


def test_a_remember_me_cookie_opens_nothing(app, referent):
    client = app.test_client()
    client.set_cookie("remember_token", encode_cookie(str(referent.id)))
    assert client.get("/membres").status_code == 302


def test_changing_ones_password_keeps_this_session_and_ends_the_others(app, referent):
    here = _signed_in(app, referent)
    elsewhere = _signed_in(app, referent)
    r = post(here, "/compte/mot-de-passe", {"current_password": PASSWORD,
                                            "password": "une toute nouvelle phrase",
                                            "confirm": "une toute nouvelle phrase"})
    assert r.status_code == 302
    assert here.get("/membres").status_code == 200
    assert elsewhere.get("/membres").status_code == 302
    kinds = list(db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)))
    assert kinds[-2:] == ["password_changed", "sessions_revoked"]


def test_an_admin_changing_password_role_or_scope_or_deactivating_ends_sessions(app, admin):
    as_admin = _signed_in(app, admin)
    ght, mfla = factories.entity("GHT"), factories.entity("MFLA")
    user = factories.user(password=PASSWORD, entities=[ght])
    form = {"email": user.email, "name": user.name, "role": "referent",
            "entities": [str(ght.id)]}
    new_password = "une phrase choisie par l'admin"
    for change, current in (({"password": new_password}, PASSWORD),
                            ({"role": "lecteur"}, new_password),
                            ({"entities": [str(mfla.id)]}, new_password)):
        victim = _signed_in(app, user, current)
        assert post(as_admin, f"/admin/utilisateurs/{user.id}",
                    {**form, **change}).status_code == 302
        assert victim.get("/membres").status_code == 302, change
        form.update({k: v for k, v in change.items() if k != "password"})
    victim = _signed_in(app, user, new_password)
    post(as_admin, f"/admin/utilisateurs/{user.id}", form)  # saved unchanged: nothing ends
    assert victim.get("/membres").status_code == 200
    post(as_admin, f"/admin/utilisateurs/{user.id}/desactiver")
    assert victim.get("/membres").status_code == 302
    assert as_admin.get("/membres").status_code == 200
    revoked = db.session.scalars(select(SecurityEvent.detail).where(
        SecurityEvent.kind == "sessions_revoked").order_by(SecurityEvent.id)).all()
    assert revoked == ["1 session(s) : mot de passe changé", "1 session(s) : rôle ou périmètre "
                       "changé", "1 session(s) : rôle ou périmètre changé",
                       "1 session(s) : compte désactivé"]


def test_idle_timeout_and_absolute_limit(app, referent):
    clock.set_now(T0)
    client = _signed_in(app, referent)
    clock.set_now(T0 + timedelta(minutes=59))
    assert client.get("/membres").status_code == 200  # activity moves the idle limit on
    clock.set_now(T0 + timedelta(minutes=59 + 59))
    assert client.get("/membres").status_code == 200
    clock.set_now(T0 + timedelta(minutes=59 + 59 + 60))
    response = client.get("/membres", follow_redirects=True)
    assert "Votre session a pris fin" in response.get_data(as_text=True)
    assert client.get("/membres").status_code == 302

    clock.set_now(T0)
    busy = _signed_in(app, referent)
    for minutes in range(50, 12 * 60, 50):  # a request every 50 minutes, all day
        clock.set_now(T0 + timedelta(minutes=minutes))
        assert busy.get("/membres").status_code == 200, minutes
    clock.set_now(T0 + timedelta(hours=12))
    assert busy.get("/membres").status_code == 302
    ended = db.session.scalars(select(StaffSession.end_reason)
                               .where(StaffSession.ended_dt.is_not(None))).all()
    assert sorted(ended) == ["durée maximale atteinte", "inactivité"]


def test_the_idle_limit_is_a_setting(app, referent, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    clock.set_now(T0)
    client = _signed_in(app, referent)
    clock.set_now(T0 + timedelta(minutes=5))
    assert client.get("/membres").status_code == 302


def test_account_page_lists_sessions_and_closes_the_others(app, referent):
    here = _signed_in(app, referent)
    elsewhere = _signed_in(app, referent)
    page = here.get("/compte").get_data(as_text=True)
    assert "Sessions ouvertes" in page and page.count("Cette session") == 1
    r = post(here, "/compte/sessions/fermer", token_from="/compte", follow_redirects=True)
    assert "1 autre(s) session(s) fermée(s)." in r.get_data(as_text=True)
    assert here.get("/membres").status_code == 200
    assert elsewhere.get("/membres").status_code == 302
