from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs yet
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coopcrm.auth.models import RIGHTS, ROLES, User
from coopcrm.forms import Form, coerce_id, max_length


class LoginForm(Form):
    email = EmailField("Email", validators=[DataRequired("Indiquez votre email.")])
    password = PasswordField("Mot de passe",
                             validators=[DataRequired("Indiquez votre mot de passe.")])


class _Checklist(SelectMultipleField):
    """Checkboxes: entities (a referent usually manages one or two), rights."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(Form):
    """An admin creating or editing a user; the password is optional when editing."""

    email = EmailField("Email", validators=[
        DataRequired("Indiquez l'email."), max_length(User, "email")])
    name = StringField("Nom affiché", validators=[
        DataRequired("Indiquez le nom."), max_length(User, "name")])
    role = SelectField("Rôle", choices=[SelectChoice(k, v) for k, v in ROLES.items()],
                       default="referent", validate_choice=False)
    all_entities = BooleanField("Toutes les entités du groupe")
    entities = _Checklist("Entités gérées", coerce=coerce_id, validate_choice=False)
    rights = _Checklist("Droits", choices=[SelectChoice(k, v) for k, v in RIGHTS.items()],
                              validate_choice=False)
    password = PasswordField("Mot de passe", validators=[Optional()])

    def fill_choices(self, entities) -> None:
        self.entities.choices = [SelectChoice(e.id, f"{e.code} — {e.name}") for e in entities]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.entities.errors:
            self.entities.errors = ["Entité inconnue."]
        return ok


class CodeForm(Form):
    """The second step of sign-in, and the first code of a new app (`for_enrolment`)."""

    code = StringField("Code à 6 chiffres (ou code de secours)",
                       validators=[DataRequired("Indiquez le code."),
                                   Length(max=40, message="Code trop long.")])

    def for_enrolment(self) -> "CodeForm":
        self.code.label.text = "Code à 6 chiffres"  # no recovery code exists yet
        return self


class PasswordChangeForm(Form):
    current_password = PasswordField("Mot de passe actuel",
                                     validators=[DataRequired("Indiquez votre mot de passe.")])
    password = PasswordField("Nouveau mot de passe",
                             validators=[DataRequired("Indiquez le nouveau mot de passe.")])
    confirm = PasswordField("Nouveau mot de passe, encore une fois",
                            validators=[DataRequired("Retapez le nouveau mot de passe.")])


class PasswordConfirmForm(Form):
    """A sensitive change on one's own account, confirmed by the password."""

    current_password = PasswordField("Mot de passe actuel",
                                     validators=[DataRequired("Indiquez votre mot de passe.")])


class ForgotForm(Form):
    email = EmailField("Email de votre compte", validators=[
        DataRequired("Indiquez votre email."), max_length(User, "email")])


class ResetForm(Form):
    password = PasswordField("Nouveau mot de passe",
                             validators=[DataRequired("Indiquez le nouveau mot de passe.")])
    confirm = PasswordField("Nouveau mot de passe, encore une fois",
                            validators=[DataRequired("Retapez le nouveau mot de passe.")])
