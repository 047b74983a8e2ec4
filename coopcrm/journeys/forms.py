"""Forms for moments and the moment-type catalogue; the rules live in the services."""

from __future__ import annotations

from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from coopcrm.auth.models import User
from coopcrm.extensions import db
from coopcrm.forms import Form, IntegerField
from coopcrm.forms import choices as _choices
from coopcrm.journeys.catalogue import TYPE_TRACKS
from coopcrm.journeys.models import CHANNELS, MOMENT_STATUSES
from coopcrm.journeys.services import types_for_track
from coopcrm.members.forms import FrenchDateField
from coopcrm.params import parse_int

RECORD_STATUSES = {k: MOMENT_STATUSES[k] for k in ("done", "planned")}


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return parse_int(value)
    except ValueError:
        return -1  # never a valid id: the choice check reports it


class MomentForm(Form):
    """Noter un moment: done or planned, for one member."""

    # Choices are checked by journeys.services.record, with its French messages.
    type_id = SelectField("Moment", coerce=_optional_int, validate_choice=False)
    status = RadioField("Statut", choices=_choices(RECORD_STATUSES.items()), default="done",
                        validate_choice=False)
    occurs_on = FrenchDateField("Date")
    channel = SelectField("Canal", choices=_choices([("", "— non précisé —"), *CHANNELS.items()]),
                          default="", validate_choice=False)
    owner_id = SelectField("Suivi par", coerce=_optional_int, validate_choice=False)
    notes = TextAreaField("Notes", validators=[Optional()])

    def fill_choices(self, track: str) -> None:
        self.type_id.choices = _choices([("", "— choisir —")] + [
            (t.id, t.label) for t in types_for_track(track)])
        self.owner_id.choices = _choices([("", "— personne —")] + [
            (u.id, u.name) for u in db.session.scalars(
                select(User).where(User.active.is_(True)).order_by(User.name))])


class DateForm(Form):
    """One date: reschedule a planned moment, or mark one done on another day."""

    occurs_on = FrenchDateField("Nouvelle date")


class NotesForm(Form):
    """The confirmation forms (cancel, mark done) carry only the CSRF token and notes."""

    notes = TextAreaField("Notes", validators=[Optional()])


class MomentTypeForm(Form):
    label = StringField("Libellé")
    track = SelectField("Parcours", choices=_choices(TYPE_TRACKS.items()), default="both",
                        validate_choice=False)
    position = IntegerField("Position", validators=[Optional()])
    repeatable = BooleanField("Peut se répéter (ex. visite de chantier, AG)")
