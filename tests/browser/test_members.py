"""Members across events, on phones: two organizers of one association run two events; Ada
(remembered) finds her profile offered and "Reconnect" with Dana; Bob (not) is a stranger."""

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.accounts import personal_links, users
from checkin.digest import content
from checkin.events import events, tickets
from checkin.extensions import db
from checkin.models import Association, Event, Guest, Membership, utcnow
from checkin.room import cards

from .axe import serious_violations
from .conftest import ORGANIZER, PASSWORD, SCREENSHOTS, open_phone, sign_in_organizer

ZONE = ZoneInfo("America/New_York")
PEOPLE = ("Ada Lovelace", "Dana Scully", "Bob Marley")


def _guest(event, name, findable=True):
    person = Guest(
        event_id=event.id,
        name=name,
        class_year=2009,
        email=f"{name.split()[0].lower()}@example.org",
        checked_in_at=utcnow(),
        consent_findable=findable,
    )
    db.session.add(person)
    db.session.flush()
    tickets.issue(person)
    return person


@pytest.fixture
def live_association(live_app):
    """Olga's Spring Mixer 2026 (a month ago) and Otto's Fall Reunion (now), one association;
    at the first, Ada met Dana and Bob; Ada and Dana are remembered members there."""
    with live_app.app_context():
        olga = users.create_organizer(ORGANIZER, PASSWORD)
        otto = users.create_organizer("otto@example.org", PASSWORD)
        spring = events.create_event(
            olga,
            "Spring Mixer 2026",
            "Alumni Hall",
            *_hours(utcnow() - timedelta(days=30)),
            "America/New_York",
        )
        association = db.session.get(Association, spring.association_id)
        db.session.add(
            Membership(association_id=association.id, organizer_id=otto.id, role="organizer")
        )
        db.session.commit()
        fall = events.create_event(
            otto,
            "Fall Reunion",
            "Alumni Hall",
            *_hours(utcnow() - timedelta(hours=1)),
            "America/New_York",
            association=association,
        )
        first = {name: _guest(spring, name) for name in PEOPLE}
        first["Ada Lovelace"].employer = "Analytical Engines"
        db.session.commit()
        cards.record(first["Ada Lovelace"], first["Dana Scully"], str(uuid.uuid4()))
        cards.record(first["Ada Lovelace"], first["Bob Marley"], str(uuid.uuid4()))
        links = {}
        for event, who in (
            (spring, first),
            (fall, {n: _guest(fall, n, findable=False) for n in PEOPLE}),
        ):
            db.session.commit()
            for name, person in who.items():
                key = (event.slug, name.split()[0])
                links[key] = personal_links.url_of(personal_links.ensure(person))
        ids = {
            name.split()[0]: db.session.scalar(
                select(Guest.id).where(Guest.event_id == fall.id, Guest.name == name)
            )
            for name in PEOPLE
        }
        return {
            "spring": spring.slug,
            "fall": fall.slug,
            "links": links,
            "ids": ids,
            "association": association.slug,
        }


def _hours(start):
    local = start.astimezone(ZONE).replace(tzinfo=None)
    return local, local + timedelta(hours=5)


def _open(browser, link, width=390):
    page = open_phone(browser, width=width)
    page.goto(link)
    page.get_by_role("button", name=re.compile(r"^Continue as ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hi, "))
    return page


def _remember(page, slug):
    """On the profile page: tick "Remember me" and save."""
    page.goto(page.url.split("/e/")[0] + f"/e/{slug}/profile")
    page.get_by_label(re.compile("Remember me at this association")).check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"members-{name}.png"), caret="initial", full_page=True)


def test_ada_is_remembered_and_bob_is_a_stranger(live_app, browser, live_association):
    """Ada and Dana tick "remember" at Spring; at Fall, Ada confirms her offered profile,
    sees "Reconnect" with Dana, and her digest mentions it; Bob, who did not, sees nothing."""
    links, spring, fall = (
        live_association["links"],
        live_association["spring"],
        live_association["fall"],
    )
    for who in ("Ada", "Dana"):
        page = _open(browser, links[(spring, who)])
        _remember(page, spring)
        page.context.close()
    dana = _open(browser, links[(fall, "Dana")])
    dana.get_by_role("link", name="Confirm or edit my profile").click()
    dana.get_by_label("Let other checked-in guests find me").check()  # asked again here
    dana.get_by_role("button", name="Confirm my profile").click()
    expect(dana.get_by_text("this association remembers you")).to_be_visible()
    dana.context.close()

    ada = _open(browser, links[(fall, "Ada")])
    expect(ada.get_by_role("heading", name="We remember you")).to_be_visible()
    _shot(ada, "offer")
    ada.get_by_role("link", name="Confirm or edit my profile").click()
    expect(ada.get_by_label("Employer")).to_have_value("Analytical Engines")
    expect(ada.get_by_label("Let other checked-in guests find me")).not_to_be_checked()
    assert serious_violations(ada) == [], "remembered page"
    _shot(ada, "remembered")
    ada.get_by_label("Let other checked-in guests find me").check()
    ada.get_by_role("button", name="Confirm my profile").click()
    expect(ada.get_by_text("Reconnect: you met Dana at Spring Mixer 2026")).to_be_visible()
    assert serious_violations(ada) == [], "home with reconnect"
    _shot(ada, "reconnect")
    ada.get_by_role("link", name="People I’ve met").click()
    expect(ada.get_by_text("Dana Scully")).to_be_visible()
    assert serious_violations(ada) == [], "people I've met"
    _shot(ada, "people-ive-met")
    narrow = _open(browser, links[(fall, "Ada")], width=360)
    _shot(narrow, "reconnect-360")
    narrow.goto(narrow.url.rstrip("/") + "/people-ive-met")
    _shot(narrow, "people-ive-met-360")

    bob = _open(browser, links[(fall, "Bob")])
    expect(bob.get_by_role("heading", level=1)).to_have_text(re.compile("^Hi, Bob"))
    assert "We remember you" not in bob.content() and "Reconnect" not in bob.content()

    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == fall))
        reader = db.session.get(Guest, live_association["ids"]["Ada"])
        cards.record(
            reader, db.session.get(Guest, live_association["ids"]["Dana"]), str(uuid.uuid4())
        )
        digest = content.Builder(event).build(reader)
        [entry] = [e for e in digest.met if e.name == "Dana Scully"]
        assert "You met at Spring Mixer 2026" in entry.reasons


def test_the_picture_on_a_phone(live_app, phone, live_association):
    """The team's picture: charts and the table, readable at 390 wide, no serious findings."""
    sign_in_organizer(phone, live_app.base_url, f"/teams/{live_association['association']}/picture")
    expect(
        phone.get_by_role("heading", name="Attendance: first-time and returning")
    ).to_be_visible()
    expect(phone.get_by_role("cell", name="3").first).to_be_visible()
    assert serious_violations(phone) == [], "picture"
    _shot(phone, "picture")
