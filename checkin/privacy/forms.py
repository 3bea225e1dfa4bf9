"""Forms of personal data: the confirm box before a guest's data is deleted, by them or the
organizer."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class DeleteMyDataForm(FlaskForm):
    """A guest confirms that their data goes for good."""

    confirm = BooleanField(
        "Yes, delete my data for good",
        validators=[DataRequired("Tick the box to confirm.")],
    )


class DeleteGuestForm(FlaskForm):
    """The organizer confirms that a guest and their data go for good."""

    confirm = BooleanField(
        "Yes, delete this guest and their data for good",
        validators=[DataRequired("Tick the box to confirm.")],
    )
