"""The data: organizers, events, guests, tickets, door passes and every check-in attempt."""

import unicodedata
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import false, true
from sqlalchemy.types import DateTime, TypeDecorator

from .extensions import db


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store naive UTC, hand back aware UTC datetimes on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class Organizer(UserMixin, db.Model):
    """A person who runs events: signs in with email and password."""

    __tablename__ = "organizers"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's id: raising it ends all of the organizer's sessions (a team removal).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    kind = "organizer"

    def get_id(self) -> str:
        """The session's user id: typed, so a guest id never passes for an organizer's."""
        return f"organizer:{self.id}:{self.session_generation or 0}"


class Association(db.Model):
    """A chapter or an alumni office: its events belong to it, its team runs them."""

    __tablename__ = "associations"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    settings: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Member(db.Model):
    """Someone an association remembers across its events, only while they consent (members/).

    Created when a guest, signed in with their personal link, ticks "Remember me at this
    association's events"; their profile fields are kept here (profile). Deleted when they untick
    it, delete their data, or have not been seen for the association's forget_members_after_days.
    """

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("association_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))  # lowercased, trimmed
    name: Mapped[str] = mapped_column(String(200), server_default="")
    profile: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    remembered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # consent given

    association: Mapped[Association] = relationship()


class Membership(db.Model):
    """An organizer on an association's team, with a role: owner, organizer or viewer."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("association_id", "organizer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), index=True
    )
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    association: Mapped[Association] = relationship()
    organizer: Mapped[Organizer] = relationship()


class TeamInvitation(db.Model):
    """An email invitation to an association's team; the link's token is stored hashed."""

    __tablename__ = "team_invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(10))
    salt: Mapped[str] = mapped_column(String(32))  # the token is derived from it and SECRET_KEY
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    association: Mapped[Association] = relationship()
    invited_by: Mapped[Organizer | None] = relationship()


class Event(db.Model):
    """One alumni event of an association; organizer_id is who created it."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    venue: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id"), index=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The next-morning digest: None means the default (9:00 local the morning after it ends).
    digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digest_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # outbox filled
    postal_address: Mapped[str] = mapped_column(String(300), server_default="")  # mail footer
    reply_to: Mapped[str] = mapped_column(String(254), server_default="")  # digest Reply-To
    # Days after the end when the guests' data is deleted (checkin/privacy/purge.py).
    retention_days: Mapped[int] = mapped_column(default=180, server_default="180")
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its guests' data deleted
    # Self-registration (checkin/registration/): "off" (guests come only by import, as before),
    # "open", "paused" (the page shows, the form waits) or "closed".
    registration: Mapped[str] = mapped_column(String(10), server_default="off")
    capacity: Mapped[int | None]  # places for guests; None is no limit
    registration_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_required: Mapped[bool] = mapped_column(server_default=false())  # organizer approves
    # The profile questions the form asks: {"class_year": "required", "industry": "optional"}.
    registration_questions: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    description: Mapped[str] = mapped_column(Text, server_default="")  # the public page's words
    offer_hours: Mapped[int] = mapped_column(server_default="48")  # to accept a waitlist offer
    # The day-before reminder (checkin/mail/reminders.py): on unless the organizer turns it off.
    reminder_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())

    organizer: Mapped[Organizer] = relationship()
    association: Mapped[Association] = relationship()


class Guest(UserMixin, db.Model):
    """Someone on an event's guest list, with the profile the registration carried."""

    __tablename__ = "attendees"
    __table_args__ = (Index("ix_attendees_event_search", "event_id", "search_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    search_key: Mapped[str] = mapped_column(String(500), default="")  # folded name + email
    email: Mapped[str] = mapped_column(String(254), default="")
    class_year: Mapped[int | None]
    major: Mapped[str] = mapped_column(String(200), default="")
    residence_hall: Mapped[str] = mapped_column(String(200), default="")
    clubs: Mapped[str] = mapped_column(Text, default="")  # "; "-separated, as entered
    industry: Mapped[str] = mapped_column(String(200), default="")
    interests: Mapped[str] = mapped_column(Text, default="")  # "; "-separated, as entered
    willing_to_mentor: Mapped[bool | None]
    consent_profile: Mapped[bool | None]  # "may other guests see your profile?", if asked
    employer: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    can_help_with: Mapped[str] = mapped_column(Text, default="")  # "; "-separated tags
    wants_help_with: Mapped[str] = mapped_column(Text, default="")  # "; "-separated tags
    linkedin_url: Mapped[str] = mapped_column(String(300), default="")
    networking_email: Mapped[str] = mapped_column(String(254), default="")
    # The three choices a guest makes on their home page; all off until they (or the
    # registration's consent answer) say yes.
    consent_findable: Mapped[bool] = mapped_column(default=False)
    consent_share_contact: Mapped[bool] = mapped_column(default=False)
    consent_digest: Mapped[bool] = mapped_column(default=False)
    # "Remember me at this association's events" (members/): off until ticked; per guest row.
    consent_remember: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The association's member this guest is, set only once they confirmed it signed in.
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # from this event's mail
    extra: Mapped[dict] = mapped_column(JSON, default=dict)  # unmapped export columns, kept
    source: Mapped[str] = mapped_column(
        String(20), default="import"
    )  # import, manual, walk_in, registration
    external_ref: Mapped[str] = mapped_column(String(100), default="")  # e.g. Eventbrite guest #
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("door_passes.id"))
    badge_printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last badge sheet
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "I can't come after all"

    event: Mapped[Event] = relationship()
    checked_in_by: Mapped["DoorPass | None"] = relationship(foreign_keys=[checked_in_by_id])

    kind = "guest"
    session_link_id = None  # the personal link that opened this session (set at sign-in)

    def get_id(self) -> str:
        """The session's user id, tied to the link used: reissuing the link ends the session."""
        return f"guest:{self.id}:{self.session_link_id}"

    @property
    def first_name(self) -> str:
        """The name to greet someone by."""
        return (self.name or "").split(" ", 1)[0]

    @property
    def short_year(self) -> str:
        """The class year as alumni write it: '09."""
        return f"\u2019{self.class_year % 100:02d}" if self.class_year else ""


def fold(text: str) -> str:
    """Text folded for matching as people type: no accents, no case, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


@event.listens_for(Guest, "before_insert")
@event.listens_for(Guest, "before_update")
def _keep_search_key(_mapper, _connection, guest: Guest) -> None:
    guest.search_key = fold(f"{guest.name} {guest.email}")[:500]


class Registration(db.Model):
    """Someone who signed up on the public page, from the form to a place (checkin/registration/).

    status: unconfirmed (the emailed link not yet confirmed), approval (confirmed, waiting for
    the organizer), waitlisted (confirmed, no place yet; in order of confirmed_at), offered (a
    place is held for them until offer_expires_at), guest (has a place: attendee_id), declined
    (the organizer said no), lapsed (an offer passed its deadline) or cancelled (they withdrew).
    token_hash is the SHA-256 of the one link emailed last (confirm, or accept an offer).
    """

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),  # one registration per address per event
        Index("ix_registrations_event_status", "event_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # lowercased, trimmed
    name: Mapped[str] = mapped_column(String(200))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # profile fields, as the form asked
    consents: Mapped[dict] = mapped_column(JSON, default=dict)  # findable, share_contact, digest
    status: Mapped[str] = mapped_column(String(12), default="unconfirmed")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # left the waiting states
    # The confirmation email: when the server took the latest one, and how many were tried
    # (a sweep sends again what a dead mail server refused: checkin/registration/confirmation.py).
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmation_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    attendee_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendees.id", ondelete="SET NULL"), index=True
    )

    event: Mapped[Event] = relationship()
    guest: Mapped[Guest | None] = relationship()


class Ticket(db.Model):
    """A guest's ticket code, kept only as a hash; reissuing revokes the old one."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    salt: Mapped[str] = mapped_column(String(64))  # with SECRET_KEY, derives the code again
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    guest: Mapped[Guest] = relationship()


class DoorPass(db.Model):
    """A named, expiring, revocable link that lets one volunteer run one event's door."""

    __tablename__ = "door_passes"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    salt: Mapped[str] = mapped_column(String(64))  # with SECRET_KEY, derives the link again
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()

    def is_active(self, now: datetime) -> bool:
        """True while the pass is neither revoked nor expired."""
        return self.revoked_at is None and self.expires_at > now


class CheckInAttempt(db.Model):
    """Every scan, search click, walk-in and undo at the door, as it happened: never rewritten."""

    __tablename__ = "checkin_attempts"
    __table_args__ = (UniqueConstraint("event_id", "nonce"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    door_pass_id: Mapped[int | None] = mapped_column(ForeignKey("door_passes.id"))
    attendee_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendees.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(20), default="scan")  # scan, search, walk_in, undo
    result: Mapped[str] = mapped_column(String(20))
    device: Mapped[str] = mapped_column(String(100), default="")
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[dict] = mapped_column(JSON)  # the exact reply, replayed for the same nonce
    # A phone that could not reach the server decided by itself and sent the scan later:
    # `offline` marks such attempts, `shown` is what that phone showed ("admitted", ...).
    offline: Mapped[bool] = mapped_column(default=False, server_default=false())
    shown: Mapped[str | None] = mapped_column(String(20))

    door_pass: Mapped[DoorPass | None] = relationship()
    guest: Mapped[Guest | None] = relationship()


class PersonalLink(db.Model):
    """A guest's sign-in link to the event app, kept hashed; reissuing revokes the old one."""

    __tablename__ = "personal_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    salt: Mapped[str] = mapped_column(String(64))  # with SECRET_KEY, derives the link again
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    guest: Mapped[Guest] = relationship()


class OrganizerSignIn(db.Model):
    """An organizer who signed in with a guest's personal link: kept for the guest to see."""

    __tablename__ = "organizer_sign_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True
    )
    organizer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizers.id", ondelete="SET NULL")
    )
    organizer_email: Mapped[str] = mapped_column(String(254))  # as it was then
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Gone:
    """Stands in for the person a card is about once they deleted their data: no one."""

    id = event_id = class_year = None
    name = "Someone who deleted their data"
    first_name = short_year = email = networking_email = linkedin_url = ""
    consent_findable = consent_share_contact = False


GONE = Gone()


class Card(db.Model):
    """A "who you met" card: one guest's record of meeting another, with a private note."""

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("author_id", "subject_id"),  # one card per person met
        UniqueConstraint("author_id", "nonce"),  # the same submission twice records once
        Index("ix_cards_event_subject", "event_id", "subject_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    # None once the person met deleted their data: the author keeps their card and note.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    nonce: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")  # only the author ever sees it
    tags: Mapped[list] = mapped_column(JSON, default=list)  # quick tags: coffee, intro, ...
    starred: Mapped[bool] = mapped_column(default=False)  # follow up
    via: Mapped[str] = mapped_column(String(20), default="list")  # scan, link, list, back
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Guest] = relationship(foreign_keys=[author_id])
    subject: Mapped[Guest | None] = relationship(foreign_keys=[subject_id])

    @property
    def met(self) -> "Guest | Gone":
        """The person met, or a stand-in with no name once they deleted their data."""
        return self.subject if self.subject is not None else GONE


class ConsentChange(db.Model):
    """One consent given or withdrawn: which, to what, how and when (checkin/privacy/consents.py).

    consent is findable, share_contact, digest or profile; source is guest, import, unsubscribe,
    resubscribe, organizer or deleted. A deleted guest's own rows go with them; the "deleted" rows
    that say what they withdrew keep no guest (attendee_id None).
    """

    __tablename__ = "consent_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendees.id", ondelete="SET NULL"), index=True
    )
    consent: Mapped[str] = mapped_column(String(20))
    value: Mapped[bool]
    source: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Outbox(db.Model):
    """One email of a kind to one guest of one event (checkin/mail/outbox.py says how it goes).

    kind is "ticket", "digest", or "match:<other guest id>" for a double opt-in
    introduction; batch is the form nonce of the press that queued a ticket ("" for the others,
    so each guest has one digest and one of each introduction). Status: queued (waiting,
    maybe until next_attempt_at), sending (claimed by a worker), sent, failed (with why),
    skipped (with why: no consent, unsubscribed, the address bounced ...) or uncertain (a
    worker stopped mid-send: it may have gone; listed, never resent by itself).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "attendee_id", "kind", "batch"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_event_batch", "event_id", "batch"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40), server_default="digest")
    batch: Mapped[str] = mapped_column(String(64), server_default="")
    recipient: Mapped[str] = mapped_column(String(254), server_default="")
    status: Mapped[str] = mapped_column(String(10), server_default="queued")
    reason: Mapped[str] = mapped_column(Text, server_default="")  # why failed/skipped/retrying
    attempts: Mapped[int] = mapped_column(server_default="0")
    message_id: Mapped[str] = mapped_column(String(200), server_default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    guest: Mapped[Guest] = relationship()


class Suppression(db.Model):
    """An address a mail server refused for good (5xx): no more mail goes to it."""

    __tablename__ = "suppressions"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lowercased
    reason: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetRequest(db.Model):
    """ "I'd like to meet": one guest's wish to meet another, revealed only when mutual."""

    __tablename__ = "meet_requests"
    __table_args__ = (UniqueConstraint("requester_id", "wanted_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    wanted_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BadgeJob(db.Model):
    """A badge sheet asked for by an organizer, rendered by the worker, kept until downloaded."""

    __tablename__ = "badge_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    layout: Mapped[str] = mapped_column(String(30))
    selection: Mapped[str] = mapped_column(String(30))  # everyone, walk_ins, guest
    attendee_ids: Mapped[list] = mapped_column(JSON, default=list)  # fixed when asked for
    # queued, rendering, done, failed; downloaded or expired once the PDF is dropped
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()


class GuestImport(db.Model):
    """An uploaded guest list between its preview and its confirm, kept whole as bytes.

    The browser holds the token; only its SHA-256 is stored. Once imported, the file is dropped
    and the row stays (with how many were imported) until it is a day old, so a second confirm
    says "already imported".
    """

    __tablename__ = "guest_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # None once imported
    imported: Mapped[int | None] = mapped_column()  # how many guests, once imported
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class EventTally(db.Model):
    """What an event keeps once its guests' data is deleted: counts, and no one in them."""

    __tablename__ = "event_tallies"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    guests: Mapped[int] = mapped_column(default=0)  # on the list
    came: Mapped[int] = mapped_column(default=0)  # checked in
    arrivals: Mapped[dict] = mapped_column(JSON, default=dict)  # "18" (local hour) -> arrivals
    cards: Mapped[int] = mapped_column(default=0)
    mutual: Mapped[int] = mapped_column(default=0)  # pairs who both recorded a card
    digests_sent: Mapped[int] = mapped_column(default=0)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invitation(db.Model):
    """An email inviting one address to register for an event (checkin/mail/invitations.py).

    Not an outbox row: the invitee is no guest (Outbox.attendee_id is NOT NULL), so the columns
    that carry a row through claim, send and record are repeated here. The unsubscribe link's
    token is derived from salt and SECRET_KEY (as tickets are); only its SHA-256 is kept.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),  # one invitation per address per event
        Index("ix_invitations_status_next", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # lowercased, trimmed
    batch: Mapped[str] = mapped_column(String(64), server_default="")  # the confirm form's nonce
    salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), server_default="queued")  # as Outbox
    reason: Mapped[str] = mapped_column(Text, server_default="")
    attempts: Mapped[int] = mapped_column(server_default="0")
    message_id: Mapped[str] = mapped_column(String(200), server_default="")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()


class DoNotInvite(db.Model):
    """An address that asked an association for no more invitations (one-click unsubscribe)."""

    __tablename__ = "do_not_invite"
    __table_args__ = (UniqueConstraint("association_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))  # lowercased
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
