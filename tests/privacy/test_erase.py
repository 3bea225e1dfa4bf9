"""Deleting a guest's data: what goes, what stays coherent, and who may do it."""

import uuid
from datetime import timedelta

import pytest
from conftest import csrf_token
from sqlalchemy import func, select
from support.pages import readable

from checkin.digest import content
from checkin.door import check_in, passes
from checkin.extensions import db
from checkin.mail import transport
from checkin.models import (
    BadgeJob,
    Card,
    CheckInAttempt,
    ConsentChange,
    Event,
    Guest,
    MeetRequest,
    Outbox,
    PersonalLink,
    Registration,
    Ticket,
    utcnow,
)
from checkin.privacy import erase

GONE = "Someone who deleted their data"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def confirm(client, path, token, tick=True):
    data = {"csrf_token": token} | ({"confirm": "y"} if tick else {})
    return client.post(path, data=data)


@pytest.fixture
def ada_deletes(app, client, privacy_room, sign_in_guest, write_card):
    """Ada signed in with cards both ways, a wish to meet Grace, a door scan and a badge sheet
    with Grace; returns a function that confirms "Delete my data"."""
    token = sign_in_guest(client, privacy_room["ada"])
    write_card(privacy_room["ada"], privacy_room["grace"], "ADA-NOTE-ON-GRACE")
    write_card(privacy_room["grace"], privacy_room["ada"], "Grace's own note about Ada")
    with app.app_context():
        ada = db.session.get(Guest, privacy_room["ada"])
        ada.consent_digest = ada.consent_share_contact = True
        event = db.session.get(Event, ada.event_id)
        door = passes.create(event, "Door 1")
        db.session.add_all(
            [
                MeetRequest(
                    event_id=event.id, requester_id=ada.id, wanted_id=privacy_room["grace"]
                ),
                Outbox(event_id=event.id, attendee_id=ada.id, kind="digest", recipient=ada.email),
                BadgeJob(
                    event_id=event.id,
                    layout="letter-6",
                    selection="everyone",
                    attendee_ids=[ada.id, privacy_room["grace"]],
                    status="done",
                    total=2,
                    pdf=b"%PDF-ada",
                ),
            ]
        )
        db.session.commit()
        check_in.check_in_guest(door, ada.id, uuid.uuid4().hex)
    path = f"/e/{privacy_room['slug']}/delete-my-data"
    return lambda tick=True: confirm(client, path, token, tick)


def test_the_confirm_page_says_what_goes_and_changes_nothing(
    app, client, privacy_room, ada_deletes
):
    """GET shows the consequences and the box; Ada is still there."""
    response = client.get(f"/e/{privacy_room['slug']}/delete-my-data")
    assert response.status_code == 200
    text = readable(response)
    assert "Delete your data?" in text and "Yes, delete my data for good" in text
    assert "your card and its note" in text
    with app.app_context():
        assert db.session.get(Guest, privacy_room["ada"]) is not None


def test_without_the_box_ticked_nothing_is_deleted(app, privacy_room, ada_deletes):
    """An unticked box answers 422 with the reason; Ada stays."""
    response = ada_deletes(tick=False)
    assert response.status_code == 422
    assert "Tick the box to confirm." in readable(response)
    with app.app_context():
        assert db.session.get(Guest, privacy_room["ada"]) is not None


def test_deleting_removes_the_guest_and_everything_theirs(app, client, privacy_room, ada_deletes):
    """Row, tickets, links, outbox, wishes, consent history and her cards: gone."""
    response = ada_deletes()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/e/{privacy_room['slug']}/data-deleted")
    assert "Your data is deleted" in readable(client.get(response.headers["Location"]))
    ada = privacy_room["ada"]
    with app.app_context():
        assert db.session.get(Guest, ada) is None
        assert count(Ticket, Ticket.attendee_id == ada) == 0
        assert count(PersonalLink, PersonalLink.attendee_id == ada) == 0
        assert count(Outbox, Outbox.attendee_id == ada) == 0
        assert count(MeetRequest) == 0
        assert count(Card, Card.author_id == ada) == 0
        assert count(ConsentChange, ConsentChange.attendee_id == ada) == 0


def test_her_registration_goes_too(app, privacy_room, ada_deletes):
    """The registration that made her a guest (name, address, answers) is deleted with her."""
    with app.app_context():
        ada = db.session.get(Guest, privacy_room["ada"])
        db.session.add(
            Registration(
                event_id=ada.event_id,
                email=ada.email.lower(),
                name=ada.name,
                answers={"industry": "Mathematics"},
                status="guest",
                token_hash=uuid.uuid4().hex,
                attendee_id=ada.id,
            )
        )
        db.session.commit()
    assert ada_deletes().status_code == 303
    with app.app_context():
        assert count(Registration) == 0


def test_what_she_consented_to_stays_as_anonymous_withdrawals(app, privacy_room, ada_deletes):
    """Findable, share contact and digest were on: three "deleted" rows with no guest."""
    ada_deletes()
    with app.app_context():
        rows = db.session.scalars(select(ConsentChange).where(ConsentChange.source == "deleted"))
        assert sorted((r.consent, r.value, r.attendee_id) for r in rows) == [
            ("digest", False, None),
            ("findable", False, None),
            ("share_contact", False, None),
        ]


def test_she_is_signed_out_and_a_second_submit_is_harmless(app, client, privacy_room, ada_deletes):
    """Her session loads no one (404, not 500); pressing Delete again lands on the same page."""
    ada_deletes()
    assert client.get(f"/e/{privacy_room['slug']}/").status_code == 404
    again = ada_deletes()
    assert again.status_code == 303 and again.headers["Location"].endswith("/data-deleted")


def test_her_old_session_cookie_on_another_node_loads_no_one(
    app, privacy_room, ada_deletes, sign_in_guest
):
    """A second browser signed in as Ada before the deletion is signed out by it."""
    other_phone = app.test_client()
    sign_in_guest(other_phone, privacy_room["ada"])
    ada_deletes()
    for path in ("", "your-data", "cards"):
        assert other_phone.get(f"/e/{privacy_room['slug']}/{path}").status_code == 404
    assert other_phone.get(f"/api/v1/events/{privacy_room['slug']}/cards").status_code == 401


def test_door_attempts_stay_without_her_name(app, privacy_room, ada_deletes):
    """The attempt is kept for the counts; no guest and no name in its stored answer."""
    ada_deletes()
    with app.app_context():
        (attempt,) = db.session.scalars(select(CheckInAttempt)).all()
        assert attempt.attendee_id is None and attempt.result == "already_admitted"
        assert attempt.answer["attendee"] is None
        assert "Ada" not in str(attempt.answer)


def test_badge_sheets_lose_her_and_their_pdf(app, privacy_room, ada_deletes):
    """The sheet keeps Grace, drops its PDF and asks to be made again."""
    ada_deletes()
    with app.app_context():
        job = db.session.scalar(select(BadgeJob))
        assert job.attendee_ids == [privacy_room["grace"]] and job.total == 1
        assert job.pdf is None and job.status == "failed"
        assert "deleted their data" in job.error


def test_mail_files_to_her_are_deleted_and_others_kept(app, privacy_room, ada_deletes):
    """Without SMTP_URL mail is kept as files: hers go, Grace's stay."""
    with app.app_context():
        with transport.Mailer(privacy_room["slug"]) as mailer:
            for name, to in (("Ada Lovelace", "Ada@Example.org"), ("Grace", "grace@example.org")):
                message = transport.new_message(transport.Address(name, addr_spec=to), "Hi")
                message.set_content("Hello")
                mailer.send(message)
        folder = transport.mail_dir(privacy_room["slug"])
        assert len(list(folder.glob("*.eml"))) == 2
    ada_deletes()
    with app.app_context():
        (left,) = list(folder.glob("*.eml"))
        assert b"grace@example.org" in left.read_bytes()


def test_graces_card_keeps_her_note_without_adas_name(
    app, privacy_room, ada_deletes, sign_in_guest
):
    """Grace's list, card page, edit page and API: her note, and "Someone who deleted..."."""
    ada_deletes()
    grace = app.test_client()
    sign_in_guest(grace, privacy_room["grace"])
    slug = privacy_room["slug"]
    with app.app_context():
        card = db.session.scalar(select(Card))
        assert card.subject_id is None and card.note == "Grace's own note about Ada"
    cards_page = readable(grace.get(f"/e/{slug}/cards"))
    assert GONE in cards_page and "Grace's own note about Ada" in cards_page
    assert "Ada" not in cards_page.replace("about Ada", "")
    for path in (f"cards/{card.id}", f"cards/{card.id}/edit", f"cards/{card.id}/delete"):
        response = grace.get(f"/e/{slug}/{path}")
        assert response.status_code == 200 and GONE in readable(response)
    api = grace.get(f"/api/v1/events/{slug}/cards/{card.id}").get_json()
    assert api["attendee"] is None and api["note"] == "Grace's own note about Ada"
    assert grace.get(f"/api/v1/events/{slug}/cards").get_json()["cards"][0]["attendee"] is None


def test_graces_exports_and_digest_keep_the_note_without_ada(
    app, privacy_room, ada_deletes, sign_in_guest
):
    """Her CSV, her .vcf and her next digest: the note stays, Ada's name does not."""
    ada_deletes()
    grace = app.test_client()
    sign_in_guest(grace, privacy_room["grace"])
    csv = grace.get(f"/e/{privacy_room['slug']}/my-cards.csv").get_data(as_text=True)
    assert GONE in csv and "Grace's own note about Ada" in csv and "Lovelace" not in csv
    assert "Lovelace" not in grace.get(f"/e/{privacy_room['slug']}/my-contacts.vcf").get_data(
        as_text=True
    )
    with app.app_context():
        reader = db.session.get(Guest, privacy_room["grace"])
        digest = content.Builder(reader.event).build(reader)
        (met,) = digest.met
        assert met.name == GONE and met.note == "Grace's own note about Ada"
        assert digest.waiting == [] and met.contact is None


def test_she_is_gone_from_suggestions_lists_and_exports(
    app, client, privacy_room, ada_deletes, sign_in, sign_in_guest
):
    """Grace's room list and suggestions, the organizer's guest list and both CSVs."""
    ada_deletes()
    grace = app.test_client()
    sign_in_guest(grace, privacy_room["grace"])
    slug = privacy_room["slug"]
    assert "Lovelace" not in grace.get(f"/e/{slug}/people").get_data(as_text=True)
    assert "Lovelace" not in str(grace.get(f"/api/v1/events/{slug}/suggestions").get_json())
    assert "Lovelace" not in str(grace.get(f"/api/v1/events/{slug}/people").get_json())
    organizer = app.test_client()
    sign_in(test_client=organizer)
    for path in ("", "/guests?q=ada", "/attendance.csv", "/networking.csv"):
        assert "Lovelace" not in organizer.get(f"/events/{slug}{path}").get_data(as_text=True)


def test_the_next_digest_run_has_nothing_for_her(app, privacy_room, ada_deletes, set_guest):
    """No outbox row is left for her, and the digest of every other guest names her nowhere."""
    ada_deletes()
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == privacy_room["slug"]))
        builder = content.Builder(event)
        for person in db.session.scalars(select(Guest).where(Guest.event_id == event.id)):
            built = builder.build(person)
            assert built is None or "Lovelace" not in str(built.met + built.to_meet)


def test_erase_twice_is_none_the_second_time(ctx, privacy_room):
    """The domain call is safe to repeat: the second finds no one."""
    ada = db.session.get(Guest, privacy_room["ada"])
    stale = Guest(id=ada.id, event_id=ada.event_id, name="x")
    assert erase.erase(ada, "guest").name == "Ada Lovelace"
    assert erase.erase(stale, "guest") is None


def test_erase_refuses_an_unknown_source(ctx, privacy_room):
    with pytest.raises(ValueError):
        erase.erase(db.session.get(Guest, privacy_room["ada"]), "robot")


# The organizer deletes one guest


def organizer_path(room, guest="ada"):
    return f"/events/{room['slug']}/attendees/{room[guest]}/delete"


def test_the_guest_page_offers_delete_with_a_confirm(app, client, sign_in, privacy_room):
    """The guest's page links to a confirm page; GET deletes nothing."""
    sign_in()
    page = client.get(f"/events/{privacy_room['slug']}/attendees/{privacy_room['ada']}")
    assert organizer_path(privacy_room) in page.get_data(as_text=True)
    response = client.get(organizer_path(privacy_room))
    assert response.status_code == 200 and "Delete Ada Lovelace?" in readable(response)
    with app.app_context():
        assert db.session.get(Guest, privacy_room["ada"]) is not None


def test_the_organizer_deletes_a_guest(app, client, sign_in, privacy_room, set_guest):
    """Ticked and posted: the guest is gone, as by their own hand, with source "organizer"."""
    set_guest(privacy_room["ada"], consent_digest=True)
    sign_in()
    token = csrf_token(client, organizer_path(privacy_room))
    assert confirm(client, organizer_path(privacy_room), token, tick=False).status_code == 422
    response = confirm(client, organizer_path(privacy_room), token)
    assert response.status_code == 303
    assert "Ada Lovelace and their data are deleted." in readable(client.get("/events"))
    with app.app_context():
        assert db.session.get(Guest, privacy_room["ada"]) is None
        sources = {r.source for r in db.session.scalars(select(ConsentChange))}
        assert "deleted" in sources
    assert client.get(organizer_path(privacy_room)).status_code == 404  # a second time


def test_another_organizer_cannot_delete_my_guest(app, client, sign_in, privacy_room):
    """Organizer B: A's event is 404, and A's guest under B's own event is 404 too."""
    sign_in("other@example.org")
    token = csrf_token(client, f"/events/{privacy_room['other_slug']}")
    theirs = organizer_path(privacy_room)
    mixed = f"/events/{privacy_room['other_slug']}/attendees/{privacy_room['ada']}/delete"
    for path in (theirs, mixed):
        assert client.get(path).status_code == 404
        assert confirm(client, path, token).status_code == 404
    with app.app_context():
        assert db.session.get(Guest, privacy_room["ada"]) is not None


def test_a_guest_cannot_use_the_organizers_delete(app, privacy_room, sign_in_guest):
    """Ada's session is sent to sign in, not let through."""
    phone = app.test_client()
    token = sign_in_guest(phone, privacy_room["ada"])
    response = confirm(phone, organizer_path(privacy_room, "grace"), token)
    assert response.status_code in (302, 303, 401)
    with app.app_context():
        assert db.session.get(Guest, privacy_room["grace"]) is not None


def test_one_guest_cannot_delete_another(app, privacy_room, sign_in_guest):
    """Bob, signed in at the gala, posting to the reunion's delete, deletes nobody."""
    phone = app.test_client()
    token = sign_in_guest(phone, privacy_room["bob"])
    path = f"/e/{privacy_room['slug']}/delete-my-data"
    assert phone.get(path).status_code == 404
    confirm(phone, path, token)
    with app.app_context():
        assert count(Guest) == 4 and db.session.get(Guest, privacy_room["bob"]) is not None


def test_door_replays_after_deletion_name_no_one(app, privacy_room, ada_deletes):
    """The door's replay of that nonce (a phone retrying) answers without her name."""
    ada_deletes()
    with app.app_context():
        attempt = db.session.scalar(select(CheckInAttempt))
        assert attempt.received_at <= utcnow() + timedelta(seconds=1)
        assert "Lovelace" not in str(attempt.answer)


def test_my_data_names_no_one_on_a_card_about_someone_deleted(
    app, privacy_room, write_card, sign_in_guest
):
    """Grace deletes her data: Ada's "Your data" keeps Ada's card and note, without Grace."""
    write_card(privacy_room["ada"], privacy_room["grace"], "ADA-NOTE-ON-GRACE")
    with app.app_context():
        erase.erase(db.session.get(Guest, privacy_room["grace"]), "guest")
    phone = app.test_client()
    sign_in_guest(phone, privacy_room["ada"])
    data = phone.get(f"/e/{privacy_room['slug']}/your-data.json").get_json()
    (card,) = data["cards_written"]
    assert card["person"] == {"name": GONE} and card["note"] == "ADA-NOTE-ON-GRACE"
    text = readable(phone.get(f"/e/{privacy_room['slug']}/your-data"))
    assert GONE in text and "Hopper" not in text


def test_the_event_page_counts_withdrawals_by_deletion(app, client, sign_in, privacy_room):
    """Ada was findable: her deletion shows as a withdrawn consent, by number only."""
    with app.app_context():
        erase.erase(db.session.get(Guest, privacy_room["ada"]), "organizer")
    sign_in()
    text = readable(client.get(f"/events/{privacy_room['slug']}"))
    assert "Findable: 1 yes · 1 no" in text
    assert "1 consent withdrawn by guests deleting their data" in text
