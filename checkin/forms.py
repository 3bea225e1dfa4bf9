"""The one form several packages share (it carries its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length


class NonceForm(FlaskForm):
    """A button press at the door (check in from the list, undo), made idempotent by a nonce."""

    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])
