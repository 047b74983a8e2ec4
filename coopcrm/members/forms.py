"""Member forms: parsing what the referent typed; the rules live in members.services."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    Field,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional
from wtforms.widgets import DateInput, TextInput

from coopcrm import fr
from coopcrm.forms import Form, IntegerField, choices, longest, max_length
from coopcrm.members import validation
from coopcrm.members.models import EMAIL_STATUSES, SHARE_KINDS, TRACKS, Member
from coopcrm.params import parse_int
from coopcrm.privacy.models import ConsentRecord


class FrenchDateField(Field):
    """A date typed as JJ/MM/AAAA or picked in the browser (ISO), with French errors."""

    widget = DateInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = validation.day(valuelist[0])
            except validation.FieldError as e:
                raise ValueError(str(e)) from None


class AmountField(Field):
    """An amount in euros; accepts the French decimal comma (16,00)."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else fr.decimal(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = validation.amount(valuelist[0])
            except validation.FieldError as e:
                raise ValueError(str(e)) from None
            except ArithmeticError:  # "nan", "inf": Decimal parses them, comparisons fail
                raise ValueError(f"« {valuelist[0]} » n'est pas un montant.") from None
            if self.data is not None and self.data >= 10**6:
                raise ValueError("Montant trop élevé.")


NOT_AN_OWNER = -1  # what a posted owner that is no id becomes: scoping.checked_owner refuses it


def _owner_id(value) -> int | None:
    if value in (None, "", "None"):
        return None  # the group
    try:
        return parse_int(value)
    except ValueError:
        return NOT_AN_OWNER


class OwnerField(SelectField):
    """"Entité": whom a shared object (segment, event, survey) belongs to, the group
    included for those who may change the group's objects; the service checks the choice
    (members.scoping.checked_owner)."""

    def __init__(self, label: str = "Entité", **kwargs):
        super().__init__(label, coerce=_owner_id, validate_choice=False, **kwargs)

    def fill(self, user, current: int | None = None, *, new: bool = True) -> None:
        """The user's choices; a new object defaults to scoping.default_owner."""
        from coopcrm.members.scoping import default_owner, owner_choices

        self.choices = choices(("" if value is None else value, label)
                               for value, label in owner_choices(user))
        if not self.raw_data:  # not posted: the default, or what the object has
            self.data = default_owner(user) if new else current


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return parse_int(value)  # not an id: ValueError, the field's error


class MemberForm(Form):
    """Identity, contact and journey of a member.

    Entity links are not WTForms fields (their number depends on the data):
    the template renders `entity_<id>` checkboxes and `reference_<id>` inputs,
    read back by `entity_links`.
    """

    civility = SelectField("Civilité", choices=choices([("", "—"), ("Mme", "Mme"), ("M.", "M.")]),
                           validate_choice=False)
    first_name = StringField("Prénom", validators=[Optional(), max_length(Member, "first_name")])
    last_name = StringField("Nom", validators=[DataRequired("Le nom est obligatoire."),
                                          max_length(Member, "last_name")])
    email = StringField("Email", validators=[Optional()])
    phone = StringField("Téléphone", validators=[Optional(), max_length(Member, "phone")])
    address = StringField("Adresse", validators=[Optional(), max_length(Member, "address")])
    postal_code = StringField("Code postal",
                              validators=[Optional(), max_length(Member, "postal_code")])
    city = StringField("Ville", validators=[Optional(), max_length(Member, "city")])
    residence_id = SelectField("Résidence", coerce=_optional_int, validate_choice=False)
    track = SelectField("Parcours", choices=choices(TRACKS.items()), validate_choice=False)
    college_id = SelectField("Collège", coerce=_optional_int, validate_choice=False)
    reservation_signed_on = FrenchDateField("Date de signature du contrat de réservation")
    moved_in_on = FrenchDateField("Date d'entrée dans les lieux")
    email_status = SelectField("État de l'email", choices=choices(EMAIL_STATUSES.items()),
                               validate_choice=False)

    VALUE_FIELDS = ("civility", "first_name", "last_name", "email", "phone", "address",
                    "postal_code", "city", "residence_id", "track", "college_id",
                    "reservation_signed_on", "moved_in_on", "email_status")

    def fill_choices(self, residences, colleges) -> None:
        self.residence_id.choices = choices(
            [("", "—")] + [(r.id, f"{r.name} ({r.entity.code})") for r in residences]
        )
        self.college_id.choices = choices([("", "—")] + [(c.id, c.name) for c in colleges])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # A failed int coercion leaves WTForms' English text: say it in French.
        for name, message in (("residence_id", "Résidence inconnue."),
                              ("college_id", "Collège inconnu.")):
            field = getattr(self, name)
            if field.errors:
                field.errors = [message]
        return ok

    def values(self) -> dict:
        """Parsed values for members.services; fields that failed parsing are left out."""
        return {n: getattr(self, n).data for n in self.VALUE_FIELDS if not getattr(self, n).errors}

    @staticmethod
    def entity_links(formdata, entities) -> dict[int, str]:
        """Entity id -> reference for each ticked entity among those offered."""
        return {
            e.id: (formdata.get(f"reference_{e.id}") or "").strip()
            for e in entities
            if formdata.get(f"entity_{e.id}")
        }


class ShareForm(Form):
    """One line of the share register."""

    kind = RadioField("Mouvement", choices=choices(SHARE_KINDS.items()), default="subscription",
                      validators=[InputRequired("Choisissez le type de mouvement.")])
    quantity = IntegerField(
        "Nombre de parts", default=1,
        validators=[InputRequired("Indiquez un nombre de parts."),
                    NumberRange(min=1, message="Le nombre de parts doit être supérieur à zéro.")],
    )
    unit_amount = AmountField("Montant unitaire (€)",
                              description="Laisser vide pour le montant de l'entité.")
    occurred_on = FrenchDateField("Date",
                                  validators=[InputRequired("Indiquez la date du mouvement.")])
    note = StringField("Note", validators=[Optional(), longest(500)])  # a Text column

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        raw = self.quantity.raw_data
        if self.quantity.errors and raw and raw[0] and self.quantity.data is None:
            self.quantity.errors = ["Indiquez un nombre entier de parts."]
        if self.kind.errors and self.kind.data not in SHARE_KINDS:
            self.kind.errors = ["Choisissez le type de mouvement."]
        return ok


class ConsentForm(Form):
    """Grant or withdraw one consent, saying where the answer came from.

    Built with `prefix=<kind>`: the member page holds one per consent kind.
    """

    granted = RadioField("Réponse", choices=choices([("oui", "Accepte"), ("non", "Refuse")]),
                         validators=[InputRequired("Choisissez une réponse.")])
    source = StringField("Origine", validators=[
        DataRequired("Indiquez l'origine (ex. bulletin papier signé, appel téléphonique)."),
        max_length(ConsentRecord, "source"),
    ])
    wording = TextAreaField("Texte accepté (facultatif)", validators=[Optional()])
    # The scan of a paper form (privacy/proofs.py checks its bytes and size).
    scan = FileField("Scan du formulaire papier (facultatif : PDF, JPEG ou PNG)")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.granted.errors and self.granted.data not in ("oui", "non"):
            self.granted.errors = ["Choisissez une réponse."]
        return ok
