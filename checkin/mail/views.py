"""Mail pages: the organizer's (send tickets, watch them go, read the sent mail kept as files)
and the ones the digest's links open (unsubscribe, connect back, "I'd like to meet").

Each digest link carries a signed token (mail/links) instead of a session. A GET only shows what
the link would do and a button; the POST acts, and a repeat changes nothing more.
"""

import uuid

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import tasks
from ..accounts import personal_links
from ..digest import meetings
from ..events import guests
from ..events.organizer_event import organizer_event
from ..extensions import csrf, htmx
from ..forms import NonceForm
from ..models import Event, Guest
from ..rate_limits import Rule, limited
from ..room import cards
from . import links, sent_mail, subscriptions, ticket_mail, transport
from .forms import SendTicketsForm
from .messages import PREVIEW_CSP

bp = organizer_event(Blueprint("mail", __name__))


@bp.app_template_global()
def ticket_mail_summary(event: Event) -> ticket_mail.Summary:
    """For the event page: "sent N of M"."""
    return ticket_mail.summary(event)


@bp.app_template_global()
def latest_ticket_mail(guest):
    """For the guest page: the last ticket email and what became of it."""
    return ticket_mail.latest_of(guest)


@bp.app_template_global()
def send_tickets_form(scope: str = "unsent") -> SendTicketsForm:
    """A fresh "send tickets" form; its nonce makes a double submit send once."""
    return SendTicketsForm(formdata=None, data={"scope": scope, "nonce": uuid.uuid4().hex})


@bp.app_template_global()
def send_ticket_form() -> NonceForm:
    """A fresh "email this ticket" form for one guest."""
    return NonceForm(formdata=None, data={"nonce": uuid.uuid4().hex})


@bp.app_template_global()
def mail_files_only() -> bool:
    """True when mail is kept as files (no SMTP server), so the sent-mail page is worth a link."""
    return transport.files_only()


@bp.get("/events/<slug>/tickets")
def tickets():
    """Ticket emails: how many went, which failed and why (htmx polls the count)."""
    event = g.event
    if htmx:
        return render_template(
            "mail/_ticket_status.html", event=event, summary=ticket_mail.summary(event)
        )
    return _tickets_page(event)


@bp.post("/events/<slug>/tickets")
def send_tickets():
    """Email tickets to everyone who has had none yet (or, confirmed, to everyone again)."""
    event = g.event
    form = SendTicketsForm()
    if not form.validate_on_submit():
        return _tickets_page(event, form if form.scope.data == "all" else None, 422)
    again = form.scope.data == "all"
    queued = ticket_mail.queue(event, None, again=again, batch=form.nonce.data)
    _start(event, queued)
    return redirect(url_for("mail.tickets", slug=event.slug))


@bp.post("/events/<slug>/attendees/<int:attendee_id>/ticket-mail")
def send_ticket(attendee_id: int):
    """Email one guest their ticket (again)."""
    event = g.event
    person = guests.guest_of(event, attendee_id)
    form = NonceForm()
    if not person.email:
        flash(f"{person.name} has no email address: add one below first.")
    elif form.validate_on_submit():
        queued = ticket_mail.queue_one(event, person, batch=form.nonce.data)
        _start(event, queued, f"An email to {person.name} is on its way already.")
    return redirect(url_for("events.guest", slug=event.slug, attendee_id=person.id))


@bp.get("/events/<slug>/mail")
def outbox():
    """The event's sent mail, kept as files when there is no mail server; newest first."""
    event = g.event
    messages, total = sent_mail.stored(event.slug) if transport.files_only() else ([], 0)
    return render_template("mail/outbox.html", event=event, messages=messages, total=total)


@bp.get("/events/<slug>/mail/<name>")
def message(name: str):
    """One kept message: its headers, its text, its parts, and its HTML in a sandboxed frame."""
    event = g.event
    found = _kept(event, name)
    text = found.get_body(("plain",))
    return render_template(
        "mail/message.html",
        event=event,
        name=name,
        message=found,
        text=text.get_content() if text else "",
        has_html=found.get_body(("html",)) is not None,
        parts=sent_mail.parts_of(found),
    )


@bp.get("/events/<slug>/mail/<name>/html")
def message_html(name: str):
    """A kept message's HTML part, for the sandboxed frame on its page."""
    event = g.event
    html = sent_mail.html_preview(_kept(event, name))
    if html is None:
        abort(404)
    response = make_response(html)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _kept(event: Event, name: str):
    """The kept message, or 404 (files exist only when mail is not sent over SMTP)."""
    found = sent_mail.read(event.slug, name) if transport.files_only() else None
    if found is None:
        abort(404)
    return found


def _start(event: Event, queued: list[int] | None, nothing: str = "") -> None:
    """Hand the queued emails to the worker and say so."""
    if queued is None:
        flash("That form was sent already: those emails are on their way.")
    elif not queued:
        flash(nothing or "No ticket emails to send: every guest with an email has had one.")
    else:
        tasks.send_tickets(event.id, queued)
        flash(f"Sending {len(queued)} ticket email{'s' if len(queued) != 1 else ''}.")


def _tickets_page(event: Event, resend_form=None, status: int = 200):
    return render_template(
        "mail/tickets.html",
        event=event,
        summary=ticket_mail.summary(event),
        failures=ticket_mail.failures(event),
        resend_form=resend_form or send_tickets_form("all"),
    ), status


UNSUBSCRIBE, CONNECT, MEET = (links.PATHS[p] for p in ("unsubscribe", "connect", "meet"))
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
    app_url = personal_links.url_of(personal_links.ensure(reader))
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


def _reader(token: str) -> Guest:
    """The unsubscribe link's guest, or the "link does not work" page."""
    reader = subscriptions.reader_of(token)
    if reader is None:
        abort(_page("unknown.html", status=404))
    return reader


def _pair(purpose: str, token: str) -> tuple[Guest, Guest]:
    """The reader and the other person of a connect or meet link, or the 404 page."""
    found = meetings.pair(purpose, token)
    if found is None:
        abort(_page("unknown.html", status=404))
    return found


def _cannot_connect(reader: Guest, other: Guest):
    """A clear refusal: the other person has not recorded the reader (or no longer has)."""
    return _page("cannot_connect.html", status=404, reader=reader, other=other)


def _page(template: str, status: int = 200, **context):
    """A page reached by a secret link: never cached or indexed."""
    if "reader" in context:
        context["event"] = context["reader"].event
    response = make_response(render_template(f"mail/{template}", **context), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
