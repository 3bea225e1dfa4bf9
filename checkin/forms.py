"""Flask-WTF forms (each carries its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from .events import valid_timezone


class SignInForm(FlaskForm):
    """Organizer sign-in."""

    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired()])


class ScanForm(FlaskForm):
    """A scanned or typed ticket code, as a keyboard-wedge scanner types it."""

    code = StringField("Ticket code", validators=[DataRequired(), Length(max=4096)])
    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])


class NonceForm(FlaskForm):
    """A button press at the door (check in from the list, undo), made idempotent by a nonce."""

    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])


class WalkInForm(FlaskForm):
    """Someone who is not on the list, registered and checked in at the door."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        "Email", validators=[Optional(), Email(check_deliverability=False), Length(max=254)]
    )
    class_year = IntegerField("Class year", validators=[Optional(), NumberRange(1900, 2100)])
    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])


class EventForm(FlaskForm):
    """An event's details; times are local to the event's time zone."""

    name = StringField("Event name", validators=[DataRequired(), Length(max=200)])
    venue = StringField("Venue", validators=[Optional(), Length(max=300)])
    starts_at = DateTimeLocalField("Starts", validators=[DataRequired()])
    ends_at = DateTimeLocalField("Ends", validators=[DataRequired()])
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=64)],
                           description="An IANA name, such as America/New_York or Europe/London.")

    def validate_timezone(self, field) -> None:
        """Only real IANA time zones."""
        if not valid_timezone(field.data.strip()):
            raise ValidationError("Use an IANA time zone name, such as America/New_York.")
        field.data = field.data.strip()

    def validate_ends_at(self, field) -> None:
        """An event ends after it starts."""
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError("The end must be after the start.")


class DoorPassForm(FlaskForm):
    """A new door pass for one volunteer."""

    name = StringField("Volunteer or door name", validators=[DataRequired(), Length(max=100)])
    hours = IntegerField("Valid for (hours)", default=24, validators=[NumberRange(1, 24 * 14)])
