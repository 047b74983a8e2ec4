"""Letters PDF tasks (queued as the campaign page queues them)."""

from __future__ import annotations

from tests.factories._base import finished, n


def letter_task(user_, source_id: int = 0, kind: str = "letters", commit=True, **kw):
    """A queued task of `user_` for the letters of campaign `source_id`."""
    from coopcrm.letters import tasks

    task = tasks.queue("campaign", source_id, kind, user_, entity_id=kw.pop("entity_id", None),
                       filename=kw.pop("filename", f"courriers-{n()}.pdf"))
    for key, value in kw.items():
        setattr(task, key, value)
    return finished(task, commit)
