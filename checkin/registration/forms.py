"""The registration form, shaped by the event: name and email always, the profile questions the
organizer chose (required or optional), the three consents unticked, and the spam guards."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from ..models import Event, utcnow
from ..room import profiles
from ..room.forms import ProfileForm
from . import spam
from .places import PROFILE

CONSENTS = ("findable", "share_contact", "digest")
LONG = ("clubs", "interests", "can_help_with", "wants_help_with")  # up to 2,000 characters
MENTOR = "Would you mentor a younger alumnus or alumna?"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _description(name: str) -> str:
    return getattr(ProfileForm, name).kwargs.get("description", "")


def _consent(name: str) -> BooleanField:
    """One of the three choices, unticked, in the guest's profile page's own words."""
    return BooleanField(getattr(ProfileForm, name).args[0], description=_description(name))


class RegistrationForm(FlaskForm):
    """Who is coming, how to reach them, and their choices about their data."""

    name = StringField(
        "Your name",
        validators=[
            InputRequired("Please enter your name."),
            Length(max=200, message="Please keep your name under 200 characters."),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "Your email address",
        validators=[
            InputRequired("Please enter your email address."),
            Length(max=254, message="That is too long for an email address."),
            Email("That doesn't look like an email address.", check_deliverability=False),
        ],
        filters=[_strip],
        description="We email you a link to confirm, then your ticket.",
        render_kw={"autocomplete": "email", "autocapitalize": "off", "spellcheck": "false"},
    )
    consent_findable = _consent("consent_findable")
    consent_share_contact = _consent("consent_share_contact")
    consent_digest = _consent("consent_digest")
    website = StringField("Leave this field empty", filters=[_strip])  # the honeypot
    started = HiddenField()

    questions: tuple[str, ...] = ()
    event_id = 0

    def validate_started(self, field) -> None:
        """The form was shown by us, for this event, more than a few seconds ago."""
        seconds = spam.seconds_open(field.data, self.event_id)
        if seconds is None:
            field.data = spam.stamp(self.event_id)  # shown again, fresh
            raise ValidationError("This form was open too long. Please check it and send again.")
        if spam.too_fast(seconds):
            raise ValidationError("That was quick! Please take a moment to check, then send again.")

    def validate_linkedin_url(self, field) -> None:
        """Only a LinkedIn address, stored in its https://www.linkedin.com/… form."""
        if not field.data:
            return
        address = profiles.linkedin(field.data)
        if not address:
            raise ValidationError("Use your LinkedIn address, starting https://www.linkedin.com/")
        field.data = address

    def answers(self) -> dict:
        """The profile answers given (empty ones left out), as the guest's columns take them."""
        given = {}
        for name in self.questions:
            value = self[name].data
            if name == "willing_to_mentor":
                value = {"yes": True, "no": False}.get(value)
            elif name in profiles.FIELDS:  # tags normalized and lists tidied, as on the profile
                value = profiles.clean(name, value)
            if value not in (None, ""):
                given[name] = value
        return given

    def consents(self) -> dict:
        """The three consents, as ticked."""
        return {name: bool(self[f"consent_{name}"].data) for name in CONSENTS}


def form_for(event: Event, **kwargs) -> RegistrationForm:
    """The event's registration form, with the questions its organizer chose."""
    asked = {k: v for k, v in (event.registration_questions or {}).items() if k in PROFILE}
    shaped = type("EventRegistrationForm", (RegistrationForm,), {})
    for name, need in asked.items():
        setattr(shaped, name, _question(name, need == "required"))
    shaped.questions = tuple(asked)
    shaped.event_id = event.id
    form = shaped(**kwargs)
    if not form.is_submitted():  # shown now: stamped now (a POST keeps the stamp it carried)
        form.started.data = spam.stamp(event.id)
    return form


def _question(name: str, required: bool):
    """One profile question as a form field, labelled as on the guest's profile page."""
    need = InputRequired("Please answer this question.") if required else Optional()
    if name == "willing_to_mentor":
        return RadioField(
            MENTOR,
            choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
            validators=[need],
        )
    label = getattr(ProfileForm, name).args[0]
    description = _description(name)
    if name == "class_year":
        last = utcnow().year + 10
        plausible = NumberRange(1900, last, f"A class year between 1900 and {last}, please.")
        return IntegerField(label, validators=[need, plausible], description=description)
    limit = 2000 if name in LONG else 200
    too_long = Length(max=limit, message=f"Please keep this under {limit:,} characters.")
    kind = URLField if name == "linkedin_url" else StringField
    return kind(label, validators=[need, too_long], filters=[_strip], description=description)
