"""Counting attempts per key and locking a key that had too many in a window.

Keys are built from what the client sent (the typed address, its IP), never from
whether an account exists: an unknown address is throttled exactly like a known
one, so neither the message nor the lock tells them apart.

Sign-in keys, each with its limit per LOGIN_LOCK_MINUTES (also the lock's length):
- one address on one account (LOGIN_MAX_FAILURES, 5): guessing one password;
- one client address, any accounts (LOGIN_CLIENT_MAX_FAILURES): spraying;
- one account from anywhere (LOGIN_ACCOUNT_MAX_FAILURES): a distributed guess. It is
  much higher than the first, so that one client alone cannot lock a colleague out.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from coopcrm.auth.models import LoginThrottle
from coopcrm.extensions import db


def client_key(addr: str | None) -> str:
    """The client as throttling sees it: an IPv4 address, or the /64 of an IPv6 one
    (a single host usually holds a whole /64 and could rotate through it)."""
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return addr or "inconnue"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def login_keys(email: str, client: str) -> list[tuple[str, int]]:
    """(key, limit) of one sign-in attempt."""
    cfg = current_app.config
    email, client = email[:254], client_key(client)
    return [(f"compte+adresse:{email}|{client}", cfg["LOGIN_MAX_FAILURES"]),
            (f"adresse:{client}", cfg["LOGIN_CLIENT_MAX_FAILURES"]),
            (f"compte:{email}", cfg["LOGIN_ACCOUNT_MAX_FAILURES"])]


def forget_login_failures(email: str, client: str) -> None:
    """After a successful sign-in: the account's failures are forgotten, not the client's
    (or one good password between sprays would reset the count)."""
    pair, _client, account = login_keys(email, client)
    clear([pair, account])


def forget_account(email: str) -> None:
    """Unlock an account from every address (an admin reactivated it)."""
    db.session.execute(delete(LoginThrottle).where(or_(
        LoginThrottle.key == f"compte:{email}",
        LoginThrottle.key.startswith(f"compte+adresse:{email}|", autoescape=True))))


def reset_keys(email: str, client: str) -> list[tuple[str, int]]:
    """(key, limit) of one "mot de passe oublié" request: no mail bombing of an address."""
    cfg = current_app.config
    return [(f"oubli:{email[:254]}", cfg["RESET_MAX_REQUESTS"]),
            (f"oubli-adresse:{client_key(client)}", cfg["RESET_CLIENT_MAX_REQUESTS"])]


def locked_minutes(keys: list[tuple[str, int]], now: datetime) -> int:
    """Minutes until every key is free again (0: none is locked)."""
    until = db.session.scalar(select(func.max(LoginThrottle.locked_until)).where(
        LoginThrottle.key.in_([k for k, _ in keys]), LoginThrottle.locked_until > now))
    if until is None:
        return 0
    return max(1, math.ceil((until - now).total_seconds() / 60))


def count(keys: list[tuple[str, int]], now: datetime) -> None:
    """One more attempt on each key; a key reaching its limit is locked for the window.

    The row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite writes one at a
    time) so that concurrent attempts all count.
    """
    window = _window()
    for key, limit in keys:
        _insert_if_missing(key, now)
        row = db.session.scalars(
            select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
            .execution_options(populate_existing=True)).one()
        if row.window_start_dt <= now - window:
            row.failures, row.window_start_dt = 0, now
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = now + window
            row.failures, row.window_start_dt = 0, now
    db.session.flush()


def clear(keys: list[tuple[str, int]]) -> None:
    """Forget the attempts on these keys (a successful sign-in, a new password)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_([k for k, _ in keys])))


def purge(now: datetime) -> None:
    """Drop the rows whose window and lock are over: they would count nothing."""
    db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.window_start_dt < now - _window(),
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now)))


def _insert_if_missing(key: str, now: datetime) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same API as the PG one
    db.session.execute(insert(LoginThrottle.__table__)
                       .values(key=key, failures=0, window_start_dt=now)
                       .on_conflict_do_nothing(index_elements=["key"]))
