"""The sign-in and personal-link forms (each carries its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length


class SignInForm(FlaskForm):
    """Organizer sign-in."""

    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired()])


class LinkAgainForm(FlaskForm):
    """An address to send the ticket email and personal link to again."""

    email = EmailField(
        "Your email address",
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description="The address the organizer has for you.",
    )
