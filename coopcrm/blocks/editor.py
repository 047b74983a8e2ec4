"""What a page showing the block editor gives it (templates/blocks/_editor.html)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from coopcrm.blocks import images
from coopcrm.blocks.placeholders import ALL_NAMES, menu


def settings(errors: Mapping[str, str] | None = None, *, user=None,
             allowed: Collection[str] = ALL_NAMES, field: str = "body") -> dict:
    """The editor's data: placeholder menu, the last save's messages for its blocks
    (`<field>-<n>` keys, renamed `body-<n>` for the script), what "Remplir avec mes
    coordonnées" fills in (the user's name and email), the upload size limit."""
    prefix = f"{field}-"
    return {
        "menu": menu(frozenset(allowed)),
        "errors": {"body-" + k[len(prefix):]: v for k, v in (errors or {}).items()
                   if k.startswith(prefix)},
        "contact": {"name": getattr(user, "name", "") or "",
                    "email": getattr(user, "email", "") or ""},
        "max_bytes": images.MAX_BYTES,
    }
