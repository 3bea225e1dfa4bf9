"""The door's forms: a scanned code and a walk-in (each carries its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional


class ScanForm(FlaskForm):
    """A scanned or typed ticket code, as a keyboard-wedge scanner types it."""

    code = StringField("Ticket code", validators=[DataRequired(), Length(max=4096)])
    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])


class WalkInForm(FlaskForm):
    """Someone who is not on the list, registered and checked in at the door."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        "Email", validators=[Optional(), Email(check_deliverability=False), Length(max=254)]
    )
    class_year = IntegerField("Class year", validators=[Optional(), NumberRange(1900, 2100)])
    nonce = HiddenField(validators=[DataRequired(), Length(min=8, max=64)])
