"""Forms of the privacy pages."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from coopcrm.forms import Form, choices, longest, max_length
from coopcrm.members.forms import FrenchDateField
from coopcrm.members.models import MemberEntity
from coopcrm.models import text_limit
from coopcrm.privacy.models import REQUEST_CHANNELS, REQUEST_KINDS, DataRequest
from coopcrm.privacy.periods import PERIODS

# The reason goes in the audit trail: a sentence, not a file.
REASON_MAX = 500
# Notes and answers of the requests register: a paragraph or two.
NOTES_MAX = 5000


class AnonymiseForm(Form):
    """The confirmation of an erasure: a reason, and a box ticked on purpose."""

    reason = TextAreaField("Motif", validators=[
        DataRequired("Indiquez le motif (par exemple : demande d'effacement reçue le …)."),
        longest(REASON_MAX)])
    confirm = BooleanField("Je confirme : cette anonymisation est définitive.",
                           validators=[DataRequired("Cochez la case pour confirmer.")])


class RequestForm(Form):
    """A data subject's request as received."""

    kind = SelectField("Nature de la demande", choices=choices(REQUEST_KINDS.items()),
                       validate_choice=False)
    channel = SelectField("Reçue par", choices=choices(REQUEST_CHANNELS.items()),
                          validate_choice=False)
    received_on = FrenchDateField("Reçue le")
    reference = StringField("Référence du coopérateur (s'il est dans le fichier)",
                            validators=[longest(text_limit(MemberEntity, "reference"))])
    requester = StringField("Demandeur (nom, tel qu'il se présente)",
                            validators=[max_length(DataRequest, "requester")])
    notes = TextAreaField("Précisions", validators=[longest(NOTES_MAX)])


class AnswerForm(Form):
    """The answer given to a request."""

    answered_on = FrenchDateField("Répondu le", validators=[
        DataRequired("Indiquez la date de la réponse.")])
    answer = TextAreaField("Réponse apportée", validators=[
        DataRequired("Résumez la réponse apportée."), longest(NOTES_MAX)])


class PeriodsForm(Form):
    """Every retention period, as a whole number of its unit; the bounds are checked by
    `periods.change` (French message on the field), the same as the setting's."""

    def fill(self, values: dict[str, int]) -> None:
        for key, period in PERIODS.items():
            self[period.field()].data = str(values[key])

    def wanted(self) -> dict[str, str]:
        return {period.field(): self[period.field()].data or "" for period in PERIODS.values()}


for _period in PERIODS.values():
    setattr(PeriodsForm, _period.field(), StringField(
        f"{_period.label} ({_period.unit_label}, de {_period.bounds[0]} à {_period.bounds[1]})",
        validators=[longest(10)]))
