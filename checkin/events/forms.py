"""The organizer's forms: events, guests, door passes, confirmations (with CSRF tokens), and
the guest list's search, filter and page as its links send them."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from .events import missing_local_time, valid_timezone
from .guests import PROFILE

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class EventForm(FlaskForm):
    """An event's details; times are local to the event's time zone."""

    name = StringField("Event name", validators=[DataRequired(), Length(max=200)])
    venue = StringField("Venue", validators=[Optional(), Length(max=300)])
    starts_at = DateTimeLocalField(
        "Starts",
        format=LOCAL_FORMATS,
        validators=[InputRequired()],
        description="Local time at the venue.",
    )
    ends_at = DateTimeLocalField("Ends", format=LOCAL_FORMATS, validators=[InputRequired()])
    timezone = StringField(
        "Time zone",
        validators=[DataRequired(), Length(max=64)],
        description="An IANA name, such as America/New_York or Europe/London.",
    )

    def validate_timezone(self, field) -> None:
        """Only real IANA time zones."""
        field.data = (field.data or "").strip()
        if not valid_timezone(field.data):
            raise ValidationError("Use an IANA time zone name, such as America/New_York.")

    def validate_ends_at(self, field) -> None:
        """An event ends after it starts."""
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError("The end must be after the start.")

    def validate(self, extra_validators=None) -> bool:
        """Also refuse wall-clock times the time zone skips when its clocks go forward."""
        valid = super().validate(extra_validators)
        zone = self.timezone.data if not self.timezone.errors else None
        for moment in (self.starts_at, self.ends_at):
            if zone and moment.data and not moment.errors and missing_local_time(moment.data, zone):
                moment.errors.append(f"That time does not exist in {zone}: the clocks skip it.")
                valid = False
        return valid


class NewEventForm(EventForm):
    """A new event's details, and the association it belongs to (where they run events)."""

    association = SelectField("Association", coerce=int)

    def offer(self, associations) -> "NewEventForm":
        """Offer these associations; the first is the default."""
        self.association.choices = [SelectChoice(a.id, a.name) for a in associations]
        if self.association.data is None and associations:
            self.association.data = associations[0].id
        return self


class DoorPassForm(FlaskForm):
    """A new door pass for one volunteer."""

    name = StringField("Volunteer or door name", validators=[DataRequired(), Length(max=100)])
    hours = IntegerField("Valid for (hours)", default=24, validators=[NumberRange(1, 24 * 14)])


YES_NO = [SelectChoice("", "Not asked"), SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


def _yes_no(value) -> bool | None:
    """A Yes/No/Not asked choice as True, False or None."""
    if value in (True, False, None):
        return value
    return {"yes": True, "no": False}.get(value)


class GuestForm(FlaskForm):
    """One guest's details, as an organizer types them."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        "Email", validators=[Optional(), Email(check_deliverability=False), Length(max=254)]
    )
    class_year = IntegerField("Class year", validators=[Optional(), NumberRange(1900, 2100)])
    major = StringField("Major", validators=[Optional(), Length(max=200)])
    residence_hall = StringField("Residence hall", validators=[Optional(), Length(max=200)])
    clubs = StringField(
        "Clubs",
        validators=[Optional(), Length(max=2000)],
        description="Separate them with semicolons: Rowing; Debate Society",
    )
    industry = StringField("Industry", validators=[Optional(), Length(max=200)])
    interests = StringField(
        "Interests",
        validators=[Optional(), Length(max=2000)],
        description="Separate them with semicolons: fintech; running",
    )
    willing_to_mentor = SelectField(
        "Willing to mentor", choices=YES_NO, coerce=_yes_no, validate_choice=False
    )
    consent_profile = SelectField(
        "Other guests may see the profile", choices=YES_NO, coerce=_yes_no, validate_choice=False
    )

    def validate_willing_to_mentor(self, field) -> None:
        """Only Yes, No or Not asked."""
        if field.raw_data and field.raw_data[0] not in ("", "yes", "no"):
            raise ValidationError("Choose Yes, No or Not asked.")

    validate_consent_profile = validate_willing_to_mentor

    def profile(self) -> dict:
        """The submitted fields as the guests module takes them."""
        return {name: self[name].data for name in PROFILE}


class ReissueForm(FlaskForm):
    """Confirm that a guest's old ticket should stop working."""

    confirm = BooleanField(
        "Yes, the old QR code should stop working",
        validators=[DataRequired("Tick the box to confirm.")],
    )


class OrganizerCancelForm(FlaskForm):
    """The organizer confirms a guest gives their place back (they phoned to say so)."""

    confirm = BooleanField(
        "Yes, they can't come: give their place to someone else",
        validators=[DataRequired("Tick the box to confirm.")],
    )


class RelinkForm(FlaskForm):
    """Confirm that a guest's old personal link should stop working."""

    confirm = BooleanField(
        "Yes, the old personal link should stop working",
        validators=[DataRequired("Tick the box to confirm.")],
    )


SEARCH_LIMIT = 200  # characters of a typed name kept


def guest_list_query(args) -> dict:
    """?q=&status=&page= of a guest list's search, filter and pager, as guest_page takes them
    (a page that is not a number is the first; guest_page corrects the rest)."""
    return {
        "query": args.get("q", "")[:SEARCH_LIMIT],
        "status": args.get("status", "all"),
        "page": args.get("page", 1, type=int),
    }


class RetentionForm(FlaskForm):
    """How many days after the event its guests' personal data is kept."""

    days = IntegerField(
        "Keep the guests' data for (days after the event ends)",
        validators=[
            InputRequired("Say how many days, from 1 to 3650."),
            NumberRange(1, 3650, "Choose a number of days from 1 to 3650 (ten years)."),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        """One clear sentence for text that is not a number (not two)."""
        valid = super().validate(extra_validators)
        if self.days.process_errors:
            typed = (self.days.raw_data or [""])[0].strip()
            self.days.errors = [
                "Write the number of days as digits, from 1 to 3650."
                if typed
                else "Say how many days, from 1 to 3650."
            ]
        return valid


class PurgeForm(FlaskForm):
    """Confirm deleting an event's personal data now, by typing the event's name."""

    name = StringField("Type the event's name to confirm", validators=[DataRequired()])

    def __init__(self, *args, event_name: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.event_name = event_name

    def validate_name(self, field) -> None:
        """The name as the event has it (spaces at either end and case aside)."""
        if (field.data or "").strip().casefold() != self.event_name.strip().casefold():
            raise ValidationError(f"Type “{self.event_name}” exactly, to be sure.")
