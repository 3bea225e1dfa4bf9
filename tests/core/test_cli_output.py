"""What the commands print for a newcomer: the stored email, JSON errors, a demo on the hour."""

import json
import re

from checkin.events import events, tickets
from checkin.models import utcnow


def test_create_organizer_prints_the_email_as_stored(app, runner):
    """The address is echoed as it is kept (lower case), so the newcomer signs in with that."""
    result = runner.invoke(
        args=["create-organizer", "Ada.Lovelace@Example.org", "--password", "long enough password"]
    )
    assert result.exit_code == 0, result.output
    assert "Created organizer ada.lovelace@example.org." in result.output


def test_import_guests_json_reports_an_unknown_event_as_json(runner, tmp_path):
    """With --json an unknown slug still prints one JSON object, and the exit status is 1."""
    guests = tmp_path / "guests.csv"
    guests.write_text("Name,Email\nAda Lovelace,ada@example.org\n", encoding="utf-8")
    result = runner.invoke(args=["import-guests", "no-such-event", str(guests), "--json"])
    assert result.exit_code == 1
    first_line = result.output.splitlines()[0]
    assert json.loads(first_line) == {"error": "No event with the slug 'no-such-event'."}


def test_demo_event_starts_on_the_hour_and_is_under_way(app, runner):
    """The demo's times read like a real event's (18:00, not 17:43), and it is going on now."""
    info = json.loads(runner.invoke(args=["demo", "--json", "--guests", "3"]).output)
    with app.app_context():
        event = events.by_slug(info["event"]["slug"])
        assert (event.starts_at.minute, event.starts_at.second) == (0, 0)
        assert event.starts_at < utcnow() < event.ends_at


def test_demo_code_is_the_text_of_the_qr_the_organizer_sees(client, runner, sign_in):
    """The ticket page the organizer opens draws the QR of exactly the printed `code`."""
    info = json.loads(runner.invoke(args=["demo", "--json", "--guests", "3"]).output)
    sign_in(info["organizer"]["email"], info["organizer"]["password"])
    person = info["guests"][0]
    page = client.get(person["ticket_url"].removeprefix("http://127.0.0.1:5000"))
    drawn = re.search(r'<svg class="qr".*?\sd="([^"]+)"', page.get_data(as_text=True), re.S)
    expected = re.search(r'\sd="([^"]+)"', tickets.qr_svg(person["code"]))
    assert drawn is not None and drawn.group(1) == expected.group(1)
