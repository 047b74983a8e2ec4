"""Forms of the follow-up rules (admin) and the courtesy-visit planning page."""

from __future__ import annotations

from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in 3.3, not in the stubs yet

from coopcrm.auth.models import User
from coopcrm.extensions import db
from coopcrm.forms import Form
from coopcrm.forms import choices as _choices
from coopcrm.journeys.followups.services import LATE_DEFAULT, RuleInput
from coopcrm.journeys.models import FOLLOWUP_ACTIONS, MomentType
from coopcrm.members.forms import FrenchDateField
from coopcrm.members.models import TRACKS
from coopcrm.params import MAX_ID, parse_int


def posted_int(value) -> int | None:
    """A posted number: '' → None; a number → int; anything else → -1 (the service
    refuses it in French)."""
    try:
        return parse_int(value, -MAX_ID, MAX_ID)
    except ValueError:
        return -1


def owner_choices() -> list[SelectChoice]:
    """Active users who can follow a visit (admins and referents)."""
    users = db.session.scalars(select(User).where(User.active.is_(True),
                                                  User.role.in_(("admin", "referent")))
                               .order_by(User.name))
    return _choices([("", "— personne —")] + [(u.id, u.name) for u in users])


class RuleForm(Form):
    """A follow-up rule; choices are checked by followups.services.save_rule, in French."""

    label = StringField("Nom de la règle")
    trigger_type_id = SelectField("Quand ce moment est réalisé", validate_choice=False)
    delay_days = StringField("Après (jours)", default="0")
    action = SelectField("Alors", choices=_choices(FOLLOWUP_ACTIONS.items()), default="email",
                         validate_choice=False)
    template = SelectField("Modèle d'email", validate_choice=False)
    link_url = StringField("Lien donné dans l'email (ex. livret d'accueil)")
    survey_id = SelectField("Sondage", validate_choice=False)
    plan_type_id = SelectField("Moment à planifier", validate_choice=False)
    track = SelectField("Pour", choices=_choices([("", "Tous les coopérateurs")] + [
        (k, f"Parcours {v.lower()} seulement") for k, v in TRACKS.items()]), default="",
        validate_choice=False)
    max_late_days = StringField("Ne pas faire si l'échéance est dépassée de plus de (jours)",
                                default=str(LATE_DEFAULT))
    active = BooleanField("Règle active", default=True)

    def fill_choices(self) -> None:
        from coopcrm.sending import rendering
        from coopcrm.surveys.models import Survey

        types = list(db.session.scalars(select(MomentType).order_by(MomentType.position,
                                                                    MomentType.label)))
        moment_choices = [("", "— choisir —")] + [(t.id, t.label) for t in types]
        self.trigger_type_id.choices = _choices(moment_choices)
        self.plan_type_id.choices = _choices(moment_choices)
        self.template.choices = _choices([("", "— choisir —")] + [
            (key, rendering.get(key).label) for key in rendering.template_keys()])
        self.survey_id.choices = _choices([("", "— aucun pour l'instant —")] + [
            (s.id, s.title) for s in db.session.scalars(select(Survey).order_by(Survey.title))
            if not getattr(s, "is_template", False)])

    def to_input(self) -> RuleInput:
        late = posted_int(self.max_late_days.data)
        return RuleInput(
            label=self.label.data or "",
            trigger_type_id=posted_int(self.trigger_type_id.data),
            delay_days=posted_int(self.delay_days.data),
            action=self.action.data or "",
            template=self.template.data or "",
            link_url=self.link_url.data or "",
            survey_id=posted_int(self.survey_id.data),
            plan_type_id=posted_int(self.plan_type_id.data),
            track=self.track.data or "",
            max_late_days=late,
            active=bool(self.active.data),
        )


class PlanForm(Form):
    """Plan the checked members' courtesy visits (the checkboxes are read from the request)."""

    occurs_on = FrenchDateField("Date de la visite")
    owner_id = SelectField("Suivie par", validate_choice=False)


class TargetForm(Form):
    target = StringField("Objectif mensuel (visites)")
