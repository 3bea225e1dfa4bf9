"""Organizer accounts: sign-in, sign-out, safe redirects, rate limits, create-organizer."""

from urllib.parse import urlencode

import pytest
from conftest import PASSWORD, csrf_token
from sqlalchemy import select
from support.pages import HTMX, readable

from checkin.accounts import users
from checkin.extensions import db
from checkin.models import Organizer


@pytest.fixture
def organizer(make_organizer):
    """An organizer account: organizer@example.org with the suite's password."""
    make_organizer()
    return "organizer@example.org"


def post_sign_in(client, email, password, query=""):
    """Submit the sign-in form (with a CSRF token) and return the reply."""
    token = csrf_token(client)
    return client.post(
        "/sign-in" + query, data={"email": email, "password": password, "csrf_token": token}
    )


def test_sign_in_page_has_a_labelled_form(client):
    """The page asks for email and password, with labels and autocomplete hints."""
    reply = client.get("/sign-in")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert '<label for="email">Email</label>' in html
    assert 'autocomplete="current-password"' in html


def test_right_password_signs_in(client, organizer):
    """The organizer lands on their events."""
    reply = post_sign_in(client, "Organizer@Example.org", PASSWORD)
    assert reply.status_code == 302 and reply.location == "/events"
    assert client.get("/events").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("organizer@example.org", "wrong password entirely"),
        ("nobody@example.org", PASSWORD),
    ],
)
def test_failed_sign_in_says_so_with_422(client, organizer, email, password):
    """Wrong password and unknown email get the same clear message, and no session."""
    reply = post_sign_in(client, email, password)
    assert reply.status_code == 422
    assert "Sign-in failed: that email and password do not match an organizer account." in readable(
        reply
    )
    assert f'value="{email}"' in reply.get_data(as_text=True)
    assert client.get("/events").status_code == 302


@pytest.mark.parametrize(("email", "password"), [("", ""), ("not-an-email", PASSWORD)])
def test_incomplete_sign_in_is_422(client, organizer, email, password):
    """Empty or malformed fields are refused with the reason beside them."""
    reply = post_sign_in(client, email, password)
    assert reply.status_code == 422
    assert "Sign-in failed" in readable(reply)


def test_protected_page_sends_you_back_after_signing_in(client, organizer, make_event):
    """Opening an event signed out asks to sign in, then goes to that event."""
    slug = make_event()
    first = client.get(f"/events/{slug}")
    assert first.status_code == 302 and first.location.startswith("/sign-in?next=")
    form_page = client.get(first.location).get_data(as_text=True)
    assert f"next=/events/{slug}" in form_page.replace("%2F", "/")
    reply = post_sign_in(client, organizer, PASSWORD, query=f"?next=/events/{slug}")
    assert reply.location == f"/events/{slug}"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/%0a/evil.example".replace("%0a", "\n"),
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "https:/evil.example",
        " //evil.example",
    ],
)
def test_next_never_leaves_the_site(client, organizer, target):
    """A `next` that could lead to another site is ignored: you land on your events."""
    reply = post_sign_in(client, organizer, PASSWORD, query="?" + urlencode({"next": target}))
    assert reply.status_code == 302
    assert reply.location == "/events"


@pytest.mark.parametrize("target", ["/events", "/events/x?page=2", "/events/x#door-passes"])
def test_next_on_this_site_is_followed(client, organizer, target):
    """A plain path on this site is where you land."""
    reply = post_sign_in(client, organizer, PASSWORD, query="?" + urlencode({"next": target}))
    assert reply.location == target


def test_signed_in_organizer_skips_the_form(client, organizer, sign_in):
    """Opening sign-in while signed in goes to the events."""
    sign_in()
    reply = client.get("/sign-in")
    assert reply.status_code == 302 and reply.location == "/events"


def test_sign_out(client, organizer, sign_in):
    """Signing out ends the session and says so."""
    sign_in()
    token = csrf_token(client, "/events")
    reply = client.post("/sign-out", data={"csrf_token": token})
    assert reply.status_code == 302
    assert "You are signed out." in readable(client.get(reply.location))
    assert client.get("/events").status_code == 302


def test_sign_out_is_post_only(client, organizer, sign_in):
    """A link or image cannot sign anyone out: GET is not allowed."""
    sign_in()
    assert client.get("/sign-out").status_code == 405
    assert client.get("/events").status_code == 200


def test_password_is_stored_hashed(app, organizer):
    """The database keeps a salted hash, never the password."""
    with app.app_context():
        stored = db.session.scalar(select(Organizer.password_hash))
    assert PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


# flask --app checkin create-organizer


def test_create_organizer_command_prompts_for_the_password(app, runner, client):
    """The command asks for the password twice and the new organizer can sign in."""
    result = runner.invoke(
        args=["create-organizer", "new@example.org", "--name", "Ada"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created organizer new@example.org." in result.output
    assert post_sign_in(client, "new@example.org", PASSWORD).status_code == 302


def test_create_organizer_command_refuses_a_duplicate(runner, organizer):
    """The same email twice fails with a message and a non-zero exit."""
    result = runner.invoke(
        args=["create-organizer", "ORGANIZER@example.org", "--password", "another long password"]
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_create_organizer_command_refuses_a_short_password(app, runner):
    """A password under 10 characters is refused and no account is made."""
    result = runner.invoke(args=["create-organizer", "new@example.org", "--password", "short"])
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    with app.app_context():
        assert users.find_by_email("new@example.org") is None


def test_create_organizer_command_refuses_a_bad_email(app, runner):
    """Something that is not an email address is refused."""
    result = runner.invoke(
        args=["create-organizer", "not an email", "--password", "long enough password"]
    )
    assert result.exit_code == 1
    assert "email" in result.output.lower()
    with app.app_context():
        assert db.session.scalar(select(Organizer.id)) is None


def test_expired_session_htmx_poll_reloads_the_page(client, make_event):
    """A signed-out htmx poll gets 401 with HX-Refresh, never the sign-in page as a fragment."""
    slug = make_event()
    reply = client.get(f"/events/{slug}", headers=HTMX)
    assert reply.status_code == 401
    assert reply.headers["HX-Refresh"] == "true"
    assert b"sign-in" not in reply.data.lower()


def test_signed_out_page_redirects_to_sign_in_with_next(client, make_event):
    """A plain request is sent to sign in and told why, with the page to come back to."""
    slug = make_event()
    reply = client.get(f"/events/{slug}")
    assert reply.status_code == 302
    assert f"next=%2Fevents%2F{slug}" in reply.headers["Location"]
    assert "Sign in to see that page." in client.get(reply.headers["Location"]).get_data(
        as_text=True
    )
