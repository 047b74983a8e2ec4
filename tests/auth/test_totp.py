"""Issue 12, finding 8: an optional TOTP second factor, required of admins when configured."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import select

from coopcrm import clock
from coopcrm.auth.models import SecurityEvent
from coopcrm.extensions import db
from tests import factories
from tests.helpers import PASSWORD, login, post

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
_SECRET = re.compile(r"secret=([A-Z2-7]+)")
_CODES = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>")


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def _enrol(client) -> tuple[str, list[str]]:
    """Enrol from the account page as a person would: read the URI, type the code."""
    page = client.get("/compte/double-authentification")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "otpauth://totp/" in text and "<svg" in text and "<script" not in text
    secret = _SECRET.search(text).group(1)
    done = post(client, "/compte/double-authentification", {"code": _code(secret, clock.now())})
    codes = _CODES.findall(done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _password_step(client, user, password=PASSWORD):
    return post(client, "/connexion", {"email": user.email, "password": password})


def _code_step(client, code):
    return post(client, "/connexion/code", {"code": code}, follow_redirects=True)


def test_enrol_then_sign_in_with_a_code(app, referent):
    clock.set_now(T0)
    client = app.test_client()
    login(client, referent)
    elsewhere = app.test_client()
    login(elsewhere, referent)
    wrong = post(client, "/compte/double-authentification", {"code": "000000"})
    assert wrong.status_code == 422 and "Code incorrect" in wrong.get_data(as_text=True)
    secret, _codes = _enrol(client)
    assert elsewhere.get("/membres").status_code == 302  # other sessions end on enrolment
    assert client.get("/membres").status_code == 200

    fresh = app.test_client()
    step = _password_step(fresh, referent)
    assert step.headers["Location"].endswith("/connexion/code")
    assert fresh.get("/membres").status_code == 302  # not signed in before the code
    clock.set_now(T0 + timedelta(minutes=1))
    refused = _code_step(fresh, "123456")
    assert "Code incorrect ou déjà utilisé." in refused.get_data(as_text=True)
    good = _code(secret, clock.now())
    assert "Coopérateurs" in _code_step(fresh, good).get_data(as_text=True)

    replay = app.test_client()
    _password_step(replay, referent)
    assert "Code incorrect ou déjà utilisé." in _code_step(replay, good).get_data(as_text=True)


def test_the_code_step_expires_and_is_throttled(app, referent):
    clock.set_now(T0)
    client = app.test_client()
    login(client, referent)
    secret, _ = _enrol(client)
    late = app.test_client()
    _password_step(late, referent)
    clock.set_now(T0 + timedelta(minutes=6))
    r = post(late, "/connexion/code", {"code": _code(secret, clock.now())},
             token_from="/connexion")
    assert r.headers["Location"].endswith("/connexion")

    guesser = app.test_client()
    _password_step(guesser, referent)
    for _ in range(5):
        _code_step(guesser, "999999")
    page = _code_step(guesser, _code(secret, clock.now())).get_data(as_text=True)
    assert "Trop de tentatives" in page


def test_recovery_codes_work_once(app, referent):
    clock.set_now(T0)
    client = app.test_client()
    login(client, referent)
    _secret, codes = _enrol(client)
    for attempt in range(2):
        other = app.test_client()
        _password_step(other, referent)
        page = _code_step(other, codes[0].upper().replace("-", " ")).get_data(as_text=True)
        assert ("Coopérateurs" in page) == (attempt == 0)
    assert "9 code(s) de secours restant(s)" in client.get("/compte").get_data(as_text=True)
    used = db.session.scalar(select(SecurityEvent.detail).where(
        SecurityEvent.kind == "recovery_code_used"))
    assert used == "9 code(s) restant(s)"


def test_disable_needs_the_password_and_an_admin_can_reset_a_lost_phone(app, admin, referent):
    clock.set_now(T0)
    client = app.test_client()
    login(client, referent)
    _enrol(client)
    r = post(client, "/compte/double-authentification/desactiver",
             {"disable-current_password": "pas le bon"},
             token_from="/compte/double-authentification", follow_redirects=True)
    assert "Mot de passe actuel incorrect." in r.get_data(as_text=True)
    post(client, "/compte/double-authentification/desactiver",
         {"disable-current_password": PASSWORD}, token_from="/compte/double-authentification")
    db.session.refresh(referent)
    assert not referent.has_totp

    _enrol(client)
    as_admin = app.test_client()
    login(as_admin, admin)
    edit = as_admin.get(f"/admin/utilisateurs/{referent.id}").get_data(as_text=True)
    assert "Désactiver sa double authentification" in edit
    post(as_admin, f"/admin/utilisateurs/{referent.id}/double-authentification/desactiver",
         token_from=f"/admin/utilisateurs/{referent.id}")
    db.session.refresh(referent)
    assert not referent.has_totp
    assert client.get("/membres").status_code == 302  # their sessions ended
    details = db.session.scalars(select(SecurityEvent.detail).where(
        SecurityEvent.kind == "totp_disabled").order_by(SecurityEvent.id)).all()
    assert details == ["par l'utilisateur", "par un administrateur"]


def test_admins_must_enrol_when_required(app, admin, referent, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_2FA", True)
    clock.set_now(T0)
    client = app.test_client()
    page = login(client, admin).get_data(as_text=True)
    assert "Les administrateurs doivent utiliser la double authentification" in page
    r = client.get("/membres")
    assert r.status_code == 302 and r.headers["Location"].endswith(
        "/compte/double-authentification")
    assert client.get("/admin/utilisateurs").status_code == 302
    _enrol(client)
    assert client.get("/admin/utilisateurs").status_code == 200
    # Referents are not concerned.
    other = app.test_client()
    login(other, referent)
    assert other.get("/membres").status_code == 200


def test_the_secret_being_enrolled_stays_on_the_server(app, referent):
    client = app.test_client()
    login(client, referent)
    first = _SECRET.search(client.get("/compte/double-authentification").get_data(
        as_text=True)).group(1)
    again = _SECRET.search(client.get("/compte/double-authentification").get_data(
        as_text=True)).group(1)
    assert first == again  # a reload after scanning keeps what the app holds
    with client.session_transaction() as cookie:
        assert first not in repr(dict(cookie))


def test_enrolment_is_logged(app):
    user = factories.user(role="admin", password=PASSWORD)
    client = app.test_client()
    login(client, user)
    _enrol(client)
    kinds = db.session.scalars(select(SecurityEvent.kind).order_by(SecurityEvent.id)).all()
    assert kinds == ["login", "totp_enabled"]
