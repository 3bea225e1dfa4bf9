"""Consent on record: each change kept with its source and time; the organizer sees counts."""

import pytest
from sqlalchemy import select
from support.pages import readable

from checkin import demo
from checkin.events import guests
from checkin.extensions import db
from checkin.imports import guest_list
from checkin.imports.files import read_table
from checkin.mail import subscriptions
from checkin.models import ConsentChange, Event, Guest
from checkin.privacy import consents


def changes(attendee_id=None, **where) -> list[tuple]:
    """(consent, value, source) of the rows kept, oldest first."""
    query = select(ConsentChange).order_by(ConsentChange.id)
    if attendee_id is not None:
        query = query.where(ConsentChange.attendee_id == attendee_id)
    for name, value in where.items():
        query = query.where(getattr(ConsentChange, name) == value)
    return [(c.consent, c.value, c.source) for c in db.session.scalars(query)]


def save_profile(client, slug, token, **boxes):
    """Post the profile form with these boxes ticked (the others unticked)."""
    data = {"csrf_token": token} | {f"consent_{name}": "y" for name in boxes}
    return client.post(f"/e/{slug}/profile", data=data)


def test_ticking_a_box_records_one_change_from_the_guest(app, client, privacy_room, sign_in_guest):
    """Ticking "digest" records digest=yes from the guest; findable stays as it was, unrecorded."""
    token = sign_in_guest(client, privacy_room["maya"])
    assert save_profile(client, privacy_room["slug"], token, digest=True).status_code == 303
    with app.app_context():
        assert changes(privacy_room["maya"]) == [("digest", True, "guest")]
        row = db.session.scalar(select(ConsentChange))
        assert row.changed_at is not None and row.event_id is not None


def test_saving_again_unchanged_records_nothing_more(app, client, privacy_room, sign_in_guest):
    """Only real changes are kept: the same choices saved twice make one row, not two."""
    token = sign_in_guest(client, privacy_room["maya"])
    save_profile(client, privacy_room["slug"], token, digest=True)
    save_profile(client, privacy_room["slug"], token, digest=True)
    save_profile(client, privacy_room["slug"], token)
    with app.app_context():
        assert changes(privacy_room["maya"]) == [
            ("digest", True, "guest"),
            ("digest", False, "guest"),
        ]


def test_unsubscribing_and_subscribing_again_are_recorded(ctx, privacy_room):
    """The unsubscribe link withdraws the digest; subscribing again gives it back; a repeat
    unsubscribe changes nothing and records nothing."""
    ada = db.session.get(Guest, privacy_room["ada"])
    ada.consent_digest = True
    db.session.commit()
    subscriptions.unsubscribe(ada)
    subscriptions.unsubscribe(ada)
    subscriptions.resubscribe(ada)
    assert changes(ada.id) == [("digest", False, "unsubscribe"), ("digest", True, "resubscribe")]


def test_import_records_what_the_registration_said(ctx, make_event):
    """A yes to "may others see your profile?" is findable=yes from the import; a no is no."""
    slug = make_event()
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    data = (
        b"Name,Email,Consent to share profile\r\n"
        b"Ada,ada@example.org,Yes\r\nBo,bo@example.org,No\r\n"
    )
    table = read_table(data)
    guest_list.commit(event, table, guest_list.choose_mapping(table.headers))
    ada = db.session.scalar(select(Guest).where(Guest.name == "Ada"))
    bo = db.session.scalar(select(Guest).where(Guest.name == "Bo"))
    assert changes(ada.id) == [("findable", True, "import"), ("profile", True, "import")]
    assert changes(bo.id) == [("findable", False, "import"), ("profile", False, "import")]


def test_organizer_adding_and_editing_a_guest_is_recorded_as_the_organizers(ctx, make_event):
    """Added by hand with the profile answer, then the answer changed: both from the organizer."""
    event = db.session.scalar(select(Event).where(Event.slug == make_event()))
    blank = {name: "" for name in guests.PROFILE} | {"class_year": None, "willing_to_mentor": None}
    profile = blank | {"name": "Ada", "email": "ada@example.org", "consent_profile": True}
    ada = guests.add(event, profile)
    guests.update(ada, profile | {"consent_profile": False})
    assert changes(ada.id) == [
        ("findable", True, "organizer"),
        ("profile", True, "organizer"),
        ("profile", False, "organizer"),
    ]


def test_the_demo_records_its_guests_consents_as_imported(ctx):
    """Every demo guest has at least their findable choice on record, from the import."""
    demo.create_demo(guests=12, seed=3)
    people = db.session.scalars(select(Guest)).all()
    for person in people:
        assert ("findable", person.consent_findable, "import") in changes(person.id)
    assert {source for *_, source in changes()} == {"import"}


def test_record_refuses_an_unknown_source(ctx, privacy_room):
    """A typo in a source is a bug, not a new kind of consent."""
    with pytest.raises(ValueError):
        consents.record(db.session.get(Guest, privacy_room["ada"]), {"digest": True}, "website")


def test_the_event_page_shows_counts_and_no_ones_history(
    app, client, sign_in, privacy_room, set_guest
):
    """Findable 2 yes 1 no, one withdrawal by unsubscribing; no guest's name beside a consent."""
    set_guest(privacy_room["ada"], consent_digest=True)
    with app.app_context():
        subscriptions.unsubscribe(db.session.get(Guest, privacy_room["ada"]))
    sign_in()
    text = readable(client.get(f"/events/{privacy_room['slug']}"))
    assert "Findable: 2 yes · 1 no" in text
    assert "Next-morning email: 0 yes · 3 no; 1 withdrew by unsubscribing" in text
    consent_part = text[text.index("Consents") : text.index("Counts only")]
    assert "Ada" not in consent_part


def test_counts_are_of_this_event_only(ctx, privacy_room):
    """Bob's gala does not count toward the reunion."""
    event = db.session.scalar(select(Event).where(Event.slug == privacy_room["other_slug"]))
    counted = consents.counts(event)
    assert counted.yes["findable"] == 0 and counted.no["findable"] == 1
