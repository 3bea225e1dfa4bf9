"""Your data: everything an event holds about one guest, as their page shows it and as JSON.

That includes their registration, if they registered on the public page (when, the answers and
consents as the form took them, where it stands), and the invitations to register sent to their
address for this event (the invitation table is keyed by address and event, not by guest).

What it holds about others is only what the guest already sees in the app: the public fields of
the people on their cards (checkin/room/cards.public_fields), the name and class year of people
who recorded them (the home page's "Connect back" list shows those too), never another's note,
tags, consents or contact details unless the guest may see them (mutual and both sharing).
"""

from datetime import datetime

from sqlalchemy import func, select

from ..accounts import users
from ..extensions import db
from ..members import memory
from ..models import (
    Card,
    Guest,
    Invitation,
    MeetRequest,
    Outbox,
    PersonalLink,
    Registration,
    Ticket,
)
from ..room import cards
from . import consents

DELETED = "Someone who deleted their data"
PROFILE = (
    *("name", "email", "class_year", "major", "residence_hall", "clubs", "industry"),
    *("employer", "role", "city", "interests", "can_help_with", "wants_help_with"),
    *("linkedin_url", "networking_email", "willing_to_mentor", "external_ref"),
)
FORMAT = 1  # the JSON's version, should its shape ever change
WORDS = {  # what the page calls things
    "labels": {
        "name": "Name",
        "email": "Email",
        "class_year": "Class year",
        "major": "Major",
        "residence_hall": "Residence hall(s)",
        "clubs": "Clubs, teams and groups",
        "industry": "Industry",
        "employer": "Employer",
        "role": "Role",
        "city": "City",
        "interests": "Interests",
        "can_help_with": "I can help with",
        "wants_help_with": "I\u2019d like help with",
        "linkedin_url": "LinkedIn profile",
        "networking_email": "Email for new contacts",
        "willing_to_mentor": "Willing to mentor",
        "external_ref": "Registration number",
    },
    "consent_labels": consents.LABELS,
    "sources": consents.SOURCES,
    "mail_kinds": {
        "ticket": "Your ticket",
        "digest": "The next-morning email",
        "introduction": "An introduction",
        "reminder": "The day-before reminder",
    },
    "registration_statuses": {
        "unconfirmed": "not confirmed yet",
        "approval": "waiting for the organizer's approval",
        "waitlisted": "on the waitlist",
        "offered": "offered a place",
        "guest": "confirmed, with a place",
        "declined": "not given a place by the organizer",
        "lapsed": "an offered place was not accepted in time",
        "cancelled": "cancelled (you gave your place back)",
    },
    "list_sources": {
        "registration": "registered on the event's page",
        "import": "from the registration",
        "manual": "added by the organizer",
        "walk_in": "registered at the door",
    },
}


def gather(me: Guest) -> dict:
    """Everything about me, newest facts as they stand; times are aware datetimes."""
    return {
        "format": FORMAT,
        "event": {"name": me.event.name, "slug": me.event.slug, "starts_at": me.event.starts_at},
        "profile": {name: getattr(me, name) for name in PROFILE},
        "registration_extra": dict(me.extra or {}),
        "on_the_list": {
            "source": me.source,
            "added_at": me.created_at,
            "checked_in_at": me.checked_in_at,
            "badge_printed_at": me.badge_printed_at,
            "unsubscribed_at": me.unsubscribed_at,
            "cancelled_at": me.cancelled_at,
        },
        "registration": _registration(me),
        "invitations": _invitations(me),
        "remembered": _remembered(me),
        "consents": {name: getattr(me, column) for name, column in consents.COLUMNS.items()},
        "consent_history": [_change(row) for row in consents.history(me)],
        "cards_written": _cards_written(me),
        "recorded_by": _recorded_by(me),
        "meet_requests": _meet_requests(me),
        "emails": _emails(me),
        "tickets": _issued(Ticket, me, "issued_at"),
        "personal_links": _issued(PersonalLink, me, "created_at"),
        "organizer_sign_ins": _organizer_sign_ins(me),
    }


def as_json(data):
    """The gathered data with times as ISO 8601 strings (UTC), ready for json.dumps."""
    if isinstance(data, dict):
        return {key: as_json(value) for key, value in data.items()}
    if isinstance(data, list):
        return [as_json(value) for value in data]
    if isinstance(data, datetime):
        return data.isoformat()
    return data


def _change(row) -> dict:
    return {
        "consent": row.consent,
        "value": row.value,
        "source": row.source,
        "changed_at": row.changed_at,
    }


def _cards_written(me: Guest) -> list[dict]:
    """My cards with my notes, and of each person only what the app shows me."""
    mutual = cards.mutual_ids(me)
    found = []
    for card in reversed(cards.mine(me)):
        person = card.subject
        is_mutual = card.subject_id in mutual if person else False
        found.append(
            {
                "person": cards.public_fields(person) if person else {"name": DELETED},
                "note": card.note,
                "tags": [cards.QUICK_TAGS.get(tag, tag) for tag in card.tags or ()],
                "starred": card.starred,
                "via": card.via,
                "mutual": is_mutual,
                "contact": cards.contact(me, person, is_mutual) if person else None,
                "created_at": card.created_at,
                "updated_at": card.updated_at,
            }
        )
    return found


def _recorded_by(me: Guest) -> list[dict]:
    """Who recorded meeting me, and when: name and class year only, never their card."""
    rows = db.session.execute(
        select(Guest.name, Guest.class_year, Card.created_at)
        .join(Card, Card.author_id == Guest.id)
        .where(Card.subject_id == me.id, Card.event_id == me.event_id)
        .order_by(Card.created_at, Card.id)
    )
    return [{"name": name, "class_year": year, "recorded_at": at} for name, year, at in rows]


def _organizer_sign_ins(me: Guest) -> list[dict]:
    """When an organizer signed in with my personal link, and who (as their address was then)."""
    return [
        {"organizer": row.organizer_email, "signed_in_at": row.signed_in_at}
        for row in users.organizer_sign_ins(me)
    ]


def _meet_requests(me: Guest) -> list[dict]:
    """The people I said "I'd like to meet" to (theirs to me stay unseen unless mutual)."""
    rows = db.session.execute(
        select(Guest.name, MeetRequest.created_at)
        .join(MeetRequest, MeetRequest.wanted_id == Guest.id)
        .where(MeetRequest.requester_id == me.id)
        .order_by(MeetRequest.created_at, MeetRequest.id)
    )
    return [{"name": name, "asked_at": at} for name, at in rows]


def _emails(me: Guest) -> list[dict]:
    """What was emailed to me and when: kind, address, status; an introduction names no one."""
    rows = db.session.scalars(
        select(Outbox)
        .where(Outbox.attendee_id == me.id, Outbox.event_id == me.event_id)
        .order_by(Outbox.queued_at, Outbox.id)
    )
    return [
        {
            "kind": "introduction" if row.kind.startswith("match:") else row.kind,
            "to": row.recipient,
            "status": row.status,
            "queued_at": row.queued_at,
            "sent_at": row.sent_at,
        }
        for row in rows
    ]


def _registration(me: Guest) -> dict | None:
    """My registration on the public page, if I registered: when, my answers and consents as
    the form took them, and where it stands."""
    row = db.session.scalar(
        select(Registration)
        .where(Registration.event_id == me.event_id, _same_person(Registration, me))
        .order_by(Registration.id)
        .limit(1)
    )
    if row is None:
        return None
    return {
        "name": row.name,
        "email": row.email,
        "answers": dict(row.answers or {}),
        "consents": dict(row.consents or {}),
        "status": row.status,
        "registered_at": row.created_at,
        "confirmed_at": row.confirmed_at,
        "offered_at": row.offered_at,
        "offer_expires_at": row.offer_expires_at,
        "decided_at": row.decided_at,
    }


def _remembered(me: Guest) -> dict | None:
    """What the association remembers of me across its events, if I asked it to."""
    member = memory.remembered(me)
    if member is None:
        return None
    return {
        "association": member.association.name,
        "name": member.name,
        "email": member.email,
        "profile": dict(member.profile or {}),
        "remembered_at": member.remembered_at,
        "last_seen_at": member.last_seen_at,
    }


def _invitations(me: Guest) -> list[dict]:
    """The invitations to register for this event sent to my address: when and how it went."""
    addresses = {a.strip().lower() for a in (me.email, _registered_email(me)) if a and a.strip()}
    if not addresses:
        return []
    rows = db.session.scalars(
        select(Invitation)
        .where(Invitation.event_id == me.event_id, Invitation.email.in_(addresses))
        .order_by(Invitation.queued_at, Invitation.id)
    )
    return [
        {"to": r.email, "status": r.status, "queued_at": r.queued_at, "sent_at": r.sent_at}
        for r in rows
    ]


def _same_person(model, me: Guest):
    """A registration linked to me, or made with my address."""
    mine = model.attendee_id == me.id
    if me.email:
        mine = mine | (func.lower(model.email) == me.email.strip().lower())
    return mine


def _registered_email(me: Guest) -> str | None:
    return db.session.scalar(
        select(Registration.email).where(
            Registration.event_id == me.event_id, Registration.attendee_id == me.id
        )
    )


def _issued(model, me: Guest, made: str) -> list[dict]:
    """When my tickets or personal links were made and revoked (never the codes themselves)."""
    rows = db.session.scalars(
        select(model).where(model.attendee_id == me.id).order_by(getattr(model, made), model.id)
    )
    return [{"issued_at": getattr(row, made), "revoked_at": row.revoked_at} for row in rows]
