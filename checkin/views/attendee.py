"""The attendee's own pages in the event app, reached through their personal link."""

from flask import Blueprint, render_template

from ..accounts import attendee_of_event

bp = Blueprint("attendee", __name__, url_prefix="/e/<slug>")


@bp.get("/")
def home(slug: str):
    """The attendee's event home."""
    me = attendee_of_event(slug)
    return render_template("attendee/home.html", me=me, event=me.event)
