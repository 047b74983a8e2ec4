"""What the preview pages render an email with: a sample member, links that lead nowhere."""

from __future__ import annotations

from flask import current_app

from coopcrm.extensions import db
from coopcrm.sending import rendering
from coopcrm.sending.models import OutboxMessage, SharedContext
from coopcrm.sending.services import (
    INERT_PREFERENCES,
    INERT_UNSUBSCRIBE,
    clean_context,
    member_context,
    system_context,
)

SAMPLE_MEMBER = {"first_name": "Camille", "last_name": "Exemple", "civility": "",
                 "full_name": "Camille Exemple", "residence": "Les Annonciades",
                 "reference": "HAB 004512", "share_count": "1", "share_amount": "16\u00a0€"}


def preview_context(data: dict, member=None, *, bulk: bool = True) -> dict:
    """The system variables, `data` cleaned, the member's fields (or the sample member's)
    and, for bulk mail, inert unsubscribe and preferences links."""
    out = {**system_context(), **clean_context(data)}
    out["member"] = member_context(member) if member is not None else dict(SAMPLE_MEMBER)
    if bulk:
        base = out["base_url"]
        out.update(unsubscribe_url=base + INERT_UNSUBSCRIBE,
                   preferences_url=base + INERT_PREFERENCES)
    return out


def render_stored(msg: OutboxMessage) -> rendering.Rendered | None:
    """The message as it was (or will be) sent, its links made inert (secret ones too); None
    when its template cannot render it any more (changed since), which is logged."""
    shared = db.session.get(SharedContext, msg.shared_context_id) if msg.shared_context_id else None
    data = rendering.inert_secrets(
        {**system_context(), **(shared.data if shared else {}), **msg.context})
    if msg.bulk:
        data["unsubscribe_url"] = data["base_url"] + INERT_UNSUBSCRIBE
    try:
        return rendering.render(rendering.for_context(msg.template, data), data,
                                subject=msg.subject)
    except Exception as exc:  # a template changed since: say so instead of a 500
        current_app.logger.warning("message %s: rendu impossible (%s)", msg.id, exc)
        return None
