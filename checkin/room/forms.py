"""Forms of the guest's pages: their profile and consents, and "who you met" cards."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, NumberRange, Optional, ValidationError

from ..forms import NonceForm
from . import cards, profiles, suggestions

SEVERAL = "Separate several with semicolons."
TAGS = "Separate them with semicolons; suggestions appear as you type."


def _text(label: str, limit: int = 200, description: str = "") -> StringField:
    return StringField(label, validators=[Optional(), Length(max=limit)], description=description)


class ProfileForm(FlaskForm):
    """What I tell the room about myself, and the three choices about my data."""

    class_year = IntegerField("Class year", validators=[Optional(), NumberRange(1900, 2100)])
    major = _text("Major")
    residence_hall = _text("Residence hall(s)", description=SEVERAL)
    clubs = _text("Clubs, teams and groups", 2000, SEVERAL)
    industry = _text("Industry")
    employer = _text("Employer")
    role = _text("Role")
    city = _text("City")
    interests = _text("Interests", 2000, TAGS)
    can_help_with = _text("I can help with", 2000, TAGS)
    wants_help_with = _text("I\u2019d like help with", 2000, TAGS)
    linkedin_url = URLField(
        "LinkedIn profile",
        validators=[Optional(), Length(max=300)],
        description=profiles.LINKEDIN_HINT,
    )
    networking_email = EmailField(
        "Email for new contacts",
        validators=[
            Optional(),
            Email("That doesn't look like an email address.", check_deliverability=False),
            Length(max=254),
        ],
        description="Optional. Shared only as explained below; if empty, your registration "
        "email is shared instead.",
    )
    consent_findable = BooleanField(
        "Let other checked-in guests find me",
        description="Once you are checked in, your name, class year, work, city and groups show "
        "in the room list and in others\u2019 \u201cwho to meet\u201d suggestions. "
        "Your email never does.",
    )
    consent_share_contact = BooleanField(
        "Share my contact details with people I connect with",
        description="When you and someone both record meeting each other, and they chose this "
        "too, you each see the other\u2019s email and LinkedIn. No one else does.",
    )
    consent_digest = BooleanField(
        "Send me the next-morning email",
        description="One email the morning after: the people you met, your notes and "
        "follow-ups, and a few people you missed.",
    )

    consent_remember = BooleanField(
        "Remember me at this association\u2019s events",
        description="Your profile is kept for the organizers\u2019 next events, offered to you to "
        "confirm, and people you both recorded meeting show as \u201cmet before\u201d. Your "
        "choices above are asked again at each event. Untick to be forgotten.",
    )

    def validate_linkedin_url(self, field) -> None:
        """Only a LinkedIn address; stored in its https://www.linkedin.com/… form."""
        if not field.data:
            return
        address = profiles.linkedin(field.data)
        if not address:
            raise ValidationError("Use your LinkedIn address, starting https://www.linkedin.com/")
        field.data = address

    def values(self) -> dict:
        """The submitted fields, as profiles.update takes them."""
        return {name: self[name].data for name in profiles.FIELDS}


class CardEditForm(FlaskForm):
    """What I write on a card: a private note, quick tags and a follow-up star."""

    note = TextAreaField(
        "Note",
        validators=[Optional(), Length(max=cards.NOTE_LIMIT)],
        description="Only you will ever see this note.",
    )
    tags = SelectMultipleField(
        "Quick tags",
        choices=[SelectChoice(value, label) for value, label in cards.QUICK_TAGS.items()],
    )
    starred = BooleanField("Follow up")

    def values(self) -> dict:
        """The card's fields, as cards.record and cards.update take them."""
        return {
            "note": self.note.data or "",
            "tags": self.tags.data or [],
            "starred": bool(self.starred.data),
        }


class CardForm(CardEditForm, NonceForm):
    """A new card, made idempotent by a nonce so a double tap records one card."""


def card_form_context(me, subject, form, via: str, code: str = "") -> dict:
    """What the card form shows: who, what we share, the quick tags; also used by /t/<code>."""
    return {
        "me": me,
        "event": me.event,
        "subject": subject,
        "form": form,
        "via": via,
        "code": code or request.args.get("code", ""),
        "shared": suggestions.shared(me, subject),
        "person": cards.public_fields(subject),
        "quick_tags": cards.QUICK_TAGS,
    }
