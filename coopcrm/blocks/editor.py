"""What a page showing the block editor gives it (templates/blocks/_editor.html)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from coopcrm.blocks import images
from coopcrm.blocks.placeholders import ALL_NAMES, menu


def settings(errors: Mapping[str, str] | None = None, *, user=None,
             allowed: Collection[str] = ALL_NAMES, field: str = "body") -> dict:
    """The editor's data: placeholder menu, the last save's messages for its blocks
    (`<field>-<n>` keys, renamed `body-<n>` for the script), what "Remplir avec mes
    coordonnées" fills in, the upload size limit."""
    prefix = f"{field}-"
    return {
        "menu": menu(frozenset(allowed)),
        "errors": {"body-" + k[len(prefix):]: v for k, v in (errors or {}).items()
                   if k.startswith(prefix)},
        "contact": contact_of(user),
        "max_bytes": images.MAX_BYTES,
    }


def contact_of(user) -> dict[str, str]:
    """A staff user's details for a contact block: name, email, and as the role their
    entities' names (an entity has no address or phone of its own in the file)."""
    if user is None:
        return {"name": "", "email": "", "role": ""}
    entities = [] if getattr(user, "sees_all_entities", False) else \
        [e.name for e in getattr(user, "entities", [])]
    return {"name": user.name or "", "email": user.email or "", "role": ", ".join(entities)}
