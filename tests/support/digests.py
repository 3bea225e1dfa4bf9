"""What the digest sending tests share: an SMTP server that answers as scripted, and a party.

ScriptedInbox is support/mailserver.py's Inbox told what to answer: per recipient, replies used
up in order before the normal 250 (two "451 ..." say), a hook run after each message arrives,
and a stall that holds one message's DATA until released (to kill a worker mid-batch).
"""

import asyncio
import threading
import uuid
from collections import Counter
from dataclasses import dataclass

from aiosmtpd.controller import Controller
from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Card, Event, Guest, Outbox
from support.mailserver import Inbox, free_port

BUSY = "451 4.3.0 Mailbox busy, try again later"
GONE = "550 5.1.1 No such user here"


class ScriptedInbox(Inbox):
    """An SMTP server that answers RCPT as scripted per recipient, and can hold one message."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: dict[str, list[str]] = {}
        self.after_message = None  # called with each message received, in the server's thread
        self.stall_at = 0  # hold the DATA of the Nth message (1-based) until release is set
        self.stalled = threading.Event()
        self.release = threading.Event()

    def answer(self, address: str, *replies: str) -> None:
        """Answer RCPT for address with these replies, one per attempt, then as usual."""
        self.scripts[address.lower()] = list(replies)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if script := self.scripts.get(address.lower()):
            return script.pop(0)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server, session, envelope):
        if self.stall_at == len(self.messages) + 1 and not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return BUSY
        reply = await super().handle_DATA(server, session, envelope)
        if self.after_message is not None:
            self.after_message(self.messages[-1])
        return reply

    def copies(self) -> Counter:
        """How many messages each address received."""
        return Counter(m["To"].addresses[0].addr_spec for m in self.messages)


def start_on(inbox: Inbox, port: int | None = None) -> Controller:
    """Start aiosmtpd for the inbox on this port (a free one by default)."""
    inbox.port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    return controller


@dataclass
class Party:
    """An event whose guests have met: who should get a digest and who should not."""

    slug: str
    event_id: int
    ids: dict[str, int]  # first name -> guest id

    @property
    def readers(self) -> list[str]:
        """The addresses that should receive a digest (opted in, something to say)."""
        return [f"{name}@example.org" for name in ("ada", "zoe", "grace")]

    def email(self, name: str) -> str:
        return f"{name}@example.org"


def make_party(
    make_event, make_guest, set_guest, app, name="Fall Reunion", organizer=None
) -> Party:
    """Ada and Zoe met each other (mutual, both share contacts); Grace recorded Ada, who did not
    record her; Bob did not ask for the digest; Eve asked but was not there and met no one."""
    slug = make_event(name, email=organizer or "organizer@example.org")
    ids = {}
    for first, year in (
        ("ada", 2009),
        ("zoe", 2011),
        ("grace", 1990),
        ("bob", 2001),
        ("eve", 2015),
    ):
        ids[first], _ = make_guest(
            slug, f"{first.title()} Example", class_year=year, email=f"{first}@example.org"
        )
    for first in ("ada", "zoe", "grace"):
        set_guest(
            ids[first],
            checked_in=True,
            consent_digest=True,
            consent_findable=True,
            consent_share_contact=True,
            residence_hall="Watson Hall",
        )
    set_guest(ids["bob"], checked_in=True, consent_findable=True)
    set_guest(ids["eve"], consent_digest=True)
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
        card(
            event_id, ids["ada"], ids["zoe"], "Ada's note: Zoe knows the Lisbon office", ["coffee"]
        )
        card(event_id, ids["zoe"], ids["ada"], "Zoe's note: Ada hires PMs")
        card(event_id, ids["grace"], ids["ada"], "Grace's note: ask Ada about Watson")
        db.session.commit()
    return Party(slug, event_id, ids)


def card(event_id: int, author_id: int, subject_id: int, note: str, tags=()) -> None:
    """Add a card (the caller commits)."""
    db.session.add(
        Card(
            event_id=event_id,
            author_id=author_id,
            subject_id=subject_id,
            nonce=uuid.uuid4().hex,
            note=note,
            tags=list(tags),
        )
    )


def statuses(app, event_id: int) -> dict[str, str]:
    """Each digest row's status by recipient name, read fresh."""
    with app.app_context():
        rows = db.session.execute(
            select(Guest.email, Outbox.status)
            .join(Guest, Guest.id == Outbox.attendee_id)
            .where(Outbox.event_id == event_id, Outbox.kind == "digest")
        )
        return dict(rows.all())
