"""The forms several packages share (each carries its CSRF token): a button made idempotent
by a nonce, and a button that needs nothing else."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Regexp

NONCE = r"^[A-Za-z0-9_-]{8,64}$"  # a UUID the page or the phone made, as the APIs take it


class NonceForm(FlaskForm):
    """A one-tap button (check in from the list, undo, connect back, email a ticket) that acts
    once however often it is pressed, by its nonce."""

    nonce = HiddenField(validators=[Regexp(NONCE, message="Reload the page and try again.")])


class ButtonForm(FlaskForm):
    """A button that changes something and needs only its CSRF token (send a test, try a sheet
    again, continue with a personal link, delete a card, sign out)."""
