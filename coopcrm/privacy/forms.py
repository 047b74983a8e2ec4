"""Forms of the privacy pages."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from coopcrm.forms import Form, choices, longest, max_length
from coopcrm.members.forms import FrenchDateField
from coopcrm.members.models import MemberEntity
from coopcrm.models import text_limit
from coopcrm.privacy.models import REQUEST_CHANNELS, REQUEST_KINDS, DataRequest

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
