"""Every route of the app with values for its URL arguments: for tests that walk them all."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from werkzeug.routing import Rule

from coopcrm.extensions import db

# URL arguments that are not database ids, with a value that names something.
FIXED = {"token": "lien-inconnu", "fmt": "csv", "kind": "newsletter", "filename": "app.css",
         "retention_rule": "prospect", "document": "courriers",
         "year": 2026, "number": 1, "action": "pause", "reason": "no_email",
         "position": 1,  # a campaign link's number (campaigns.clicks)
         "image": "AAAAAAAAAAAAAAAAAAAAAA-1x1.png"}  # a stored image's name (blocks.images)


def rules(method: str = "GET") -> list[Rule]:
    """The app's rules answering `method`, in a stable order."""
    return sorted((r for r in current_app.url_map.iter_rules() if method in (r.methods or ())),
                  key=lambda r: r.rule)


def existing_ids() -> dict[str, int]:
    """An id of a row of each kind a route names, the pairs a route nests kept together.

    Call it once the tables hold something (the demo, say); a kind without rows is left out.
    """
    from coopcrm.auth.models import User
    from coopcrm.campaigns.models import Campaign
    from coopcrm.cycle.models import Edition, NewsletterIssue
    from coopcrm.events.models import Event, EventSeries, Resolution
    from coopcrm.inbox.models import InboundMessage
    from coopcrm.journeys.models import FollowUpRule, Moment, MomentType
    from coopcrm.letters.models import LetterTask
    from coopcrm.members.importing.models import ImportTask
    from coopcrm.members.models import College, Entity, Member, Residence
    from coopcrm.privacy.models import ConsentRecord, DataRequest
    from coopcrm.segments.models import Segment
    from coopcrm.sending.models import OutboxMessage
    from coopcrm.surveys.models import Survey, SurveyQuestion

    def first(column) -> int | None:
        return db.session.scalar(select(column).order_by(column).limit(1))

    ids = {
        "user_id": first(User.id), "edition_id": first(Edition.id),
        "issue_id": first(NewsletterIssue.id), "event_id": first(Event.id),
        "series_id": first(EventSeries.id), "rule_id": first(FollowUpRule.id),
        "type_id": first(MomentType.id), "college_id": first(College.id),
        "entity_id": first(Entity.id), "residence_id": first(Residence.id),
        "segment_id": first(Segment.id), "message_id": first(OutboxMessage.id),
        "survey_id": first(Survey.id), "member_id": first(Member.id),
        "campaign_id": first(Campaign.id), "request_id": first(DataRequest.id),
        "inbound_id": first(InboundMessage.id),
        "task_id": first(ImportTask.id), "document_id": first(LetterTask.id),
    }
    question = db.session.scalars(select(SurveyQuestion).order_by(SurveyQuestion.id)).first()
    if question is not None:
        ids.update(question_id=question.id, survey_id=question.survey_id)
    resolution = db.session.scalars(select(Resolution).order_by(Resolution.id)).first()
    if resolution is not None:  # an AG's: the votes' pages are an AG's only
        ids.update(resolution_id=resolution.id, event_id=resolution.event_id)
    moment = db.session.scalars(select(Moment).order_by(Moment.id)).first()
    if moment is not None:
        ids["moment_id"] = moment.id
        ids["member_id"] = moment.member_id
    if "member_id" in ids:  # a consent of that member, one with a scan first (nested)
        ids["record_id"] = db.session.scalar(
            select(ConsentRecord.id).where(ConsentRecord.member_id == ids["member_id"])
            .order_by(ConsentRecord.proof_file.is_(None), ConsentRecord.id).limit(1))
    ids["record_id"] = ids.get("record_id") or first(ConsentRecord.id)
    return {name: value for name, value in ids.items() if value is not None}


def url(rule: Rule, values: dict) -> str:
    """The rule's URL with `values` (then FIXED) for its variables."""
    args = {name: values.get(name, FIXED.get(name)) for name in rule._converters}
    missing = [name for name, value in args.items() if value is None]
    assert not missing, f"no value for {missing} of {rule.rule}"
    # Its defaults too: of the rules of one endpoint, they pick this one.
    return current_app.url_map.bind("localhost").build(rule.endpoint,
                                                       {**args, **(rule.defaults or {})})
