from datetime import UTC, datetime, timedelta

from coopcrm import clock
from tests.helpers import login, post


def test_login_and_logout(client, referent):
    page = login(client, referent)
    assert "Coopérateurs" in page.get_data(as_text=True)
    out = post(client, "/deconnexion", token_from="/membres", follow_redirects=True)
    assert "Vous êtes déconnecté" in out.get_data(as_text=True)
    assert client.get("/membres").status_code == 302


def test_wrong_password_is_refused_in_french(client, referent):
    page = login(client, referent, "not the password").get_data(as_text=True)
    assert "Email ou mot de passe incorrect" in page


def test_login_is_throttled_after_repeated_failures(client, referent):
    clock.set_now(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    for _ in range(5):
        login(client, referent, "wrong password!!")
    page = login(client, referent).get_data(as_text=True)
    assert "Trop de tentatives" in page
    clock.set_now(clock.now() + timedelta(minutes=16))
    assert "Coopérateurs" in login(client, referent).get_data(as_text=True)


def test_post_without_csrf_token_is_rejected(client, referent):
    response = client.post("/connexion", data={"email": referent.email, "password": "x"})
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)


def test_next_parameter_cannot_redirect_off_site(client, referent):
    response = post(client, "/connexion?next=//evil.example/x",
                    {"email": referent.email, "password": "correct horse battery"})
    assert response.headers["Location"].endswith("/tableau-de-bord")


def test_short_password_is_refused():
    import pytest

    from coopcrm.auth.services import create_user
    from coopcrm.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as failed:
        create_user("a@b.fr", "A", "short", "referent")
    assert "12 caractères" in failed.value.errors["password"]


def test_a_second_client_is_not_logged_in_by_the_first(app, referent):
    """Regression: test clients shared the test's `g`, so a login leaked across clients."""
    first, second = app.test_client(), app.test_client()
    login(first, referent)
    assert first.get("/membres").status_code == 200
    assert second.get("/membres").status_code == 302
