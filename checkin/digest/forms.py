"""Forms of the organizer's digest pages (each carries its CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, HiddenField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class DigestTimeForm(FlaskForm):
    """When the digest goes out: a date and a time, local to the event's zone."""

    day = DateField("Date", validators=[InputRequired("Choose a date.")])
    time = TimeField("Time", validators=[InputRequired("Choose a time.")])


class MailDetailsForm(FlaskForm):
    """The digest's footer address line and the address replies go to."""

    postal_address = StringField(
        "Postal address",
        validators=[Optional(), Length(max=300)],
        description="One line at the foot of every digest, as the law asks of bulk mail: "
        "Alumni Association, 1 College Green, Springfield.",
    )
    reply_to = EmailField(
        "Reply-To address",
        validators=[Optional(), Length(max=254)],
        description="Where guests' replies go. Empty: the app's usual address.",
    )


class SendNowForm(FlaskForm):
    """Send every guest's digest now, confirmed by a tick."""

    confirm = BooleanField(
        "Yes, send the digests now",
        validators=[DataRequired("Tick the box to send the digests now.")],
    )


class RetryForm(FlaskForm):
    """Send one guest's digest again; force for one that may have gone already."""

    force = HiddenField(validators=[Optional()])

    @property
    def forced(self) -> bool:
        """True when the button said "Send anyway"."""
        return self.force.data == "1"
