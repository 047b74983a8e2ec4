"""Fixtures of the member-link tests: the SMTP sink, and a message a link can come in."""

from __future__ import annotations

import uuid

import pytest

from coopcrm.extensions import db
from coopcrm.sending import services as sending
from tests.sending.conftest import smtp_server  # noqa: F401  (a fixture, re-exported)


@pytest.fixture
def message_to():
    """Queue a message to a member (at their present address); returns its outbox id.

    A preferences token names the message whose body carries it; the page
    checks that message went to this member at this address.
    """
    def _queue(member) -> int:
        msg = sending.enqueue("welcome", member, {"booklet_url": "https://coop.example/l.pdf"},
                              f"test:links:{member.id}:{uuid.uuid4()}", bulk=False)
        db.session.commit()
        assert msg is not None
        return msg.id
    return _queue
