"""The organizer's event, checked and loaded once for every page under /events/<slug>.

A blueprint with pages there is made with `organizer_event(Blueprint(...))`. Then, for each of
its routes whose rule starts with /events/<slug>:
- the slug leaves the view's arguments: the view reads the event from `g.event` and builds its
  links from `event.slug`;
- after the app's own checks (the CSRF check comes first, as for any view), anyone not signed in
  as an organizer is sent to sign in (an htmx request gets 401 with HX-Refresh);
- the event with that slug of one of the signed-in organizer's associations goes on `g.event`
  and their role on its team on `g.role`; another association's event, or none, is 404;
- a viewer may only read: every route that accepts anything but GET (its form page included)
  and the GET pages in FOR_CHANGERS (which show secrets that act, such as a door pass's link)
  answer 403. The rule reads the route's methods, so a new POST route is covered without a
  line here (tests/associations/test_roles.py walks the url_map to check);
- once the event's personal data is deleted (checkin/privacy/purge.py), its page shows what it
  keeps (the anonymous counts) and every other page but "Edit event" answers 410 Gone with
  the same.
The blueprint's other routes (/events, /events/new, the mail links) are left alone.
"""

from flask import Blueprint, abort, g, render_template, request

from ..accounts import users
from ..associations import teams
from ..extensions import login_manager
from ..privacy import tallies
from . import events

EVENT_PAGES = "/events/<slug>"
OPEN_AFTER_PURGE = {"events.edit_event"}  # the name and dates stay the organizer's to change
FOR_CHANGERS = frozenset(
    {
        "events.door_pass",  # the door link and its QR open the door
        "privacy_organizer.confirm_purge",  # the page of a button a viewer may not press
        "print.page",  # badge sheets carry every guest's ticket QR
        "print.guests",
        "print.job",
        "digest.preview",  # one guest's own digest: their cards and introductions
        "digest.preview_html",
        "mail.outbox",  # the sent emails, each with a guest's personal link
        "mail.message",
        "mail.message_html",
    }
)


def organizer_event(bp: Blueprint) -> Blueprint:
    """The blueprint, its pages under /events/<slug> given the organizer's event as g.event."""
    bp.url_value_preprocessor(_take_slug)
    bp.before_request(_load_event)
    return bp


def _take_slug(_endpoint, values) -> None:
    if request.url_rule.rule.startswith(EVENT_PAGES):
        g.event_slug = values.pop("slug")


def _load_event():
    """Sign in for anyone but an organizer; for an organizer, their event or 404."""
    if "event_slug" not in g:
        return None
    organizer = users.signed_in_organizer()
    if organizer is None:
        return login_manager.unauthorized()
    g.event, g.role = events.event_and_role(organizer, g.event_slug)
    if changes_things() and not teams.can_change(g.role):
        abort(403)
    if g.event.purged_at is not None and request.endpoint not in OPEN_AFTER_PURGE:
        return _purged(g.event)
    return None


def changes_things() -> bool:
    """True when this route is for those who may change the event: it takes more than GET
    (a form page too), or it shows a secret that acts."""
    return bool(request.url_rule.methods - events.READING) or request.endpoint in FOR_CHANGERS


def _purged(event):
    """The page of an event whose personal data is gone: what it keeps (410 but on its page)."""
    page = render_template("privacy/purged.html", event=event, tally=tallies.tally_of(event))
    return page, 200 if request.endpoint == "events.event" else 410
