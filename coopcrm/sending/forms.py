"""Forms of the sending pages."""

from wtforms import HiddenField
from wtforms.validators import InputRequired

from coopcrm.forms import Form


class TestSendForm(Form):
    """Send the previewed template to oneself (the view checks the template exists)."""

    template = HiddenField(validators=[InputRequired()])
    member_id = HiddenField()
