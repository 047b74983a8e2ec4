"""Errors the services raise and the views turn into French messages."""

from __future__ import annotations

from werkzeug.exceptions import Forbidden


class ValidationFailed(Exception):
    """Bad input: `errors` maps a field name to a French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    @property
    def first_message(self) -> str:
        """The first French message (a flash when the page has no field to show it on)."""
        return next(iter(self.errors.values()))


class NotAllowed(Exception):
    """The user's role or entity scope does not allow this."""


class ReadOnlyHere(Forbidden):
    """403 whose description is the French sentence the error page shows: the user may see
    this shared object but not change it (it belongs to the whole group)."""

    description = ("Cet élément appartient à tout le groupe : seuls les administrateurs et les "
                   "référents de toutes les entités peuvent le modifier.")
