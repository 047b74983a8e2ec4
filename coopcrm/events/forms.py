"""Forms for events; the rules (notice, convocation delay) live in the services."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs yet
from wtforms.validators import Optional
from wtforms.widgets import TimeInput

from coopcrm import clock
from coopcrm.events.models import CONVOCATIONS, KINDS
from coopcrm.events.services import EventData, all_series
from coopcrm.forms import Form, IntegerField, coerce_id
from coopcrm.forms import choices as _choices
from coopcrm.members.forms import FrenchDateField, OwnerField
from coopcrm.params import parse_int

_TIME = re.compile(r"^(\d{1,2})[:hH](\d{2})?$")


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return parse_int(value)
    except ValueError:
        return None


def parse_time(text: str | None) -> time | None:
    match = _TIME.match((text or "").strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


class EventForm(Form):
    kind = SelectField("Type", choices=_choices([("", "— choisir —"), *KINDS.items()]),
                       validate_choice=False)
    title = StringField("Titre")
    entity_id = OwnerField()
    day = FrenchDateField("Date")
    start_time = StringField("Heure de début", widget=TimeInput(), default="18:00")
    end_time = StringField("Heure de fin", widget=TimeInput(), default="20:00")
    place = StringField("Lieu", validators=[Optional()])
    description = TextAreaField("Présentation", validators=[Optional()])
    remote = BooleanField("On peut aussi participer à distance")
    remote_url = StringField("Lien de la réunion à distance", validators=[Optional()])
    capacity = IntegerField("Nombre de places (vide : sans limite)", validators=[Optional()])
    segment_id = SelectField("Invités", coerce=_optional_int, validate_choice=False)
    series_id = SelectField("Fait partie d'un cycle", coerce=_optional_int, validate_choice=False)
    new_series = StringField("… ou nouveau cycle (nom)", validators=[Optional()])
    convocation_number = RadioField(
        "Convocation (AG)", coerce=coerce_id, default=1, validate_choice=False,
        choices=[SelectChoice(n, label) for n, label in CONVOCATIONS.items()])
    send_on = FrenchDateField("Envoi de la convocation ou des invitations (vide : date conseillée)")
    agenda_html = TextAreaField("Ordre du jour (AG)", validators=[Optional()])
    summary = TextAreaField("Ce qu'il faut retenir (pour le message aux absents)",
                            validators=[Optional()])
    feedback_survey_id = SelectField("Questionnaire d'avis envoyé après", coerce=_optional_int,
                                     validate_choice=False)

    def fill_choices(self, user, event=None) -> None:
        """The pickers, holding what the user may see; the owner (new: the default)."""
        from coopcrm.segments.services import visible_segments
        from coopcrm.surveys.services import feedback_choices

        self.entity_id.fill(user, event.entity_id if event is not None else None,
                            new=event is None)
        self.segment_id.choices = _choices(
            [("", "Tous les coopérateurs")] + [(s.id, s.name) for s in visible_segments(user)])
        self.series_id.choices = _choices(
            [("", "— aucun —")] + [(s.id, s.title) for s in all_series(user)])
        self.feedback_survey_id.choices = _choices(
            [("", "— aucun (remerciement seul) —")]
            + [(s.id, s.title) for s in feedback_choices(user)])

    def to_data(self) -> tuple[EventData, dict[str, str]]:
        """The typed data, and French errors for what could not be read."""
        errors = {}
        start = end = None
        start_t, end_t = parse_time(self.start_time.data), parse_time(self.end_time.data)
        if start_t is None:
            errors["start_time"] = "Heure attendue comme 18:30."
        if end_t is None:
            errors["end_time"] = "Heure attendue comme 20:00."
        if self.day.data is not None and start_t and end_t:
            start = _utc(self.day.data, start_t)
            end = _utc(self.day.data, end_t)
        data = EventData(
            kind=self.kind.data or "", title=self.title.data or "", starts_dt=start, ends_dt=end,
            place=self.place.data or "", description=self.description.data or "",
            remote=bool(self.remote.data), remote_url=self.remote_url.data or "",
            capacity=self.capacity.data, segment_id=self.segment_id.data,
            series_id=self.series_id.data, new_series=self.new_series.data or "",
            convocation_number=self.convocation_number.data or 1, send_on=self.send_on.data,
            agenda_html=self.agenda_html.data or "", summary=self.summary.data or "",
            feedback_survey_id=self.feedback_survey_id.data, entity_id=self.entity_id.data)
        return data, errors

    def load(self, event) -> None:
        start = event.starts_dt.astimezone(clock.PARIS)
        self.day.data = start.date()
        self.start_time.data = start.strftime("%H:%M")
        self.end_time.data = event.ends_dt.astimezone(clock.PARIS).strftime("%H:%M")


def _utc(day, t) -> datetime:
    return datetime.combine(day, t, tzinfo=clock.PARIS).astimezone(UTC)


class RsvpForm(Form):
    response = RadioField("Votre réponse", validate_choice=False, choices=_choices([
        ("yes", "Je viens"), ("no", "Je ne viens pas"), ("proxy", "Je donne pouvoir")]))
    proxy_to = RadioField("À qui ?", default="member", validate_choice=False, choices=_choices([
        ("member", "À un autre coopérateur"), ("chair", "Au président de séance")]))
    proxy_name = StringField("Nom et prénom, ou référence, du coopérateur qui me représentera",
                             validators=[Optional()])
