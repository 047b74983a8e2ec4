"""Errors the services raise and the views turn into French messages."""

from __future__ import annotations


class ValidationFailed(Exception):
    """Bad input: `errors` maps a field name to a French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotAllowed(Exception):
    """The user's role or entity scope does not allow this."""
