"""Stored tokens (surveys, RSVP) and signed links (unsubscribe, preferences)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coopcrm import clock
from coopcrm.extensions import db
from coopcrm.links import services
from coopcrm.links.models import MemberToken
from coopcrm.links.services import (
    PREFERENCES,
    PREFERENCES_REQUESTED,
    UNSUBSCRIBE,
    LinkExpired,
    LinkInvalid,
)
from tests import factories

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_issue_stores_only_the_hash_and_resolves():
    clock.set_now(T0)
    m = factories.member()
    raw = services.issue(m.id, "survey", T0 + timedelta(days=30), subject_id=7)
    db.session.commit()
    row = db.session.scalar(select(MemberToken))
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in row.token_hash and len(raw) >= 43
    token = services.resolve(raw, "survey")
    assert (token.member_id, token.subject_id, token.is_used) == (m.id, 7, False)


def test_resolve_refuses_unknown_expired_other_purpose_and_tampered():
    clock.set_now(T0)
    m = factories.member()
    raw = services.issue(m.id, "survey", T0 + timedelta(days=30))
    db.session.commit()
    assert services.resolve(raw, "event") is None
    assert services.resolve(raw[:-1] + ("A" if raw[-1] != "A" else "B"), "survey") is None
    assert services.resolve("", "survey") is None
    assert services.resolve("x" * 5000, "survey") is None
    clock.set_now(T0 + timedelta(days=30))
    assert services.resolve(raw, "survey") is None  # expiry instant is excluded
    clock.set_now(T0 + timedelta(days=29, hours=23))
    assert services.resolve(raw, "survey") is not None


def test_issue_many_is_bulk_and_in_order():
    clock.set_now(T0)
    members = [factories.member() for _ in range(3)]
    raws = services.issue_many(
        {"member_id": m.id, "purpose": "event", "subject_id": 4,
         "expires_dt": T0 + timedelta(days=9)}
        for m in members
    )
    db.session.commit()
    assert len(set(raws)) == 3
    assert [services.resolve(r, "event").member_id for r in raws] == [m.id for m in members]
    assert services.issue_many([]) == []


def test_consume_is_single_use_and_revoke_expires():
    clock.set_now(T0)
    m = factories.member()
    raw = services.issue(m.id, "event", T0 + timedelta(days=9), subject_id=1)
    other = services.issue(m.id, "survey", T0 + timedelta(days=9), subject_id=2)
    db.session.commit()
    token = services.resolve(raw, "event")
    assert services.consume(token) is True
    assert services.consume(token) is False
    db.session.commit()
    assert services.resolve(raw, "event").is_used
    assert services.revoke(m.id, purpose="survey") == 1
    db.session.commit()
    assert services.resolve(other, "survey") is None


def test_signed_links_round_trip_and_are_bound_to_their_purpose(app):
    m = factories.member()
    url = services.unsubscribe_url(m.id)
    assert url.startswith("http://127.0.0.1/u/")
    token = url.rsplit("/", 1)[1]
    assert services.verify(token, UNSUBSCRIBE) == m.id
    with pytest.raises(LinkInvalid):
        services.verify(token, PREFERENCES)
    pref = services.preferences_url(m.id, 7).rsplit("/", 1)[1]
    assert services.verify(pref, PREFERENCES) == m.id
    assert services.load(pref, PREFERENCES) == (m.id, 7)  # and the message it came in
    with pytest.raises(LinkInvalid):
        services.verify(pref, UNSUBSCRIBE)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
        lambda t: "OTk5" + t[t.index("."):],  # member id 999 with the same signature
        lambda t: t.split(".")[0],  # payload only
        lambda t: "",
        lambda t: "a" * 500,
    ],
)
def test_tampered_signed_tokens_are_refused(mangle):
    token = services.sign(42, UNSUBSCRIBE)
    with pytest.raises(LinkInvalid) as err:
        services.verify(mangle(token), UNSUBSCRIBE)
    assert not isinstance(err.value, LinkExpired)


def test_signature_from_another_secret_is_refused(app):
    token = services.sign(42, UNSUBSCRIBE)
    app.config["SECRET_KEY"] = "another-secret"
    try:
        with pytest.raises(LinkInvalid):
            services.verify(token, UNSUBSCRIBE)
        # A rotation that lists the old key keeps old links alive.
        app.config["SECRET_KEY_FALLBACKS"] = ["test-secret-key-not-for-production"]
        assert services.verify(token, UNSUBSCRIBE) == 42
    finally:
        app.config["SECRET_KEY"] = "test-secret-key-not-for-production"
        app.config["SECRET_KEY_FALLBACKS"] = None


def test_a_link_signed_as_of_a_given_time_is_the_one_the_clock_would_sign_then():
    later = T0 + timedelta(days=400)
    clock.set_now(T0)
    as_of = services.sign(5, PREFERENCES, 7, now=later)
    clock.set_now(later)
    assert as_of == services.sign(5, PREFERENCES, 7)
    clock.set_now(later + timedelta(days=89))  # its age counts from `later`, not T0
    assert services.verify(as_of, PREFERENCES) == 5


def test_signed_links_expire_by_purpose():
    clock.set_now(T0)
    unsub, pref = services.sign(5, UNSUBSCRIBE), services.sign(5, PREFERENCES, 9)
    clock.set_now(T0 + timedelta(days=89))
    assert services.verify(pref, PREFERENCES) == 5
    clock.set_now(T0 + timedelta(days=91))
    with pytest.raises(LinkExpired):
        services.verify(pref, PREFERENCES)
    clock.set_now(T0 + timedelta(days=729))
    assert services.verify(unsub, UNSUBSCRIBE) == 5
    clock.set_now(T0 + timedelta(days=731))
    with pytest.raises(LinkExpired):
        services.verify(unsub, UNSUBSCRIBE)


def test_mailto_carries_the_unsubscribe_token():
    mailto = services.unsubscribe_mailto(42)
    assert mailto.startswith("mailto:vie-cooperative@coop.example?subject=unsubscribe%20")
    subject = "Re: unsubscribe " + mailto.rsplit("%20", 1)[1]
    assert services.member_id_from_mailto_subject(subject) == 42
    assert services.member_id_from_mailto_subject("unsubscribe forged.token.x") is None
    assert services.member_id_from_mailto_subject("Bonjour") is None


def test_message_links_match_the_single_builders():
    links = services.message_links(42, 7, True, "newsletter_edition")
    assert services.verify(links["unsubscribe_url"].rsplit("/", 1)[1], UNSUBSCRIBE) == 42
    assert services.load(links["preferences_url"].rsplit("/", 1)[1], PREFERENCES) == (42, 7)
    assert links["unsubscribe_mailto"].endswith(links["unsubscribe_url"].rsplit("/", 1)[1])
    assert services.message_links(42, 7, False, "convocation") == {}
    [requested] = services.message_links(42, 8, False, "preferences_link").values()
    assert requested.startswith("http://127.0.0.1/pr/")
    token = requested.rsplit("/", 1)[1]
    assert services.load(token, PREFERENCES_REQUESTED) == (42, 8)
    with pytest.raises(LinkInvalid):
        services.verify(token, PREFERENCES)


def test_a_link_that_grants_names_its_message():
    with pytest.raises(ValueError):
        services.sign(42, PREFERENCES)
    # Preferences tokens signed before they named their message: no message, withdraw only.
    old = services._serializer(PREFERENCES).dumps(42)
    assert services.load(old, PREFERENCES) == (42, None)
    # The unsubscribe token keeps its short form (mailto subjects, two-year-old links).
    assert services.load(services.sign(42, UNSUBSCRIBE), UNSUBSCRIBE) == (42, None)
    for forged in ([42], [42, 0], ["42", 7], [True, 7], [42, 7, 1], True, -1, "42"):
        with pytest.raises(LinkInvalid):
            services.load(services._serializer(PREFERENCES).dumps(forged), PREFERENCES)
    with pytest.raises(LinkInvalid):  # a pair is only a granting purpose's form
        services.load(services._serializer(UNSUBSCRIBE).dumps([42, 7]), UNSUBSCRIBE)


def test_purposes_are_one_table():
    assert set(services.PURPOSES) == {UNSUBSCRIBE, PREFERENCES, PREFERENCES_REQUESTED}
    assert [p.grants for p in services.PURPOSES.values()] == [False, True, True]
    assert len({p.path for p in services.PURPOSES.values()}) == 3
    assert len({p.salt for p in services.PURPOSES.values()}) == 3


def test_signing_writes_nothing():
    m = factories.member()
    for _ in range(10):
        services.message_links(m.id, 1, True, "newsletter_edition")
    assert db.session.scalar(select(func.count()).select_from(MemberToken)) == 0
