"""Every page under /events/<slug> is its organizer's alone, found by walking the URL map so that
a route added later is held to the same: signed out, sign in; someone else's event, 404."""

import pytest
from conftest import csrf_token
from support.pages import HTMX

EVENT_PAGES = "/events/<slug>"


def event_rules(app) -> list:
    """Every rule under /events/<slug>."""
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(EVENT_PAGES)]


def paths(app, slug: str) -> list[tuple[str, str]]:
    """(method, URL) of every event page for this slug, stand-ins for the other arguments;
    HEAD and OPTIONS left out."""
    found = []
    adapter = app.url_map.bind("localhost")
    for rule in event_rules(app):
        values = {name: _stand_in(rule, name, slug) for name in rule.arguments}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, adapter.build(rule.endpoint, values, method=method)))
    return found


def _stand_in(rule, name: str, slug: str):
    if name == "slug":
        return slug
    return 1 if type(rule._converters[name]).__name__ == "IntegerConverter" else "x"


def test_the_walk_finds_the_event_pages(app):
    """The walk sees the organizer's pages of every part of the app, so it checks something."""
    blueprints = {rule.endpoint.split(".")[0] for rule in event_rules(app)}
    walked = paths(app, "fall-reunion")
    assert len(walked) >= 40
    assert {"events", "imports", "print", "digest", "mail"} <= blueprints
    assert ("POST", "/events/fall-reunion/import/x/confirm") in walked


@pytest.mark.parametrize("whose", ["another organizer's", "no one's"])
def test_an_event_not_mine_is_not_found_on_any_page(app, client, sign_in, make_event, whose):
    """Signed in, every method of every page of someone else's (or no) event answers 404."""
    make_event("My Reunion", email="me@example.org")
    theirs = make_event("Their Gala", email="them@example.org")
    slug = theirs if whose == "another organizer's" else "no-such-event"
    assert sign_in(email="me@example.org").status_code == 302
    token = csrf_token(client, "/events")
    for method, path in paths(app, slug):
        for headers in ({}, HTMX):
            reply = client.open(path, method=method, headers=headers, data={"csrf_token": token})
            assert reply.status_code == 404, f"{method} {path} {headers} → {reply.status_code}"
            assert "Their Gala" not in reply.get_data(as_text=True)


def test_signed_out_every_event_page_sends_you_to_sign_in(app, client, make_event):
    """Signed out, every method of every event page redirects to sign in and back."""
    slug = make_event()
    token = csrf_token(client)  # a valid token, so CSRF is not what stops the request
    for method, path in paths(app, slug):
        reply = client.open(path, method=method, data={"csrf_token": token})
        assert reply.status_code == 302, f"{method} {path} → {reply.status_code}"
        assert reply.location.startswith("/sign-in?next="), f"{method} {path}"


def test_signed_out_htmx_on_every_event_page_reloads_the_page(app, client, make_event):
    """Signed out, htmx requests to event pages get 401 with HX-Refresh, never a fragment."""
    slug = make_event()
    token = csrf_token(client)
    for method, path in paths(app, slug):
        reply = client.open(path, method=method, headers=HTMX, data={"csrf_token": token})
        assert reply.status_code == 401, f"{method} {path} → {reply.status_code}"
        assert reply.headers["HX-Refresh"] == "true"
