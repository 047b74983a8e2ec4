from wtforms import BooleanField

from coopcrm.forms import Form


class PreferencesForm(Form):
    """Labels are set by the view: they are the consent wordings, with the coop's name."""

    newsletter = BooleanField()
    econvocation = BooleanField()
