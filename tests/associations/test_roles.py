"""Roles, found by walking the URL map: a viewer changes nothing, an organizer of one association
sees nothing of another's, organizers and owners run their association's events."""

import uuid

import pytest
from sqlalchemy import select

from checkin.events.events import READING
from checkin.events.organizer_event import FOR_CHANGERS
from checkin.extensions import db

from .conftest import join

SKIPPED = {"HEAD", "OPTIONS"}


def routes(app, prefix: str):
    """(rule, method) for every route under this prefix, HEAD and OPTIONS left out."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix):
            for method in sorted(rule.methods - SKIPPED):
                yield rule, method


def url(app, rule, values: dict) -> str:
    """The rule's URL, its arguments from values (an unknown int argument is 1)."""
    filled = {a: values.get(a, 1) for a in rule.arguments}
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, filled)


def rows(app) -> dict:
    """Every row of every table, to compare before and after."""
    with app.app_context():
        return {
            t.name: sorted(repr(tuple(r)) for r in db.session.execute(select(t)))
            for t in db.metadata.sorted_tables
        }


def form(token: str) -> dict:
    """A form body that would pass most forms: the CSRF token and plausible fields."""
    return {
        "csrf_token": token, "name": "Changed", "confirm": "y", "hours": "5",
        "nonce": uuid.uuid4().hex, "role": "owner", "email": "x@example.org", "scope": "all",
        "days": "30", "description": "Changed",
    }  # fmt: skip


def changing(rule, method) -> bool:
    """Routes a viewer may not use: any method but reading, a form page, a secret's page."""
    return bool(rule.methods - READING) or rule.endpoint in FOR_CHANGERS


def test_a_viewer_is_refused_every_change(app, two_teams, signed_in_as):
    """Every route under /events/<slug> that changes things (a form page's GET too) answers a
    viewer 403, and no row changes."""
    client, token = signed_in_as("vera@example.org")
    values = {**two_teams["a"], "attendee_id": two_teams["a"]["attendee_id"]}
    before, checked = rows(app), 0
    for rule, method in routes(app, "/events/<slug>"):
        if not changing(rule, method):
            continue
        reply = client.open(url(app, rule, values), method=method, data=form(token))
        assert reply.status_code == 403, f"{method} {rule.rule} answered {reply.status_code}"
        checked += 1
    assert checked >= 30
    assert rows(app) == before


def test_a_viewer_reads_lists_and_counts(app, two_teams, signed_in_as):
    """Every reading route under /events/<slug> answers a viewer (no 403), and the event page
    hides what they cannot use."""
    client, _ = signed_in_as("vera@example.org")
    checked = 0
    for rule, method in routes(app, "/events/<slug>"):
        if changing(rule, method):
            continue
        reply = client.open(url(app, rule, two_teams["a"]), method=method)
        assert reply.status_code not in (401, 403), f"{method} {rule.rule}"
        checked += 1
    assert checked >= 10
    page = client.get(f"/events/{two_teams['a']['slug']}").get_data(as_text=True)
    assert "Alpha Guest" in page and "Create door pass" not in page


def test_a_teams_organizer_runs_its_events(app, two_teams, signed_in_as):
    """Otto, an organizer on Olga's team, makes a door pass at her event and edits it."""
    client, token = signed_in_as("otto@example.org")
    slug = two_teams["a"]["slug"]
    reply = client.post(
        f"/events/{slug}/door-passes", data={"csrf_token": token, "name": "Side", "hours": "4"}
    )
    assert reply.status_code == 302 and "/door-passes/" in reply.location
    assert client.get(f"/events/{slug}/edit").status_code == 200


def test_only_owners_change_the_team(app, two_teams, signed_in_as):
    """Every change to the team (settings, invitations, roles, removals) answers an organizer
    and a viewer 403, and no row changes."""
    values = {"slug": two_teams["a"]["association_slug"], "member_id": two_teams["vera"]}
    before, checked = rows(app), 0
    for email in ("otto@example.org", "vera@example.org"):
        client, token = signed_in_as(email)
        assert client.get(f"/teams/{values['slug']}").status_code == 200
        for rule, method in routes(app, "/teams/<slug>"):
            if method == "GET":
                continue
            reply = client.open(url(app, rule, values), method=method, data=form(token))
            assert reply.status_code == 403, (
                f"{email}: {method} {rule.rule} answered {reply.status_code}"
            )
            checked += 1
    assert checked >= 10
    assert rows(app) == before


def test_one_association_sees_nothing_of_another(app, two_teams, signed_in_as):
    """Otto (organizer of A) gets 404 for every route of B's event and B's team, changes
    nothing, and his events list shows A's event only."""
    client, token = signed_in_as("otto@example.org")
    b = {**two_teams["b"], "slug": two_teams["b"]["slug"]}
    before, checked = rows(app), 0
    for prefix, slug in (("/events/<slug>", b["slug"]), ("/teams/<slug>", b["association_slug"])):
        for rule, method in routes(app, prefix):
            reply = client.open(
                url(app, rule, {**b, "slug": slug}), method=method, data=form(token)
            )
            assert reply.status_code == 404, f"{method} {rule.rule} answered {reply.status_code}"
            checked += 1
    assert checked >= 50
    assert rows(app) == before
    listing = client.get("/events").get_data(as_text=True)
    assert "Alpha Reunion" in listing and "Bravo Reunion" not in listing


def test_the_events_list_is_grouped_by_association(app, two_teams, signed_in_as):
    """Bea, also a viewer on Olga's team, sees each association's heading, her role there,
    and its events under it."""
    with app.app_context():
        join(two_teams["a"]["association_id"], "bea@example.org", "viewer")
    client, _ = signed_in_as("bea@example.org")
    page = client.get("/events").get_data(as_text=True).replace("&#39;", "'")
    order = ["bea@example.org's events", "Team · Owner", "Bravo Reunion"]
    order += ["olga@example.org's events", "Team · Viewer", "Alpha Reunion"]
    assert [page.index(text) for text in order] == sorted(page.index(text) for text in order)


def test_event_of_refuses_a_viewer_a_change_however_it_is_called(app, two_teams):
    """event_of() in a POST request (as a view outside the organizer pages would call it), or
    with change=True, is 403 for a viewer and gives the event to an organizer; a GET reads."""
    from werkzeug.exceptions import Forbidden

    from checkin.accounts import users
    from checkin.events import events

    slug = two_teams["a"]["slug"]
    with app.test_request_context(method="POST"):
        vera, otto = (users.find_by_email(f"{n}@example.org") for n in ("vera", "otto"))
        assert events.event_of(otto, slug).slug == slug
        with pytest.raises(Forbidden):
            events.event_of(vera, slug)
    with app.test_request_context(method="GET"):
        assert events.event_of(vera, slug).slug == slug
        with pytest.raises(Forbidden):
            events.event_of(vera, slug, change=True)
