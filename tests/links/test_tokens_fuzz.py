"""Fuzzing the member-link token parsers: a bad token is LinkInvalid or None, nothing else.

Arbitrary text (and URL paths) for the signed and stored tokens and the mailto
subject, and arbitrary JSON payloads signed with the app's own key (what a
token would carry if the key leaked or a future version signed another shape):
only positive ids a database column holds come out of them.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from flask import current_app
from hypothesis import example, given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from coopcrm.links import services
from coopcrm.links.services import PURPOSES, LinkInvalid
from coopcrm.params import MAX_ID
from tests.fuzzing import FUZZ

TOKENS = st.one_of(st.text(max_size=300), st.text(alphabet="abcXYZ019-_.", max_size=120),
                   st.sampled_from(["", ".", "..", "a.b.c", "NDI.axAY0Q.x", "W10.x.y",
                                    "\x00", "é" * 200, "\ud800" * 3]))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=6)


def _loaded(token, purpose: str):
    try:
        member_id, message_id = services.load(token, purpose)
    except LinkInvalid:  # LinkExpired is one
        return None
    assert type(member_id) is int and 1 <= member_id <= MAX_ID
    assert message_id is None or (type(message_id) is int and 1 <= message_id <= MAX_ID)
    return member_id, message_id


@FUZZ
@given(TOKENS, st.sampled_from(sorted(PURPOSES)))
@example("\ud800\ud800\ud800", services.PREFERENCES)  # found: UnicodeEncodeError, not invalid
def test_arbitrary_text_is_an_invalid_link(token, purpose):
    assert _loaded(token, purpose) is None
    assert services.resolve(token, "survey") is None
    assert services.member_id_from_mailto_subject(token) is None
    assert services.member_id_from_mailto_subject(f"Re: unsubscribe {token}") is None


@FUZZ
@given(JSON, st.sampled_from(sorted(PURPOSES)))
def test_any_signed_payload_gives_valid_ids_or_an_invalid_link(payload, purpose):
    signed = URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                    salt=PURPOSES[purpose].salt,
                                    signer_kwargs={"digest_method": hashlib.sha256})
    token = signed.dumps(payload)
    loaded = _loaded(token, purpose)
    if loaded is not None:  # only the shapes `sign` writes
        assert payload == loaded[0] or payload == list(loaded)


@FUZZ
@given(st.integers(), st.integers())
@example(MAX_ID + 1, 1)  # found: came out as a member id, which PostgreSQL cannot look up
@example(1, 10**30)
def test_signed_ids_out_of_range_are_invalid(member_id, message_id):
    signed = URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                    salt=PURPOSES[services.PREFERENCES].salt,
                                    signer_kwargs={"digest_method": hashlib.sha256})
    loaded = _loaded(signed.dumps([member_id, message_id]), services.PREFERENCES)
    in_range = 1 <= member_id <= MAX_ID and 1 <= message_id <= MAX_ID
    assert (loaded == (member_id, message_id)) if in_range else loaded is None


@FUZZ
@given(TOKENS, st.sampled_from(["/u/", "/p/", "/pr/", "/s/", "/e/"]))
def test_link_pages_answer_any_token_without_an_error(client, token, prefix):
    response = client.get(prefix + quote(token.encode("utf-8", "surrogatepass"), safe=""))
    assert response.status_code in (200, 404, 410), (token, response.status_code)
