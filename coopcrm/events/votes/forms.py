"""Forms of the AG's votes: a resolution, a postal form (one line per resolution), the room's
totals by college. The rules live in events/votes/services.py."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import TimeInput

from coopcrm.events.models import MAJORITIES, Resolution
from coopcrm.events.votes.majority import CHOICES
from coopcrm.events.votes.services import ResolutionData
from coopcrm.forms import Form, IntegerField, max_length
from coopcrm.forms import choices as _choices
from coopcrm.members.forms import FrenchDateField

# A count of persons typed at the AG: large enough for any assembly, never an overflow.
MAX_COUNT = 10_000_000


class ResolutionForm(Form):
    number = IntegerField("Numéro (vide : le suivant)",
                          validators=[Optional(), NumberRange(1, 999)])
    title = StringField("Titre", validators=[max_length(Resolution, "title")])
    text = TextAreaField("Texte de la résolution", validators=[Optional()])
    majority = RadioField("Majorité requise", validate_choice=False,
                          choices=_choices(MAJORITIES.items()))
    board = BooleanField("Proposée par le conseil d'administration (les pouvoirs en blanc "
                         "votent pour ; contre les autres résolutions)", default=True)

    def to_data(self) -> ResolutionData:
        return ResolutionData(number=self.number.data, title=self.title.data or "",
                              text=self.text.data or "", majority=self.majority.data or "",
                              board=bool(self.board.data))


class DeadlineForm(Form):
    day = FrenchDateField("Date limite de réception des votes par correspondance")
    at = StringField("Heure", widget=TimeInput(), default="12:00")


def choice_field(resolution: Resolution) -> str:
    return f"r{resolution.id}"


def postal_form(resolutions: list[Resolution], *, code: bool = True, **kwargs) -> Form:
    """The postal voting form: its code (paper) and pour / contre / abstention per resolution."""

    class PostalForm(Form):
        step = HiddenField(default="check")

    if code:
        PostalForm.code = StringField("Code du formulaire", description="ex. 1234-K7QX")
    for r in resolutions:
        setattr(PostalForm, choice_field(r), RadioField(
            f"Résolution {r.number} : {r.title}", validate_choice=False,
            choices=_choices(CHOICES.items())))
    return PostalForm(**kwargs)


def postal_choices(form: Form, resolutions: list[Resolution]) -> dict[int, str]:
    """Resolution id -> choice ticked (lines left empty are left out)."""
    out = {}
    for r in resolutions:
        value = form[choice_field(r)].data
        if value in CHOICES:
            out[r.id] = value
    return out


def room_form(keys: list[str], **kwargs) -> Form:
    """Totals by college for one entry: for / against / abstain per college, by position."""

    class RoomForm(Form):
        entry = RadioField("Saisie", validate_choice=False, default="1",
                           choices=_choices([("1", "Première saisie"), ("2", "Seconde saisie")]))

    for i, _ in enumerate(keys):
        for choice, label in CHOICES.items():
            setattr(RoomForm, f"c{i}_{choice}", IntegerField(
                label, default=0, validators=[Optional(), NumberRange(0, MAX_COUNT)]))
    return RoomForm(**kwargs)


def room_totals(form: Form, keys: list[str]) -> dict[str, tuple[int, int, int]]:
    def n(i: int, choice: str) -> int:
        return form[f"c{i}_{choice}"].data or 0

    return {key: (n(i, "for"), n(i, "against"), n(i, "abstain")) for i, key in enumerate(keys)}
