"""Imports every domain's models so metadata (and Alembic) sees all tables."""


def import_all_models() -> None:
    from coopcrm.auth import models as _auth  # noqa: F401
    from coopcrm.campaigns import models as _campaigns  # noqa: F401
    from coopcrm.cycle import models as _cycle  # noqa: F401
    from coopcrm.events import models as _events  # noqa: F401
    from coopcrm.events.votes import models as _votes  # noqa: F401
    from coopcrm.inbox import models as _inbox  # noqa: F401
    from coopcrm.journeys import models as _journeys  # noqa: F401
    from coopcrm.letters import models as _letters  # noqa: F401
    from coopcrm.links import models as _links  # noqa: F401
    from coopcrm.members import models as _members  # noqa: F401
    from coopcrm.members.importing import models as _imports  # noqa: F401
    from coopcrm.privacy import models as _privacy  # noqa: F401
    from coopcrm.scheduler import models as _scheduler  # noqa: F401
    from coopcrm.segments import models as _segments  # noqa: F401
    from coopcrm.sending import models as _sending  # noqa: F401
    from coopcrm.surveys import models as _surveys  # noqa: F401
