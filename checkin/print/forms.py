"""The badge sheet form: who gets a badge and on which paper."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SearchField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from . import badges

WHO = [
    SelectChoice("everyone", "Everyone"),
    SelectChoice("walk_ins", "Not printed yet"),
    SelectChoice("attendee", "One guest"),
]
# What each layout is for, in the organizer's words (the engine's label says what it is).
USES = {
    "letter-6": "For Avery 5392, 5390 or 74459 inserts in plastic badge holders (US Letter).",
    "a6-4": "For A6 badge holders: print on A4 and cut along the faint lines.",
    "label": "For a label printer at the door (Dymo, Brother, Zebra): one badge per label.",
}


class BadgeSheetForm(FlaskForm):
    """Make a badge sheet: a selection, a layout, and for one guest, which one."""

    selection = RadioField(
        "Who gets a badge",
        choices=WHO,
        default="everyone",
        validators=[InputRequired("Choose who gets a badge.")],
    )
    layout = RadioField(
        "Paper", default=badges.DEFAULT_LAYOUT, validators=[InputRequired("Choose the paper.")]
    )
    attendee_id = IntegerField("Guest")  # not Optional(): that would skip the check below
    q = SearchField("Find the guest", validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.layout.choices = [
            SelectChoice(name, info.label) for name, info in badges.LAYOUTS.items()
        ]

    def validate_attendee_id(self, field) -> None:
        """One guest needs a guest picked from the search results."""
        if self.selection.data == "attendee" and not field.data:
            raise ValidationError("Find the guest by name, then pick them from the list.")
