"""The ticket-mail form (it carries its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError


class SendTicketsForm(FlaskForm):
    """Email tickets: to whoever has had none yet, or (confirmed) to everyone again."""

    scope = HiddenField(validators=[AnyOf(("unsent", "all"))])
    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])
    confirm = BooleanField("Yes, email every guest again")

    def validate_confirm(self, field) -> None:
        """Sending everyone a second email needs a tick."""
        if self.scope.data == "all" and not field.data:
            raise ValidationError("Tick the box to email everyone again.")
