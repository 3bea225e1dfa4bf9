"""The pages the digest's links open: unsubscribe, connect back, "I'd like to meet".

Each link carries a signed token (mail_links) instead of a session. A GET only shows what the
link would do and a button; the POST acts, and a repeat changes nothing more.
"""

from flask import Blueprint, abort, make_response, render_template, request

from .. import cards, links, mail_links, meetings, subscriptions
from ..extensions import csrf
from ..models import Attendee
from ..rate_limits import Rule, limited

bp = Blueprint("digest_links", __name__)

UNSUBSCRIBE, CONNECT, MEET = (mail_links.PATHS[p] for p in ("unsubscribe", "connect", "meet"))
TOO_MANY = "Too many requests from this link."


def _token() -> str:
    """The rate-limit key for one link, whoever uses it."""
    return "mail-link:" + (request.view_args or {}).get("token", "")[:200]


PER_LINK = Rule("10 per minute", "mail-link", TOO_MANY, _token)
# Mail providers send one-click unsubscribes for all their users from a few addresses, so
# the unsubscribe POST has a generous budget per address; the people-facing ones a modest one.
PER_IP_UNSUBSCRIBE = Rule("600 per hour", "mail-unsubscribe-ip", TOO_MANY)
PER_IP = Rule("30 per minute;300 per hour", "mail-link-ip", TOO_MANY)


@bp.get(UNSUBSCRIBE)
def confirm_unsubscribe(token: str):
    """Who and which event, and an "Unsubscribe" button; opening the link changes nothing."""
    reader = _reader(token)
    page = "unsubscribed.html" if reader.unsubscribed_at else "confirm_unsubscribe.html"
    return _page(page, reader=reader)


@bp.post(UNSUBSCRIBE)
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs with no session and no CSRF token
@limited(PER_LINK, PER_IP_UNSUBSCRIBE)
def unsubscribe(token: str):
    """Stop digests and introductions to the reader (RFC 8058 one-click, or the button)."""
    if request.form.get("List-Unsubscribe") != "One-Click":
        abort(400, "An unsubscribe request says List-Unsubscribe=One-Click (RFC 8058).")
    reader = _reader(token)
    subscriptions.unsubscribe(reader)
    return _page("unsubscribed.html", reader=reader)


@bp.post(UNSUBSCRIBE + "/undo")
@limited(PER_LINK, PER_IP)
def subscribe_again(token: str):
    """Undo the unsubscribe: the event's emails come again."""
    reader = _reader(token)
    subscriptions.resubscribe(reader)
    return _page("subscribed.html", reader=reader)


@bp.get(CONNECT)
def confirm_connect(token: str):
    """ "Add <name> to the people you met?" with a button; changes nothing."""
    reader, other = _pair("connect", token)
    if not meetings.may_connect_back(reader, other):
        return _cannot_connect(reader, other)
    return _page("confirm_connect.html", reader=reader, other=other)


@bp.post(CONNECT)
@limited(PER_LINK, PER_IP)
def connect(token: str):
    """Record the other person as met (once), and show the way into the event app."""
    reader, other = _pair("connect", token)
    try:
        meetings.connect_back(reader, other)
    except cards.CardError:
        return _cannot_connect(reader, other)
    app_url = links.url_of(links.ensure(reader))
    return _page("connected.html", reader=reader, other=other, app_url=app_url)


@bp.get(MEET)
def confirm_meet(token: str):
    """What asking to meet does (double opt-in), and a button; changes nothing."""
    reader, other = _pair("meet", token)
    return _page("confirm_meet.html", reader=reader, other=other)


@bp.post(MEET)
@limited(PER_LINK, PER_IP)
def meet(token: str):
    """Record the wish; the answer is the same whether or not the other person asked too."""
    reader, other = _pair("meet", token)
    meetings.request(reader, other)
    return _page("asked.html", reader=reader, other=other)


def _reader(token: str) -> Attendee:
    """The unsubscribe link's attendee, or the "link does not work" page."""
    reader = subscriptions.reader_of(token)
    if reader is None:
        abort(_page("unknown.html", status=404))
    return reader


def _pair(purpose: str, token: str) -> tuple[Attendee, Attendee]:
    """The reader and the other person of a connect or meet link, or the 404 page."""
    found = meetings.pair(purpose, token)
    if found is None:
        abort(_page("unknown.html", status=404))
    return found


def _cannot_connect(reader: Attendee, other: Attendee):
    """A clear refusal: the other person has not recorded the reader (or no longer has)."""
    return _page("cannot_connect.html", status=404, reader=reader, other=other)


def _page(template: str, status: int = 200, **context):
    """A page reached by a secret link: never cached or indexed."""
    if "reader" in context:
        context["event"] = context["reader"].event
    response = make_response(render_template(f"digest_links/{template}", **context), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
