"""Your data includes the registration (when, the answers, the consents on the form, where it
stands) and the invitations to register sent to the guest's address; another guest's
registration and invitations, and another event's, never show. Deleting the data takes them."""

import json
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.pages import readable

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Guest, Invitation, Registration, utcnow
from checkin.privacy import erase


def invitation(event_id, association_id, email, status="sent"):
    """An invitation row as the invitations worker leaves it."""
    sent = utcnow() - timedelta(days=3)
    return Invitation(
        event_id=event_id,
        association_id=association_id,
        email=email,
        salt=secrets.token_hex(8),
        token_hash=secrets.token_hex(32),
        status=status,
        queued_at=sent,
        sent_at=sent if status == "sent" else None,
    )


@pytest.fixture
def ada_registered(app, client, privacy_room, sign_in_guest):
    """Ada registered (two of three consents), confirmed, then gave her place back; she and
    Grace were invited; Bob was invited to his own event. Ada is signed in."""
    with app.app_context():
        ada = db.session.get(Guest, privacy_room["ada"])
        bob = db.session.get(Guest, privacy_room["bob"])
        event, other = ada.event, bob.event
        now = utcnow()
        db.session.add_all(
            [
                Registration(
                    event_id=event.id,
                    email="ada@example.org",
                    name="Ada Lovelace",
                    answers={"class_year": 2009, "industry": "Computing"},
                    consents={"findable": True, "share_contact": False, "digest": True},
                    status="cancelled",
                    token_hash=tickets.digest(secrets.token_urlsafe(20)),
                    created_at=now - timedelta(days=5),
                    confirmed_at=now - timedelta(days=5),
                    decided_at=now - timedelta(days=1),
                    attendee_id=ada.id,
                ),
                Registration(
                    event_id=event.id,
                    email="grace@example.org",
                    name="Grace Hopper",
                    answers={"industry": "GRACE-ANSWER"},
                    status="guest",
                    token_hash=tickets.digest(secrets.token_urlsafe(20)),
                ),
                invitation(event.id, event.association_id, "ada@example.org"),
                invitation(event.id, event.association_id, "grace@example.org"),
                invitation(other.id, other.association_id, "ada@example.org"),
            ]
        )
        ada.cancelled_at = now - timedelta(days=1)
        db.session.commit()
    sign_in_guest(client, privacy_room["ada"])
    return privacy_room


def test_the_json_has_my_registration_and_invitations(client, ada_registered):
    """When, the answers, the form's consents, the status; my invitation here only."""
    data = json.loads(client.get(f"/e/{ada_registered['slug']}/your-data.json").data)
    registration = data["registration"]
    assert registration["status"] == "cancelled" and registration["email"] == "ada@example.org"
    assert registration["answers"] == {"class_year": 2009, "industry": "Computing"}
    assert registration["consents"] == {"findable": True, "share_contact": False, "digest": True}
    assert registration["registered_at"] and registration["confirmed_at"]
    assert [(i["to"], i["status"]) for i in data["invitations"]] == [("ada@example.org", "sent")]
    assert data["on_the_list"]["cancelled_at"]
    assert "GRACE-ANSWER" not in json.dumps(data) and "grace@example.org" not in json.dumps(data)


def test_the_page_shows_them(client, ada_registered):
    """The page has a "Your registration" part with the status in words, the answers, each
    consent as ticked on the form, and the invitation."""
    text = readable(client.get(f"/e/{ada_registered['slug']}/your-data"))
    assert "Your registration" in text
    assert "cancelled (you gave your place back)" in text
    assert "Industry Computing" in text
    assert "Share contact details with mutual connections: no" in text
    assert "Findable by other guests: yes" in text
    assert "Invitations to register" in text and "To ada@example.org: sent" in text
    assert "Gave your place back" in text
    assert "GRACE-ANSWER" not in text


def test_a_guest_who_never_registered_sees_no_such_part(client, privacy_room, sign_in_guest):
    """Maya was imported and not invited: no registration part, null and [] in the JSON."""
    sign_in_guest(client, privacy_room["maya"])
    assert "Your registration" not in readable(client.get(f"/e/{privacy_room['slug']}/your-data"))
    data = json.loads(client.get(f"/e/{privacy_room['slug']}/your-data.json").data)
    assert data["registration"] is None and data["invitations"] == []


def test_deleting_my_data_takes_the_registration_and_invitations(app, ada_registered):
    """Erase: Ada's registration and her invitation at this event go; Grace's and the other
    event's invitation stay."""
    with app.app_context():
        erase.erase(db.session.get(Guest, ada_registered["ada"]), "guest")
        emails = db.session.scalars(select(Registration.email)).all()
        assert emails == ["grace@example.org"]
        left = db.session.execute(select(Invitation.event_id, Invitation.email)).all()
        assert sorted(e for _, e in left) == ["ada@example.org", "grace@example.org"]
        assert (
            db.session.scalar(
                select(func.count()).where(
                    Invitation.email == "ada@example.org",
                    Invitation.event_id == db.session.get(Guest, ada_registered["grace"]).event_id,
                )
            )
            == 0
        )
