"""Forms of the campaign pages; the rules (and their French messages) live in services."""

from __future__ import annotations

import json

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Optional

from coopcrm.campaigns.models import CHANNEL_RULES, MILESTONES, Campaign
from coopcrm.forms import Form, IntegerField, choices, max_length
from coopcrm.members.forms import OwnerField
from coopcrm.params import parse_int

DAYS = [("1", "Lundi"), ("2", "Mardi"), ("3", "Mercredi"), ("4", "Jeudi"), ("5", "Vendredi"),
        ("6", "Samedi"), ("7", "Dimanche")]


def _optional_id(value):
    return parse_int(value) if value not in (None, "", "None") else None


class CampaignForm(Form):
    """Everything a referent writes; the body comes from the block editor (JSON, hidden)."""

    name = StringField("Nom de la campagne (interne)", validators=[max_length(Campaign, "name")])
    subject = StringField("Objet de l'email", validators=[max_length(Campaign, "subject")])
    preheader = StringField("Accroche (aperçu affiché par la messagerie)",
                            validators=[max_length(Campaign, "preheader")])
    sender_name = SelectField("Expéditeur", validate_choice=False)
    segment_id = SelectField("Segment destinataire", coerce=_optional_id, validate_choice=False)
    residence_id = SelectField("Seulement la résidence", coerce=_optional_id,
                               validate_choice=False)
    exclude_campaign_id = SelectField("Sauf ceux qui ont reçu la campagne", coerce=_optional_id,
                                      validate_choice=False)
    channel_rule = SelectField("Canal", choices=choices(CHANNEL_RULES.items()),
                               validate_choice=False)
    window_days = SelectMultipleField("Jours d'envoi", choices=choices(DAYS), validate_choice=False)
    window_start_hour = IntegerField("À partir de (heure)", default=0)
    window_end_hour = IntegerField("Jusqu'à (heure)", default=24)
    daily_cap = IntegerField("Plafond d'emails par jour (vide : aucun)",
                             validators=[Optional()])
    body = HiddenField()
    entity_id = OwnerField()
    published = BooleanField("Publier dans les archives (page publique, sans données "
                             "personnelles)")

    def to_data(self) -> dict:
        """The dict services.create/update_campaign take."""
        return {"name": self.name.data, "subject": self.subject.data,
                "preheader": self.preheader.data, "sender_name": self.sender_name.data,
                "segment_id": self.segment_id.data, "residence_id": self.residence_id.data,
                "exclude_campaign_id": self.exclude_campaign_id.data,
                "channel_rule": self.channel_rule.data,
                "window_days": "".join(self.window_days.data or []),
                "window_start_hour": self.window_start_hour.data or 0,
                "window_end_hour": 24 if self.window_end_hour.data is None
                else self.window_end_hour.data,
                "daily_cap": self.daily_cap.data,
                "body": self.body.data or ""}

    def fill(self, campaign: Campaign) -> None:
        """Show a stored campaign (GET)."""
        for name in ("name", "subject", "preheader", "sender_name", "segment_id",
                     "residence_id", "exclude_campaign_id", "channel_rule",
                     "window_start_hour", "window_end_hour", "daily_cap"):
            getattr(self, name).data = getattr(campaign, name)
        self.window_days.data = list(campaign.window_days)
        self.published.data = campaign.published
        self.body.data = json.dumps(campaign.body or {"version": 1, "blocks": []},
                                    ensure_ascii=False)


class ScheduleForm(Form):
    """When a campaign leaves (Paris time)."""

    scheduled_at = DateTimeLocalField("Date et heure d'envoi (heure de Paris)",
                                      format="%Y-%m-%dT%H:%M")


class ActionForm(Form):
    """A bare POST (launch, pause, test…): CSRF only; a member for "aperçu comme"."""

    member_id = HiddenField()


class PublishForm(Form):
    """"Publier dans les archives", from the campaign's page (at any state)."""

    published = BooleanField("Publier dans les archives")


class AttachmentForm(Form):
    """CSRF of the upload; the file itself is read from request.files (bytes, not text)."""


class KitForm(Form):
    """The "information d'avancement" kit: a programme and a milestone."""

    residence_id = SelectField("Résidence (programme)", coerce=_optional_id,
                               validate_choice=False)
    milestone = SelectField("Étape du chantier", choices=choices(MILESTONES.items()),
                            validate_choice=False)


class TestSegmentForm(Form):
    """"Envoyer à un segment de test": which saved segment."""

    test_segment_id = SelectField("Segment de test", coerce=_optional_id,
                                  validate_choice=False)
