"""Your data: the page and its JSON hold everything about me and nothing of others' beyond
what the app shows me."""

import json
from datetime import timedelta

import pytest
from support.pages import readable

from checkin.extensions import db
from checkin.mail import subscriptions
from checkin.models import Guest, MeetRequest, Outbox, utcnow


@pytest.fixture
def ada_recorded(app, client, privacy_room, sign_in_guest, write_card):
    """Ada signed in, with a card for Grace; Grace's card for Ada with Grace's own note; a
    ticket email sent to Ada and a digest for Grace; Ada unsubscribed then back."""
    token = sign_in_guest(client, privacy_room["ada"])
    write_card(privacy_room["ada"], privacy_room["grace"], "Ask about COBOL", tags=["coffee"])
    write_card(privacy_room["grace"], privacy_room["ada"], "GRACE-PRIVATE-NOTE")
    with app.app_context():
        ada = db.session.get(Guest, privacy_room["ada"])
        ada.consent_digest = True
        sent = utcnow() - timedelta(hours=1)
        db.session.add_all(
            [
                Outbox(
                    event_id=ada.event_id,
                    attendee_id=ada.id,
                    kind="ticket",
                    batch="b1",
                    recipient="ada@example.org",
                    status="sent",
                    sent_at=sent,
                ),
                Outbox(
                    event_id=ada.event_id,
                    attendee_id=privacy_room["grace"],
                    kind="digest",
                    recipient="grace@example.org",
                    status="sent",
                    sent_at=sent,
                ),
                Outbox(
                    event_id=ada.event_id,
                    attendee_id=ada.id,
                    kind=f"match:{privacy_room['grace']}",
                    recipient="ada@example.org",
                    status="queued",
                ),
                MeetRequest(
                    event_id=ada.event_id,
                    requester_id=privacy_room["maya"],
                    wanted_id=ada.id,
                ),
            ]
        )
        db.session.commit()
        subscriptions.unsubscribe(ada)
        subscriptions.resubscribe(ada)
    return token


def download(client, slug):
    return client.get(f"/e/{slug}/your-data.json")


def test_the_home_and_profile_pages_link_to_your_data(client, privacy_room, ada_recorded):
    """ "Your data" is one tap from the home page and from the profile."""
    for page in ("", "profile"):
        html = client.get(f"/e/{privacy_room['slug']}/{page}").get_data(as_text=True)
        assert f'href="/e/{privacy_room["slug"]}/your-data"' in html


def test_the_page_lists_my_profile_consents_cards_mail_and_check_in(
    client, privacy_room, ada_recorded
):
    """Profile, choices and their history, my card with my note, who recorded me, my mail."""
    response = client.get(f"/e/{privacy_room['slug']}/your-data")
    assert response.status_code == 200
    text = readable(response)
    assert "Ada Lovelace" in text and "ada@example.org" in text and "Watson Hall" in text
    assert "The next-morning email: no by the unsubscribe link" in text
    assert "The next-morning email: yes by subscribing again" in text
    assert "Grace Hopper" in text and "Ask about COBOL" in text and "Coffee" in text
    assert "Your ticket to ada@example.org: sent" in text
    assert "An introduction to ada@example.org: queued" in text
    assert "Checked in" in text


def test_the_page_shows_who_recorded_me_but_never_their_note(client, privacy_room, ada_recorded):
    """Grace recorded Ada: her name is there (as on the home page); her note is not."""
    text = readable(client.get(f"/e/{privacy_room['slug']}/your-data"))
    recorded = text[text.index("Who recorded meeting you") : text.index("What we emailed")]
    assert "Grace Hopper" in recorded
    assert "GRACE-PRIVATE-NOTE" not in text


def test_the_json_download_is_an_uncached_attachment(client, privacy_room, ada_recorded):
    """GET only, attachment, application/json, no-store."""
    response = download(client, privacy_room["slug"])
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "your-data.json" in response.headers["Content-Disposition"]


def test_the_json_holds_my_cards_and_consent_history(client, privacy_room, ada_recorded):
    """The same facts as the page, as data: cards with notes, consents and their sources."""
    data = download(client, privacy_room["slug"]).get_json()
    assert data["profile"]["name"] == "Ada Lovelace"
    assert data["consents"]["digest"] is True
    assert [c["source"] for c in data["consent_history"]] == ["unsubscribe", "resubscribe"]
    (card,) = data["cards_written"]
    assert card["person"]["name"] == "Grace Hopper" and card["note"] == "Ask about COBOL"
    assert [r["name"] for r in data["recorded_by"]] == ["Grace Hopper"]
    assert {m["kind"] for m in data["emails"]} == {"ticket", "introduction"}
    assert data["on_the_list"]["checked_in_at"].endswith("+00:00")


def test_the_json_holds_nothing_of_others_i_may_not_see(client, privacy_room, ada_recorded):
    """Not Grace's note, email, consents or digest; not Maya's wish to meet Ada; not the other
    guest's id in an introduction's kind."""
    raw = download(client, privacy_room["slug"]).get_data(as_text=True)
    data = json.loads(raw)
    for secret in ("GRACE-PRIVATE-NOTE", "grace@example.org", "Maya", "match:"):
        assert secret not in raw
    assert data["meet_requests"] == []
    assert data["cards_written"][0]["contact"] is None  # not mutual-and-both-sharing


def test_no_one_else_gets_my_data(app, client, privacy_room, ada_recorded, sign_in_guest):
    """Signed out, or as a guest of another event, both addresses are 404."""
    slug = privacy_room["slug"]
    anonymous = app.test_client()
    bob = app.test_client()
    sign_in_guest(bob, privacy_room["bob"])
    for other in (anonymous, bob):
        for path in ("your-data", "your-data.json", "delete-my-data"):
            assert other.get(f"/e/{slug}/{path}").status_code == 404


def test_my_data_is_mine_only(app, privacy_room, ada_recorded, sign_in_guest):
    """Grace's own download is about Grace: Ada's note on her card of Grace is not in it."""
    grace = app.test_client()
    sign_in_guest(grace, privacy_room["grace"])
    raw = download(grace, privacy_room["slug"]).get_data(as_text=True)
    assert "Ask about COBOL" not in raw and "ada@example.org" not in raw
    assert json.loads(raw)["profile"]["name"] == "Grace Hopper"


def test_an_organizer_who_used_my_link_shows_in_my_data(app, client, privacy_room, sign_in):
    """The organizer signs in with Ada's personal link: Ada's page and JSON say who and when."""
    from conftest import csrf_token

    from checkin.accounts import personal_links

    with app.app_context():
        link = personal_links.ensure(db.session.get(Guest, privacy_room["ada"]))
        path = personal_links.url_of(link).removeprefix(app.config["BASE_URL"])
    sign_in()
    client.post(path, data={"csrf_token": csrf_token(client, path)})  # now signed in as Ada
    slug = privacy_room["slug"]
    page = readable(client.get(f"/e/{slug}/your-data"))
    assert "An organizer (organizer@example.org) signed in with your personal link" in page
    [record] = json.loads(download(client, slug).get_data(as_text=True))["organizer_sign_ins"]
    assert record["organizer"] == "organizer@example.org" and record["signed_in_at"]
