"""The organizer's digest pages: when it goes out, anyone's preview, a test, send now, status."""

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
from flask_login import current_user

from .. import tasks
from ..events import guests
from ..events.forms import guest_list_query
from ..events.organizer_event import organizer_event
from ..extensions import htmx
from ..forms import ButtonForm
from ..mail import digest_outbox, transport
from ..mail.messages import PREVIEW_CSP
from ..models import Event
from . import preview as digest_preview
from . import settings
from .forms import DigestTimeForm, MailDetailsForm, RetryForm, SendNowForm

bp = organizer_event(Blueprint("digest", __name__))

STATUSES = ("queued", "sending", "sent", "failed", "skipped", "uncertain")
PAGE_SIZE = 50


@bp.get("/events/<slug>/digest")
def page():
    """The digest: its time, the counts (polled by htmx while sending), preview, send now."""
    event = g.event
    if htmx:
        return render_template("digest/_summary.html", event=event, **_counts(event))
    return _page(event)


@bp.post("/events/<slug>/digest/time")
def set_time():
    """Send the digest at another local date and time."""
    event = g.event
    form = DigestTimeForm()
    if form.validate_on_submit() and _saved(
        form, settings.set_time, event, form.day.data, form.time.data
    ):
        flash(f"The digest goes out {settings.digest_time(event).text}.")
        return redirect(url_for("digest.page", slug=event.slug))
    return _page(event, time_form=form, status=422)


@bp.post("/events/<slug>/digest/time/default")
def default_time():
    """Back to the default time: 9:00 the morning after the event."""
    event = g.event
    form = ButtonForm()
    if form.validate_on_submit() and _saved(form, settings.reset_time, event):
        flash(f"Back to the default: {settings.digest_time(event).text}.")
    return redirect(url_for("digest.page", slug=event.slug))


@bp.post("/events/<slug>/digest/details")
def mail_details():
    """The footer's postal address and the Reply-To of the digest."""
    event = g.event
    form = MailDetailsForm()
    if form.validate_on_submit() and _saved(
        form, settings.set_mail_details, event, form.postal_address.data, form.reply_to.data
    ):
        flash("Saved the postal address and Reply-To.")
        return redirect(url_for("digest.page", slug=event.slug))
    return _page(event, details_form=form, status=422)


@bp.post("/events/<slug>/digest/send")
def send_now():
    """Queue every guest's digest now and start sending (a repeat queues nothing)."""
    event = g.event
    form = SendNowForm()
    if not form.validate_on_submit():
        return _page(event, send_form=form, status=422)
    queued = digest_outbox.queue_digests(event)
    tasks.send_digests(event.id)
    flash(
        f"Sending {queued} digest{'s' if queued != 1 else ''}."
        if queued
        else "The digests were queued already: nothing new to send."
    )
    return redirect(url_for("digest.status", slug=event.slug))


@bp.get("/events/<slug>/digest/people")
def people():
    """Pick a guest whose digest to preview (htmx active search swaps the list)."""
    event = g.event
    found = guests.guest_page(event, **guest_list_query(request.args))
    template = "digest/_people.html" if htmx else "digest/people.html"
    return render_template(template, event=event, people=found)


@bp.get("/events/<slug>/digest/people/<int:attendee_id>")
def preview(attendee_id: int):
    """One guest's digest as it would go now: subject, text, HTML, or why it would not."""
    event = g.event
    person = guests.guest_of(event, attendee_id)
    shown = digest_preview.preview(event, person)
    return render_template(
        "digest/preview.html", event=event, shown=shown, test_form=ButtonForm(formdata=None)
    )


@bp.get("/events/<slug>/digest/people/<int:attendee_id>/html")
def preview_html(attendee_id: int):
    """The digest's HTML alone, for the sandboxed frame of the preview page."""
    event = g.event
    shown = digest_preview.preview(event, guests.guest_of(event, attendee_id))
    if not shown.html:
        abort(404)
    response = make_response(shown.html)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/events/<slug>/digest/people/<int:attendee_id>/test")
def send_test(attendee_id: int):
    """Send this guest's digest to the signed-in organizer's own address."""
    event = g.event
    person = guests.guest_of(event, attendee_id)
    if ButtonForm().validate_on_submit():
        outcome = digest_outbox.send_test(event, person, current_user.email)
        flash(_test_result(person, outcome))
    return redirect(url_for("digest.preview", slug=event.slug, attendee_id=person.id))


@bp.get("/events/<slug>/digest/status")
def status():
    """Each guest's digest: sent, failed or skipped and why (polled while sending)."""
    event = g.event
    shown = request.args.get("status") if request.args.get("status") in STATUSES else None
    listing = _listing(event, shown, request.args.get("page", 1, type=int))
    template = "digest/_status.html" if htmx else "digest/status.html"
    return render_template(template, event=event, **listing)


@bp.post("/events/<slug>/digest/status/<int:outbox_id>/retry")
def retry(outbox_id: int):
    """Send one guest's digest again ("Send anyway" for one that may have gone)."""
    event = g.event
    form = RetryForm()
    if form.validate_on_submit():
        if digest_outbox.retry(event, outbox_id, force=form.forced):
            tasks.send_digests(event.id)
            flash("Sending that digest again.")
        else:
            flash("That digest is not waiting to be sent again (it may be on its way already).")
    return redirect(url_for("digest.status", slug=event.slug, status=request.args.get("status")))


def _test_result(person, outcome) -> str:
    """Where the test went, or why it did not."""
    if not outcome.ok:
        return f"The test did not go to {current_user.email}: {outcome.error}"
    kept = (
        " (kept on the Sent mail page: no mail server is set up)" if transport.files_only() else ""
    )
    return f"Sent a test of {person.name}'s digest to {outcome.recipient}{kept}."


def _saved(form, action, *args) -> bool:
    """Run a settings change; a SettingError becomes an error on its form field."""
    try:
        action(*args)
    except settings.SettingError as error:
        form[error.field].errors.append(str(error))
        return False
    return True


def _counts(event: Event) -> dict:
    counts = digest_outbox.counts(event)
    return {"counts": counts, "busy": counts["queued"] + counts["sending"] > 0}


def _listing(event: Event, shown: str | None, page_number: int) -> dict:
    """One page of the outbox rows (of one status, or all), with the counts."""
    found = _counts(event)
    total = found["counts"][shown] if shown else sum(found["counts"].values())
    pages = max(1, -(-total // PAGE_SIZE))
    page_number = min(max(1, page_number), pages)
    offset = (page_number - 1) * PAGE_SIZE
    rows = digest_outbox.rows(event, shown, limit=PAGE_SIZE, offset=offset)
    return {**found, "rows": rows, "shown": shown, "page": page_number, "pages": pages}


def _page(event: Event, time_form=None, details_form=None, send_form=None, status: int = 200):
    when = settings.digest_time(event)
    if time_form is None:
        time_form = DigestTimeForm(formdata=None, day=when.local.date(), time=when.local.time())
    details_form = details_form or MailDetailsForm(formdata=None, obj=event)
    return render_template(
        "digest/page.html",
        event=event,
        when=when,
        time_form=time_form,
        details_form=details_form,
        send_form=send_form or SendNowForm(formdata=None),
        reset_form=ButtonForm(formdata=None),
        people=None,
        **_counts(event),
    ), status
