"""Forms of the referent pages; the rules and their French messages live in the services."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs yet
from wtforms.validators import NumberRange, Optional

from coopcrm.forms import Form, IntegerField, coerce_id
from coopcrm.members.forms import FrenchDateField, OwnerField
from coopcrm.models import text_limit
from coopcrm.surveys.models import KINDS, Survey


class SurveyForm(Form):
    # The limit is checked by the service; the browser only reads it from the column.
    title = StringField("Titre", render_kw={"maxlength": text_limit(Survey, "title")})
    entity_id = OwnerField()
    intro = TextAreaField("Introduction (en haut du questionnaire et dans l'email)")
    thanks = TextAreaField("Message de remerciement (après la réponse)")
    opens_on = FrenchDateField("Ouverture", validators=[Optional()])
    closes_on = FrenchDateField("Clôture (les liens expirent ce jour-là à minuit)",
                                validators=[Optional()])
    anonymous = BooleanField("Sondage anonyme : les réponses ne sont jamais reliées "
                             "à un coopérateur")
    reminder_delay_days = IntegerField("Relancer les non-répondants après (jours)", default=7,
                                       validators=[NumberRange(1, 90, "Entre 1 et 90 jours.")])
    reminder_max = IntegerField("Nombre de relances au maximum (0 : aucune)", default=1,
                                validators=[NumberRange(0, 5, "Entre 0 et 5 relances.")])


class QuestionForm(Form):
    kind = SelectField("Type de question",
                       choices=[SelectChoice(k, v) for k, v in KINDS.items()],
                       validate_choice=False)
    label = TextAreaField("Question")
    help = StringField("Aide (facultatif, sous la question)")
    required = BooleanField("Réponse obligatoire")
    choices = TextAreaField("Choix proposés (un par ligne ; choix unique ou multiples)")


class SendForm(Form):
    segment_id = SelectField("Segment destinataire", coerce=coerce_id, validate_choice=False)

    def fill(self, segments) -> None:
        self.segment_id.choices = [SelectChoice(s.id, s.name) for s in segments]
