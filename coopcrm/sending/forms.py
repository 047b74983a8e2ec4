"""Forms of the sending pages."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired


class TestSendForm(FlaskForm):
    """Send the previewed template to oneself (the view checks the template exists)."""

    template = HiddenField(validators=[InputRequired()])
    member_id = HiddenField()
