from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class SegmentNameForm(FlaskForm):
    name = StringField("Nom du segment", validators=[
        DataRequired("Donnez un nom au segment."),
        Length(max=200, message="200 caractères au maximum."),
    ])
