"""Downloads: the organizer's attendance and networking CSVs, an attendee's own cards and contacts.

GET only: a download changes nothing. Who may have it is settled before the response starts
(another organizer's event and anyone not signed in as this event's attendee get 404); the
CSV then streams. Personal data, so nothing is cached.
"""

from flask import Blueprint, Response
from flask_login import current_user

from .. import events, exports
from ..accounts import attendee_of_event, organizer_required

bp = Blueprint("exports", __name__)


@bp.get("/events/<slug>/attendance.csv")
@organizer_required
def attendance(slug: str):
    """Every guest, when and at which door they checked in."""
    event = events.event_of(current_user, slug)
    return _csv(exports.attendance_csv(event), exports.filename(event, "attendance"))


@bp.get("/events/<slug>/networking.csv")
@organizer_required
def networking(slug: str):
    """Cards recorded per guest and overall, without anyone's notes."""
    event = events.event_of(current_user, slug)
    return _csv(exports.networking_csv(event), exports.filename(event, "networking"))


@bp.get("/e/<slug>/my-cards.csv")
def my_cards(slug: str):
    """My cards with my notes."""
    me = attendee_of_event(slug)
    return _csv(exports.my_cards_csv(me), exports.filename(me.event, "my-cards"))


@bp.get("/e/<slug>/my-contacts.vcf")
def my_contacts(slug: str):
    """Contact cards of the people I met who share their details with me."""
    me = attendee_of_event(slug)
    name = exports.filename(me.event, "my-contacts", "vcf")
    return _download(exports.my_contacts_vcf(me), "text/vcard", name)


def _csv(chunks, name: str) -> Response:
    return _download(chunks, "text/csv", name)  # streamed: read as it is sent


def _download(body, mimetype: str, name: str) -> Response:
    """An attachment that no browser or proxy keeps."""
    response = Response(body, mimetype=mimetype)  # charset=utf-8 is added for text/*
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "no-store"
    return response
