"""The organizer's registration settings: capacity, deadline, approval, offers, the public
description and which profile questions the form asks; and the open/pause/close buttons."""

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..events.events import missing_local_time
from ..events.forms import LOCAL_FORMATS
from .places import PROFILE

ASKED = [
    SelectChoice(v, label)
    for v, label in (("", "Not asked"), ("optional", "Optional"), ("required", "Required"))
]
LABELS = {
    "class_year": "Class year",
    "major": "Major",
    "residence_hall": "Residence hall",
    "clubs": "Clubs",
    "industry": "Industry",
    "interests": "Interests",
    "employer": "Employer",
    "role": "Role",
    "city": "City",
    "can_help_with": "Can help with",
    "wants_help_with": "Wants help with",
    "linkedin_url": "LinkedIn profile",
    "willing_to_mentor": "Willing to mentor",
}
SWITCHES = {"open": "Open registration", "paused": "Pause", "closed": "Close"}


class SettingsForm(FlaskForm):
    """How registration works at one event; the deadline is local to the event's zone."""

    capacity = IntegerField(
        "Places (capacity)",
        validators=[Optional(), NumberRange(1, 100_000, "From 1 to 100,000, or blank for none.")],
        description="Blank: no limit. Guests who have not cancelled and open offers count.",
    )
    registration_deadline = DateTimeLocalField(
        "Registration closes at",
        format=LOCAL_FORMATS,
        validators=[Optional()],
        description="Local time at the venue. Blank: open until the event ends.",
    )
    approval_required = BooleanField("I approve each registration by hand")
    offer_hours = IntegerField(
        "Hours to accept a freed place",
        validators=[
            InputRequired("Say how many hours, from 1 to 720."),
            NumberRange(1, 720, "From 1 to 720 hours (30 days)."),
        ],
        description="A place offered from the waitlist is held this long (never past the start).",
    )
    description = TextAreaField(
        "Description on the public page",
        validators=[Optional(), Length(max=5000, message="At most 5,000 characters.")],
    )

    def __init__(self, *args, timezone: str = "UTC", ends: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone, self.ends = timezone, ends  # ends: the event's end on the venue's clock

    def validate_registration_deadline(self, field) -> None:
        """A deadline that exists on the venue's clock, before the event ends."""
        if field.data and missing_local_time(field.data, self.timezone):
            raise ValidationError(
                f"That time does not exist in {self.timezone}: the clocks skip it."
            )
        if field.data and self.ends and field.data >= self.ends:
            raise ValidationError("Registration must close before the event ends.")

    def questions(self) -> dict:
        """The profile questions chosen: {"class_year": "required", ...}, unasked ones left out."""
        return {name: self[f"ask_{name}"].data for name in PROFILE if self[f"ask_{name}"].data}

    def question_fields(self) -> list:
        """The per-question selects, in the profile's order."""
        return [self[f"ask_{name}"] for name in PROFILE]


for _name in PROFILE:
    setattr(SettingsForm, f"ask_{_name}", SelectField(LABELS[_name], choices=ASKED, default=""))


class SwitchForm(FlaskForm):
    """Open, pause or close registration: the button pressed says which."""

    to = SelectField(
        choices=[SelectChoice(v, label) for v, label in SWITCHES.items()],
        validators=[InputRequired()],
    )


class DecisionForm(FlaskForm):
    """Approve or decline one registration (the button pressed says which)."""

    decision = SelectField(
        choices=[SelectChoice("approve", "Approve"), SelectChoice("decline", "Decline")],
        validators=[InputRequired()],
    )
