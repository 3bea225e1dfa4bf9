"""Organizer pages for mail: send tickets, watch them go, and read the sent mail kept as files."""

import uuid

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from .. import attendees, mail, sent_mail, tasks, ticket_mail
from .. import events as event_domain
from ..accounts import organizer_required
from ..extensions import htmx
from ..forms import NonceForm, SendTicketsForm
from ..models import Event

bp = Blueprint("mail", __name__)

# The sent HTML is shown in a sandboxed frame of its own, under a policy that lets it do nothing
# but draw (its inline styles, and its QR image inlined as data: for the preview).
PREVIEW_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


@bp.app_template_global()
def ticket_mail_summary(event: Event) -> ticket_mail.Summary:
    """For the event page: "sent N of M"."""
    return ticket_mail.summary(event)


@bp.app_template_global()
def latest_ticket_mail(attendee):
    """For the attendee page: the last ticket email and what became of it."""
    return ticket_mail.latest_of(attendee)


@bp.app_template_global()
def send_tickets_form(scope: str = "unsent") -> SendTicketsForm:
    """A fresh "send tickets" form; its nonce makes a double submit send once."""
    return SendTicketsForm(formdata=None, data={"scope": scope, "nonce": uuid.uuid4().hex})


@bp.app_template_global()
def send_ticket_form() -> NonceForm:
    """A fresh "email this ticket" form for one attendee."""
    return NonceForm(formdata=None, data={"nonce": uuid.uuid4().hex})


@bp.app_template_global()
def mail_files_only() -> bool:
    """True when mail is kept as files (no SMTP server), so the sent-mail page is worth a link."""
    return mail.files_only()


@bp.get("/events/<slug>/tickets")
@organizer_required
def tickets(slug: str):
    """Ticket emails: how many went, which failed and why (htmx polls the count)."""
    event = event_domain.event_of(current_user, slug)
    if htmx:
        return render_template(
            "mail/_ticket_status.html", event=event, summary=ticket_mail.summary(event)
        )
    return _tickets_page(event)


@bp.post("/events/<slug>/tickets")
@organizer_required
def send_tickets(slug: str):
    """Email tickets to everyone who has had none yet (or, confirmed, to everyone again)."""
    event = event_domain.event_of(current_user, slug)
    form = SendTicketsForm()
    if not form.validate_on_submit():
        return _tickets_page(event, form if form.scope.data == "all" else None, 422)
    again = form.scope.data == "all"
    queued = ticket_mail.queue(event, None, again=again, batch=form.nonce.data)
    _start(event, queued)
    return redirect(url_for("mail.tickets", slug=slug))


@bp.post("/events/<slug>/attendees/<int:attendee_id>/ticket-mail")
@organizer_required
def send_ticket(slug: str, attendee_id: int):
    """Email one guest their ticket (again)."""
    event = event_domain.event_of(current_user, slug)
    person = attendees.attendee_of(event, attendee_id)
    form = NonceForm()
    if not person.email:
        flash(f"{person.name} has no email address: add one below first.")
    elif form.validate_on_submit():
        queued = ticket_mail.queue_one(event, person, batch=form.nonce.data)
        _start(event, queued, f"An email to {person.name} is on its way already.")
    return redirect(url_for("organizer.attendee", slug=slug, attendee_id=person.id))


@bp.get("/events/<slug>/mail")
@organizer_required
def outbox(slug: str):
    """The event's sent mail, kept as files when there is no mail server; newest first."""
    event = event_domain.event_of(current_user, slug)
    messages, total = sent_mail.stored(event.slug) if mail.files_only() else ([], 0)
    return render_template("mail/outbox.html", event=event, messages=messages, total=total)


@bp.get("/events/<slug>/mail/<name>")
@organizer_required
def message(slug: str, name: str):
    """One kept message: its headers, its text, its parts, and its HTML in a sandboxed frame."""
    event = event_domain.event_of(current_user, slug)
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
@organizer_required
def message_html(slug: str, name: str):
    """A kept message's HTML part, for the sandboxed frame on its page."""
    event = event_domain.event_of(current_user, slug)
    html = sent_mail.html_preview(_kept(event, name))
    if html is None:
        abort(404)
    response = make_response(html)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _kept(event: Event, name: str):
    """The kept message, or 404 (files exist only when mail is not sent over SMTP)."""
    found = sent_mail.read(event.slug, name) if mail.files_only() else None
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
