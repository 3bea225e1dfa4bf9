"""The team page's forms: the association's settings, an invitation, a role, and joining."""

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from .teams import ROLE_NAMES

ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_NAMES.items()]


class SettingsForm(FlaskForm):
    """The association's name and description (its owners change them)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    forget_members_after_days = IntegerField(
        "Forget remembered guests after (days)",
        validators=[Optional(), NumberRange(30, 3650, "Between 30 and 3650 days.")],
        description="Guests who chose \u201cRemember me\u201d are forgotten when not seen at "
        "an event for this long.",
    )


class InviteForm(FlaskForm):
    """An address to invite to the team, with the role they will have."""

    email = EmailField(
        "Email address",
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default="organizer")


class RoleForm(FlaskForm):
    """Another role for one member."""

    role = SelectField("Role", choices=ROLE_CHOICES)


class JoinForm(FlaskForm):
    """Sign up with the invited address: a name and a password."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired(), Length(min=10, message="Use at least 10 characters.")],
    )
