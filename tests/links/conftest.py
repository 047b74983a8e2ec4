"""Fixtures of the member-link tests: a message a link can come in."""

from __future__ import annotations

import uuid

import pytest

from tests import factories


@pytest.fixture
def message_to():
    """Queue a message to a member (at their present address); returns its outbox id.

    A preferences token names the message whose body carries it; the page
    checks that message went to this member at this address.
    """
    def _queue(member) -> int:
        msg = factories.outbox_message(member, "welcome",
                                       key=f"test:links:{member.id}:{uuid.uuid4()}", bulk=False)
        assert msg is not None
        return msg.id
    return _queue
