"""The ticket-mail and invitation forms (each carries its CSRF token)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, TextAreaField
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


class InvitationListForm(FlaskForm):
    """A list of addresses to invite, pasted or uploaded, to preview before anything is sent."""

    emails = TextAreaField(
        "Email addresses",
        validators=[Length(max=450_000, message="Too long: paste at most 450,000 characters.")],
        description="One per line, or separated by commas. Addresses only, no names.",
    )
    upload = FileField(
        "Or upload a list (.txt or .csv)",
        description="A file of addresses, up to 1 MB.",
    )

    def validate_emails(self, field) -> None:
        """Something to invite: pasted addresses or a file."""
        if not (field.data or "").strip() and not self.upload.data:
            raise ValidationError("Paste some email addresses or choose a file.")


class SendInvitationsForm(FlaskForm):
    """The preview's confirm: the addresses again, and a nonce so a double submit sends once."""

    emails = HiddenField(validators=[DataRequired(), Length(max=450_000)])
    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])


class RetryInvitationForm(FlaskForm):
    """Send one failed or uncertain invitation again: the button and its CSRF token."""
