"""Bad input on the registration form: clear answers, nothing half-written, nothing sent."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import Guest, Registration, utcnow

from .test_register import registrations


def count(app) -> int:
    """How many registrations there are."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Registration))


@pytest.mark.parametrize(
    "email",
    ["", "ada", "ada@", "@example.org", "ada@@example.org", "ada example@x.org", "a<b>@x.org"],
)
def test_malformed_emails_are_refused_with_the_form_again(app, client, open_event, filled, email):
    """422, the form re-rendered with a clear message and what was typed; nothing saved."""
    answer = client.post(f"/e/{open_event}/register", data=filled(email=email))
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "email address" in html and 'action="/e/' in html
    assert 'value="Ada Lovelace"' in html  # kept as typed
    assert count(app) == 0


def test_a_ten_thousand_character_name_is_refused(app, client, open_event, filled):
    """A clear "keep it under 200", nothing saved."""
    answer = client.post(f"/e/{open_event}/register", data=filled(name="A" * 10_000))
    assert answer.status_code == 422
    assert "Please keep your name under 200 characters." in answer.get_data(as_text=True)
    assert count(app) == 0


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("1850", "between 1900 and"),
        ("3000", "between 1900 and"),
        ("nineteen", "integer"),
        ("", "Please answer"),
    ],
)
def test_an_implausible_class_year_is_refused(app, client, open_event, filled, year, message):
    """The required class year: a number from 1900 to ten years from now."""
    answer = client.post(f"/e/{open_event}/register", data=filled(class_year=year))
    assert answer.status_code == 422 and message in answer.get_data(as_text=True)
    assert count(app) == 0


def test_next_years_class_is_plausible(app, client, open_event, filled):
    """Students about to graduate register too."""
    year = str(utcnow().year + 1)
    assert client.post(f"/e/{open_event}/register", data=filled(class_year=year)).status_code == 303


def test_markup_is_kept_as_text_and_shown_escaped(app, client, open_event, filled):
    """A name with markup is saved as typed and never rendered as markup."""
    name = '<script>alert("x")</script><b>Ada</b>'
    data = filled(name=name, industry="<img src=x onerror=alert(1)>", email="bad@x.org")
    answer = client.post(f"/e/{open_event}/register", data=data)
    assert answer.status_code == 303
    assert registrations(app)[0].name == name
    broken = client.post(f"/e/{open_event}/register", data=filled(name=name, email="nope"))
    html = broken.get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_the_honeypot_answers_like_a_registration_and_keeps_nothing(
    app, client, open_event, filled, inbox, smtp_url
):
    """A bot fills every field: the same 303 a person gets, no row, no email."""
    answer = client.post(f"/e/{open_event}/register", data=filled(website="http://spam.example"))
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/registered")
    assert count(app) == 0 and inbox.messages == []


def test_too_fast_is_refused_clearly_and_the_form_kept(app, client, open_event, filled):
    """Sent back within the minimum time: 422, "please take a moment", nothing saved; a moment
    later the same form goes through."""
    app.config["REGISTRATION_MIN_SECONDS"] = 3600
    answer = client.post(f"/e/{open_event}/register", data=filled())
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Please take a moment" in html and 'value="ada@example.org"' in html
    assert count(app) == 0
    app.config["REGISTRATION_MIN_SECONDS"] = 0
    assert client.post(f"/e/{open_event}/register", data=filled()).status_code == 303


@pytest.mark.parametrize("started", ["", "forged", "MQ.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb"])
def test_a_missing_or_forged_time_stamp_is_refused(app, client, open_event, filled, started):
    """The stamp must be ours: else 422 with a fresh form to send again."""
    answer = client.post(f"/e/{open_event}/register", data=filled(started=started))
    assert answer.status_code == 422
    assert "Please check it and send again" in answer.get_data(as_text=True)
    assert count(app) == 0


def test_csrf_is_required(app, client, open_event, filled):
    """No CSRF token: 400, nothing saved."""
    data = filled()
    del data["csrf_token"]
    assert client.post(f"/e/{open_event}/register", data=data).status_code == 400
    assert count(app) == 0


def test_confirming_needs_csrf(app, client, open_event, filled, inbox, smtp_url):
    """A confirmation POST without its token confirms nothing."""
    from .test_register import confirm_path

    client.post(f"/e/{open_event}/register", data=filled())
    path = confirm_path(inbox.to("ada@example.org")[0])
    assert client.post(path).status_code == 400
    assert registrations(app)[0].status == "unconfirmed"


def test_get_never_changes_state(app, client, open_event, filled, inbox, smtp_url):
    """Every GET of the flow leaves the database as it was."""
    from .test_register import confirm_path

    client.post(f"/e/{open_event}/register", data=filled())
    before = [(r.status, r.token_hash, r.confirmed_at) for r in registrations(app)]
    path = confirm_path(inbox.to("ada@example.org")[0])
    for url in (f"/e/{open_event}", f"/e/{open_event}/registered", path, path):
        assert client.get(url).status_code == 200
    assert client.get(f"/e/{open_event}/register").status_code == 405
    assert [(r.status, r.token_hash, r.confirmed_at) for r in registrations(app)] == before


def test_the_same_email_twenty_times_at_once_makes_one_registration(app, open_event, filled):
    """Twenty submits in parallel (threads, each its own client): one row, every answer clear."""
    clients = [app.test_client() for _ in range(20)]
    forms = [filled(test_client=c) for c in clients]
    start, answers = threading.Barrier(20), []

    def submit(c, data):
        start.wait()
        answers.append(c.post(f"/e/{open_event}/register", data=data).status_code)

    threads = [
        threading.Thread(target=submit, args=pair) for pair in zip(clients, forms, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [303] * 20
    assert count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Guest)) == 0


@pytest.mark.parametrize(
    ("settings", "heading", "status"),
    [
        ({"registration": "paused"}, "Registration is paused", 409),
        ({"registration": "closed"}, "Registration is closed", 409),
        ({"registration_deadline": utcnow() - timedelta(minutes=1)}, "Registration is closed", 409),
    ],
)
def test_no_registration_unless_open(
    app, client, open_event, filled, set_event, settings, heading, status
):
    """Paused, closed or past the deadline: the page says so and a POST saves nothing."""
    data = filled()
    set_event(open_event, **settings)
    page = client.get(f"/e/{open_event}").get_data(as_text=True)
    assert heading in page and 'action="/e/' not in page
    answer = client.post(f"/e/{open_event}/register", data=data)
    assert answer.status_code == status and heading in answer.get_data(as_text=True)
    assert count(app) == 0


def test_registration_off_is_not_found(app, client, open_event, set_event):
    """An event that takes no registrations has no public page, nor a form to post to."""
    set_event(open_event, registration="off")
    assert client.get(f"/e/{open_event}").status_code == 404
    assert client.post(f"/e/{open_event}/register", data={}).status_code in (400, 404)
    assert client.get("/e/no-such-event").status_code == 404


def test_only_a_linkedin_address_passes_for_linkedin(app, client, open_event, filled, set_event):
    """The LinkedIn question takes a LinkedIn profile only, stored in its usual form."""
    set_event(open_event, registration_questions={"linkedin_url": "optional"})
    data = filled(linkedin_url="https://evil.example/in/ada")
    answer = client.post(f"/e/{open_event}/register", data=data)
    assert answer.status_code == 422 and "Use your LinkedIn address" in answer.get_data(
        as_text=True
    )
    good = filled(linkedin_url="linkedin.com/in/ada-lovelace")
    assert client.post(f"/e/{open_event}/register", data=good).status_code == 303
    assert registrations(app)[0].answers["linkedin_url"].startswith("https://www.linkedin.com/in/")
