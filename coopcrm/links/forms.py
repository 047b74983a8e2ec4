from flask_wtf import FlaskForm
from wtforms import BooleanField


class PreferencesForm(FlaskForm):
    """Labels are set by the view: they are the consent wordings, with the coop's name."""

    newsletter = BooleanField()
    econvocation = BooleanField()
