"""Issue 12, finding 8: sign-in throttled per account and per client, with no enumeration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from coopcrm import clock
from coopcrm.auth import login as signing
from coopcrm.auth.models import SecurityEvent
from coopcrm.auth.throttle import client_key
from coopcrm.extensions import db
from tests import factories
from tests.helpers import PASSWORD, post

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
THROTTLED = "Trop de tentatives de connexion. Réessayez dans 15 minute(s)."


def _attempt(client, email, password="pas le bon mot de passe"):
    return post(client, "/connexion", {"email": email, "password": password},
                follow_redirects=True).get_data(as_text=True)


def _from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_known_and_unknown_accounts_get_the_same_answers(app, referent):
    clock.set_now(T0)
    known, unknown = _from(app, "192.0.2.10"), _from(app, "192.0.2.11")
    for _ in range(5):
        assert "Email ou mot de passe incorrect." in _attempt(known, referent.email)
        assert "Email ou mot de passe incorrect." in _attempt(unknown, "personne@coop.test")
    assert THROTTLED in _attempt(known, referent.email, PASSWORD)  # even the right one
    assert THROTTLED in _attempt(unknown, "personne@coop.test")
    clock.set_now(T0 + timedelta(minutes=15))
    assert "Coopérateurs" in _attempt(known, referent.email, PASSWORD)


def test_one_client_cannot_lock_a_colleague_out_from_elsewhere(app, referent):
    clock.set_now(T0)
    attacker = _from(app, "198.51.100.7")
    for _ in range(6):
        _attempt(attacker, referent.email)
    assert THROTTLED in _attempt(attacker, referent.email, PASSWORD)
    office = _from(app, "192.0.2.50")
    assert "Coopérateurs" in _attempt(office, referent.email, PASSWORD)


def test_spraying_many_accounts_from_one_client_is_throttled(app, referent):
    clock.set_now(T0)
    sprayer = _from(app, "203.0.113.9")
    for n in range(app.config["LOGIN_CLIENT_MAX_FAILURES"]):
        assert "Email ou mot de passe incorrect." in _attempt(sprayer, f"victime{n}@coop.test")
    assert THROTTLED in _attempt(sprayer, referent.email, PASSWORD)
    assert THROTTLED in _attempt(sprayer, "encore.une@coop.test")
    # A good password in between does not reset the client's count.
    assert "Coopérateurs" in _attempt(_from(app, "192.0.2.1"), referent.email, PASSWORD)


def test_an_ipv6_client_is_one_client_across_its_64(app):
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") \
        == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.4") == "192.0.2.4"
    clock.set_now(T0)
    for n in range(app.config["LOGIN_CLIENT_MAX_FAILURES"]):
        _attempt(_from(app, f"2001:db8:1:2::{n + 1:x}"), f"v{n}@coop.test")
    assert THROTTLED in _attempt(_from(app, "2001:db8:1:2::ffff"), "autre@coop.test")


def test_a_distributed_guess_on_one_account_locks_it(app, referent):
    clock.set_now(T0)
    for n in range(app.config["LOGIN_ACCOUNT_MAX_FAILURES"]):
        _attempt(_from(app, f"10.9.{n // 200}.{n % 200 + 1}"), referent.email)
    assert THROTTLED in _attempt(_from(app, "192.0.2.99"), referent.email, PASSWORD)


def test_a_deactivated_account_is_refused_like_a_wrong_password(client):
    gone = factories.user(password=PASSWORD, active=False)
    assert "Email ou mot de passe incorrect." in _attempt(client, gone.email, PASSWORD)


@pytest.mark.parametrize("email", ["absent@coop.test", "known"])
def test_unknown_accounts_cost_a_password_hash_too(app, referent, monkeypatch, email):
    checked = []
    real = signing.User.check_password

    def counting(self, password):
        checked.append(password)
        return real(self, password)

    monkeypatch.setattr(signing.User, "check_password", counting)
    with app.test_request_context():
        with pytest.raises(signing.LoginRefused) as refused:
            signing.authenticate(referent.email if email == "known" else email, "faux mot",
                                 client="192.0.2.3")
    assert refused.value.message == signing.WRONG
    assert checked == ["faux mot"]


def test_failures_are_logged_with_the_client_address(app, referent):
    _attempt(_from(app, "192.0.2.77"), referent.email)
    _attempt(_from(app, "192.0.2.78"), "inconnu@coop.test")
    rows = db.session.execute(select(SecurityEvent.kind, SecurityEvent.user_id,
                                     SecurityEvent.email, SecurityEvent.client_addr,
                                     SecurityEvent.detail).order_by(SecurityEvent.id)).all()
    assert [tuple(r) for r in rows] == [
        ("login_failed", referent.id, referent.email, "192.0.2.77", "mot de passe incorrect"),
        ("login_failed", None, "inconnu@coop.test", "192.0.2.78", "compte inconnu")]
