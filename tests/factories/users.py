"""Staff accounts."""

from __future__ import annotations

from coopcrm.auth.models import User
from tests.factories._base import n, saved


def user(role="referent", password="correct horse battery", entities=(), commit=True, **kw):
    i = n()
    u = User(
        email=kw.pop("email", f"user{i}@coop.test"),
        name=kw.pop("name", f"Utilisateur {i}"),
        role=role,
        entities=list(entities),
        **kw,
    )
    u.set_password(password)
    return saved(u, commit)
