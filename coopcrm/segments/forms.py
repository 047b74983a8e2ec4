from wtforms import StringField
from wtforms.validators import DataRequired

from coopcrm.forms import Form, max_length
from coopcrm.members.forms import OwnerField
from coopcrm.segments.models import Segment


class SegmentNameForm(Form):
    name = StringField("Nom du segment", validators=[
        DataRequired("Donnez un nom au segment."),
        max_length(Segment, "name"),
    ])


class NewSegmentForm(SegmentNameForm):
    entity_id = OwnerField()
