"""The forms of the waitlist's public pages: accept an offered place, and "I can't come"."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class AcceptForm(FlaskForm):
    """Accept an offered place: the button and the CSRF token, nothing else."""


class CancelForm(FlaskForm):
    """A guest confirms they give their place back."""

    confirm = BooleanField(
        "Yes, I can't come: give my place to someone else",
        validators=[DataRequired("Tick the box to confirm.")],
    )
