"""The guest's pages: home, profile and consents, scanning, the room list, cards, /t/<code>."""

import re
import uuid

import pytest
from conftest import csrf_token
from sqlalchemy import func, select
from support.pages import HTMX

from checkin.extensions import db
from checkin.matching import tags
from checkin.models import Card, Guest
from checkin.room import cards

NASTY = [
    "<script>alert(1)</script>",
    'hx-get="/e/x/sign-out" hx-trigger="load"',
    '"><img src=x onerror=alert(1)>',
]


def path(url: str) -> str:
    """An absolute link made with BASE_URL, as a path for the test client."""
    return url.replace("http://127.0.0.1:5000", "")


@pytest.fixture
def room(app, make_event, make_guest, set_guest):
    """Ada and Grace in the room (checked in, findable, both from Watson Hall); Maya not in yet."""
    slug = make_event()
    ada, ada_qr = make_guest(slug, "Ada Lovelace", 2009)
    grace, grace_qr = make_guest(slug, "Grace Hopper", 2010)
    maya, maya_qr = make_guest(slug, "Maya Iyer", 2021)
    for person in (ada, grace):
        set_guest(person, checked_in=True, consent_findable=True, residence_hall="Watson Hall")
    set_guest(grace, role="Rear admiral", employer="US Navy", interests="compilers")
    return {
        "slug": slug,
        "ada": ada,
        "grace": grace,
        "maya": maya,
        "ada_qr": ada_qr,
        "grace_qr": grace_qr,
        "maya_qr": maya_qr,
        "home": f"/e/{slug}/",
    }


@pytest.fixture
def ada(client, room, sign_in_guest):
    """The test client signed in as Ada; returns her CSRF token."""
    return sign_in_guest(client, room["ada"])


def record(app, author, subject, note="", **fields):
    """A card made directly in the domain; returns its id."""
    with app.app_context():
        me, other = db.session.get(Guest, author), db.session.get(Guest, subject)
        return cards.record(me, other, str(uuid.uuid4()), note, **fields).card.id


def card_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Card))


def person(app, attendee_id) -> Guest:
    with app.app_context():
        found = db.session.get(Guest, attendee_id)
        db.session.expunge(found)
        return found


def pages(room) -> list[str]:
    """Every page Ada can open, with the query strings the pages themselves send."""
    base = f"/e/{room['slug']}"
    return [
        f"{base}/",
        f"{base}/profile",
        f"{base}/scan",
        f"{base}/people",
        f"{base}/people?q=gra",
        f"{base}/cards",
        f"{base}/met?attendee_id={room['grace']}",
        f"{base}/met?code={room['grace_qr']}",
        path(room["grace_qr"]),
    ]


def test_every_page_renders_whole_with_the_event_header(client, room, ada):
    """Each page is a full page with the event's name, the nav and a Sign out button."""
    for url in pages(room):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "<html" in html and "Fall Reunion" in html and "Sign out" in html, url


@pytest.mark.parametrize("who", ["nobody", "other event"])
def test_pages_are_not_found_without_an_guest_session_of_the_event(
    client, room, make_event, make_guest, sign_in_guest, who
):
    """Signed out, or signed in for another event: every page of this event is a 404."""
    if who == "other event":
        stranger, _ = make_guest(make_event("Spring Gala"), "Sam Stranger")
        sign_in_guest(client, stranger)
    for url in pages(room)[:-1]:
        assert client.get(url).status_code == 404, url


def test_a_get_of_any_page_changes_nothing(app, client, room, ada):
    """Opening every page (and every fragment) records no card and changes no profile."""
    before = (card_count(app), vars(person(app, room["ada"])).copy())
    fragments = [
        "suggestions",
        "waiting",
        "people?q=g",
        "profile/tags/interests?interests=c",
        "profile/check/linkedin_url?linkedin_url=x",
    ]
    for url in pages(room) + [f"/e/{room['slug']}/{part}" for part in fragments]:
        client.get(url)
        client.get(url, headers=HTMX)
    after = (card_count(app), vars(person(app, room["ada"])).copy())
    for state in (before, after):
        state[1].pop("_sa_instance_state")
    assert after == before


@pytest.mark.parametrize(
    "part, marker",
    [
        ("suggestions", 'id="suggestions"'),
        ("waiting", 'id="waiting"'),
        ("people?q=gr", 'id="people"'),
    ],
)
def test_polled_and_searched_parts_come_as_fragments_for_htmx(client, room, ada, part, marker):
    """For htmx, just the part (no page around it); without htmx, the whole page."""
    url = f"/e/{room['slug']}/{part}"
    fragment = client.get(url, headers=HTMX).get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert marker in fragment and "<html" not in fragment
    assert marker in page and "<html" in page


def test_home_shows_my_code_and_who_to_meet_with_reasons(client, room, ada):
    """My QR, 'Scan someone', and Grace suggested because we both lived in Watson Hall."""
    html = client.get(room["home"]).get_data(as_text=True)
    assert 'aria-label="Your QR code, Ada Lovelace"' in html
    assert "Scan someone" in html
    suggestions = html[html.index('id="suggestions"') :]
    assert "Grace Hopper" in suggestions and "You both lived in Watson Hall" in suggestions
    assert f"/met?attendee_id={room['grace']}" in suggestions
    assert 'hx-trigger="every 30s"' in suggestions


def test_maya_appears_in_suggestions_once_she_checks_in(client, room, ada, set_guest):
    """The polled list picks up people as they arrive (findable ones only)."""
    url = f"/e/{room['slug']}/suggestions"
    set_guest(room["maya"], consent_findable=True, residence_hall="Watson Hall")
    assert "Maya Iyer" not in client.get(url, headers=HTMX).get_data(as_text=True)
    set_guest(room["maya"], checked_in=True)
    assert "Maya Iyer" in client.get(url, headers=HTMX).get_data(as_text=True)


def test_consents_are_unticked_until_chosen(app, client, room, sign_in_guest):
    """A fresh profile has all three boxes clear; saving without ticking keeps them off."""
    token = sign_in_guest(client, room["maya"])
    html = client.get(f"/e/{room['slug']}/profile").get_data(as_text=True)
    for name in ("consent_findable", "consent_share_contact", "consent_digest"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert "checked" not in box
    client.post(f"/e/{room['slug']}/profile", data={"csrf_token": token, "consent_digest": "y"})
    saved = person(app, room["maya"])
    assert (saved.consent_findable, saved.consent_share_contact, saved.consent_digest) == (
        False,
        False,
        True,
    )


def test_profile_save_normalizes_tags_and_the_linkedin_address(app, client, room, ada):
    """ "FinTech" and "fin tech" are one interest; a bare LinkedIn address gets its https://www."""
    response = client.post(
        f"/e/{room['slug']}/profile",
        data={
            "csrf_token": ada,
            "interests": "FinTech; fin tech;  Rowing ;",
            "clubs": "Rowing; rowing",
            "can_help_with": "PM",
            "linkedin_url": "linkedin.com/in/ada-l/",
            "class_year": "2009",
        },
    )
    assert response.status_code == 303
    saved = person(app, room["ada"])
    assert [tags.key(t) for t in tags.split(saved.interests)] == ["fintech", "rowing"]
    assert saved.clubs == "Rowing"
    assert saved.can_help_with == "product management"
    assert saved.linkedin_url == "https://www.linkedin.com/in/ada-l"


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("linkedin_url", "https://evil.example/in/ada", "starting https://www.linkedin.com/"),
        (
            "linkedin_url",
            "javascript:alert(1)//linkedin.com/in/x",
            "starting https://www.linkedin.com/",
        ),
        ("networking_email", "ada@", "doesn't look like an email address"),
        ("class_year", "1850", "between 1900 and 2100"),
    ],
)
def test_bad_profile_values_are_refused_inline_and_on_save(
    app, client, room, ada, field, value, error
):
    """A failed save answers 422 with the message; the inline check says the same as you type."""
    before = getattr(person(app, room["ada"]), field)
    response = client.post(f"/e/{room['slug']}/profile", data={"csrf_token": ada, field: value})
    assert response.status_code == 422
    assert error in response.get_data(as_text=True).replace("&#39;", "'")
    assert getattr(person(app, room["ada"]), field) == before
    if field != "class_year":
        check = client.get(
            f"/e/{room['slug']}/profile/check/{field}", query_string={field: value}, headers=HTMX
        ).get_data(as_text=True)
        assert error in check.replace("&#39;", "'") and 'aria-invalid="true"' in check
        assert "<html" not in check


def test_the_inline_check_passes_a_good_address(client, room, ada):
    """A good LinkedIn address comes back without errors."""
    check = client.get(
        f"/e/{room['slug']}/profile/check/linkedin_url",
        query_string={"linkedin_url": "https://www.linkedin.com/in/ada"},
        headers=HTMX,
    ).get_data(as_text=True)
    assert "errors" not in check and "aria-invalid" not in check


def test_tag_suggestions_complete_the_tag_being_typed(client, room, ada, set_guest):
    """Typing "Rowing; comp" suggests the whole value with Grace's "compilers" completed."""
    url = f"/e/{room['slug']}/profile/tags/interests"
    html = client.get(url, query_string={"interests": "Rowing; comp"}, headers=HTMX).get_data(
        as_text=True
    )
    assert html.strip() == '<option value="Rowing; compilers"></option>'
    assert client.get(url, query_string={"interests": "Rowing; comp"}).status_code == 302


def test_the_room_list_shows_only_checked_in_findable_people_by_name(client, room, ada, set_guest):
    """Maya is not listed until in and findable; an email fragment finds no one."""
    url = f"/e/{room['slug']}/people"
    set_guest(room["maya"], consent_findable=True)
    assert "Maya Iyer" not in client.get(url).get_data(as_text=True)
    set_guest(room["maya"], checked_in=True)
    assert "Maya Iyer" in client.get(url, query_string={"q": "MAYA"}).get_data(as_text=True)
    assert "Maya Iyer" not in client.get(url, query_string={"q": "example.org"}).get_data(
        as_text=True
    )
    assert "Ada Lovelace" not in client.get(url).get_data(as_text=True)  # not myself


def test_we_met_saves_a_card_in_one_post(app, client, room, ada):
    """The card form saves note, tags and star and shows the card; a repeat records nothing."""
    url = f"/e/{room['slug']}/met?attendee_id={room['grace']}"
    form = {
        "csrf_token": ada,
        "nonce": str(uuid.uuid4()),
        "note": "Talk about COBOL",
        "tags": ["coffee", "intro"],
        "starred": "y",
    }
    first = client.post(url, data=form)
    assert first.status_code == 303 and card_count(app) == 1
    assert client.post(url, data=form).headers["Location"] == first.headers["Location"]
    assert card_count(app) == 1
    html = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Talk about COBOL" in html and "Coffee" in html and "Intro" in html
    assert "Follow up" in html and "Edit" in html and "Delete" in html


def test_a_scanned_code_opens_the_card_form_as_a_fragment(client, room, ada):
    """The scan page's lookup answers with the card form, wired to the cards API."""
    html = client.get(
        f"/e/{room['slug']}/met", query_string={"code": room["grace_qr"]}, headers=HTMX
    ).get_data(as_text=True)
    assert "<html" not in html and "Grace Hopper" in html and "to people you met" in html
    assert f'data-api="/api/v1/events/{room["slug"]}/cards"' in html
    assert "You both lived in Watson Hall" in html


def test_scanning_someone_already_on_my_cards_goes_to_their_card(app, client, room, ada):
    """From the scan page (htmx) the whole page moves to the card; without htmx, a redirect."""
    card_id = record(app, room["ada"], room["grace"])
    url = f"/e/{room['slug']}/met?code={room['grace_qr']}"
    card_url = f"/e/{room['slug']}/cards/{card_id}"
    assert client.get(url, headers=HTMX).headers["HX-Redirect"] == card_url
    assert client.get(url).headers["Location"] == card_url


@pytest.mark.parametrize(
    "whose, message", [("mine", "your own code"), ("nobody", "not a ticket for this event")]
)
def test_my_own_or_an_unknown_code_says_so(client, room, ada, whose, message):
    """No card form for my own code or someone else's ticket; a 422 with the reason."""
    code = room["ada_qr"] if whose == "mine" else "http://127.0.0.1:5000/t/" + "A" * 32
    response = client.get(f"/e/{room['slug']}/met", query_string={"code": code}, headers=HTMX)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("\u2019", "'")


def test_connect_back_is_one_tap_and_makes_us_mutual(app, client, room, ada, set_guest):
    """Grace recorded Ada; Ada taps Connect back; both are connected, contacts once both share."""
    record(app, room["grace"], room["ada"], "Grace's private thought")
    home = client.get(room["home"]).get_data(as_text=True)
    assert "Connect back" in home and "Grace Hopper" in home
    form = re.search(r'action="([^"]+/back/\d+)"', home).group(1)
    nonce = re.search(r'name="nonce" value="([^"]+)"', home).group(1)
    response = client.post(form, data={"csrf_token": ada, "nonce": nonce})
    assert response.status_code == 303
    card = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Connected" in card and "mailto:" not in card
    assert "Grace's private thought" not in card and "Grace&#39;s private thought" not in card
    set_guest(room["ada"], consent_share_contact=True)
    set_guest(room["grace"], consent_share_contact=True, networking_email="grace@navy.example")
    listed = client.get(f"/e/{room['slug']}/cards").get_data(as_text=True)
    assert "Connected" in listed and "mailto:grace@navy.example" in listed
    with app.app_context():
        assert db.session.scalar(select(Card.via).where(Card.author_id == room["ada"])) == "back"


def test_contact_details_need_both_consents(client, room, ada, app, set_guest):
    """Mutual, but Grace did not choose to share: no email shown to Ada."""
    record(app, room["grace"], room["ada"])
    card_id = record(app, room["ada"], room["grace"])
    set_guest(room["ada"], consent_share_contact=True)
    set_guest(room["grace"], networking_email="grace@navy.example")
    html = client.get(f"/e/{room['slug']}/cards/{card_id}").get_data(as_text=True)
    assert "Connected" in html and "grace@navy.example" not in html


def test_edit_and_delete_my_card(app, client, room, ada):
    """Edit changes the note; delete asks first (GET changes nothing), then deletes."""
    card_id = record(app, room["ada"], room["grace"], "first")
    base = f"/e/{room['slug']}/cards/{card_id}"
    assert (
        client.post(f"{base}/edit", data={"csrf_token": ada, "note": "second"}).status_code == 303
    )
    assert "second" in client.get(base).get_data(as_text=True)
    assert "Delete card" in client.get(f"{base}/delete").get_data(as_text=True)
    assert card_count(app) == 1
    assert client.post(f"{base}/delete", data={"csrf_token": ada}).status_code == 303
    assert card_count(app) == 0


@pytest.mark.parametrize(
    "suffix, method",
    [("", "GET"), ("/edit", "GET"), ("/edit", "POST"), ("/delete", "GET"), ("/delete", "POST")],
)
def test_i_cannot_open_someone_elses_card(app, client, room, ada, suffix, method):
    """Grace's card (and its note) is not found for Ada, whatever the page."""
    card_id = record(app, room["grace"], room["ada"], "Grace-only-note")
    response = client.open(
        f"/e/{room['slug']}/cards/{card_id}{suffix}",
        method=method,
        data={"csrf_token": ada, "note": "hijack"},
    )
    assert response.status_code == 404
    assert "Grace-only-note" not in response.get_data(as_text=True)
    assert card_count(app) == 1


def test_markup_in_notes_and_profiles_renders_as_text(app, client, room, ada, set_guest):
    """Script, htmx attributes and broken-out tags show as text on every page."""
    nasty = " ".join(NASTY)
    set_guest(room["grace"], role=nasty, employer=nasty, residence_hall=nasty, city=nasty)
    set_guest(room["ada"], residence_hall=nasty, major=nasty, interests=NASTY[0])
    card_id = record(app, room["ada"], room["grace"], nasty)
    for url in pages(room)[:5] + [
        f"/e/{room['slug']}/cards",
        f"/e/{room['slug']}/cards/{card_id}",
        f"/e/{room['slug']}/cards/{card_id}/edit",
    ]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert not re.search(r"<[^>]*hx-get=\"/e/x/sign-out", html), url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(
        f"/e/{room['slug']}/cards/{card_id}"
    ).get_data(as_text=True)


def test_ticket_link_for_a_fellow_guest_opens_the_card_form(client, room, ada):
    """Ada's phone camera opens Grace's QR: "Add Grace Hopper to people you met", no QR."""
    html = client.get(path(room["grace_qr"])).get_data(as_text=True)
    assert "to people you met" in html and "Grace Hopper" in html
    assert "Ticket QR code" not in html
    assert 'action="/e/' in html and "via=link" in html


def test_ticket_link_for_its_holder_shows_the_ticket(client, room, ada):
    """Ada's own code shows her ticket and the way into the app."""
    html = client.get(path(room["ada_qr"])).get_data(as_text=True)
    assert "Ticket QR code for Ada Lovelace" in html and "Open the event app" in html


def test_ticket_link_for_a_stranger_shows_the_name_and_a_sign_in_prompt(client, room):
    """Not signed in: only the name and how to sign in; the QR stays with its holder."""
    html = client.get(path(room["grace_qr"])).get_data(as_text=True)
    assert "Grace Hopper" in html and "Ticket QR code" not in html
    assert f"/e/{room['slug']}/link-again" in html
    assert "Rear admiral" not in html and "Watson Hall" not in html


def test_sign_out_ends_the_session(client, room, ada):
    """After signing out, the event home is no longer there for this browser."""
    response = client.post(f"/e/{room['slug']}/sign-out", data={"csrf_token": ada})
    assert response.status_code == 303
    assert "signed out" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(room["home"]).status_code == 404


def test_forms_without_a_csrf_token_are_refused(app, client, room, ada):
    """A cross-site form post records nothing."""
    response = client.post(
        f"/e/{room['slug']}/met?attendee_id={room['grace']}",
        data={"nonce": str(uuid.uuid4()), "note": "forged"},
    )
    assert response.status_code in (400, 422) and card_count(app) == 0
    assert csrf_token(client, room["home"])
