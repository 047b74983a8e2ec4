"""Forms for the reference data (admins)."""

from decimal import Decimal, InvalidOperation

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from coopcrm.forms import Form, IntegerField, choices, coerce_id, max_length
from coopcrm.members.forms import AmountField, FrenchDateField
from coopcrm.members.models import College, Entity, Residence

_REQUIRED = DataRequired("Ce champ est obligatoire.")
_GIVEN = InputRequired("Ce champ est obligatoire.")


class WeightField(AmountField):
    """A decimal with up to three places (vote weights such as 0,333)."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                number = Decimal(valuelist[0].strip().replace(",", "."))
                if not number.is_finite() or abs(number) >= 1000:
                    raise InvalidOperation
                self.data = number.quantize(Decimal("0.001"))
            except InvalidOperation:
                raise ValueError(f"« {valuelist[0]} » n'est pas un nombre.") from None


class _FrenchNumbers(Form):
    """IntegerField speaks English when it cannot parse: say it in French."""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field, IntegerField) and field.raw_data and field.raw_data[0] \
                    and field.data is None:
                field.errors = ["Indiquez un nombre entier."]
        return ok


class EntityForm(_FrenchNumbers):
    code = StringField("Code", validators=[_REQUIRED, max_length(Entity, "code")],
                       description="ex. MFLA")
    name = StringField("Nom", validators=[_REQUIRED, max_length(Entity, "name")])
    share_unit_amount = AmountField("Montant d'une part sociale (€)", validators=[_GIVEN])


class ResidenceForm(_FrenchNumbers):
    entity_id = SelectField("Entité", coerce=coerce_id, validate_choice=False)
    name = StringField("Nom", validators=[_REQUIRED, max_length(Residence, "name")])
    commune = StringField("Commune", validators=[Optional(), max_length(Residence, "commune")])
    dwellings = IntegerField("Nombre de logements", validators=[
        Optional(), NumberRange(min=0, message="Le nombre ne peut pas être négatif.")])
    delivery_date = FrenchDateField("Date de livraison")

    def fill_choices(self, entities) -> None:
        self.entity_id.choices = choices((e.id, f"{e.code} — {e.name}") for e in entities)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.entity_id.errors:
            self.entity_id.errors = ["Choisissez l'entité."]
        return ok


class CollegeForm(_FrenchNumbers):
    code = StringField("Code", validators=[_REQUIRED, max_length(College, "code")],
                       description="ex. locataires")
    name = StringField("Nom", validators=[_REQUIRED, max_length(College, "name")])
    vote_weight = WeightField("Poids de vote", validators=[_GIVEN],
                              description="1 par défaut ; en SCIC, le poids du collège.")
    position = IntegerField("Ordre d'affichage", default=0, validators=[Optional()])
