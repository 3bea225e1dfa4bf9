"""Guest-list import pages: upload a CSV, check the preview and mapping, confirm."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ..events.organizer_event import organizer_event
from ..extensions import htmx
from . import guest_list, storage
from .files import FileProblem
from .forms import GuestListForm

bp = organizer_event(Blueprint("imports", __name__))


@bp.route("/events/<slug>/import", methods=["GET", "POST"])
def upload():
    """The upload form; a readable file is kept and its preview shown, a bad one explained."""
    event = g.event
    form = GuestListForm()
    problem = None
    if form.validate_on_submit():
        upload_file = form.file.data
        try:
            token = storage.start(
                event, current_user, upload_file.read(), upload_file.filename or "guests.csv"
            )
        except FileProblem as error:
            problem = str(error)
        else:
            return redirect(url_for("imports.preview", slug=event.slug, token=token), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "imports/import.html", event=event, form=form, problem=problem, pending=None, result=None
    ), status


@bp.route("/events/<slug>/import/<token>", methods=["GET", "POST"])
def preview(token: str):
    """The preview under the guessed mapping (GET) or the organizer's (POST, changes nothing)."""
    event = g.event
    pending = _pending(event, token)
    choices = storage.choices_from(request.form, pending.table.headers)
    result = storage.preview(event, pending, choices, storage.keeps_extra(request.form))
    return _render(event, pending, result)


@bp.post("/events/<slug>/import/<token>/confirm")
def confirm(token: str):
    """Import exactly the previewed guests, once, then go back to the event."""
    event = g.event
    pending = _pending(event, token, allow_done=True)
    choices = storage.choices_from(request.form, pending.table.headers) if pending.table else {}
    previewed, keep = request.form.get("preview", ""), storage.keeps_extra(request.form)
    try:
        outcome = storage.confirm(event, current_user, token, choices, previewed, keep)
    except guest_list.ImportRefused as refused:
        result = storage.preview(event, pending, choices, keep)
        return _render(event, pending, result, refused=str(refused), status=422)
    if outcome is None:
        abort(404)
    if outcome.already_done:
        flash("This guest list was already imported; nobody was added twice.")
    else:
        flash(f"Imported {outcome.created} guest{'s' if outcome.created != 1 else ''}.")
    return redirect(url_for("events.event", slug=event.slug), code=303)


@bp.errorhandler(413)
def too_large(error):
    """A file over the upload limit: say so plainly, with the way back to the upload form."""
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    slug = g.get("event_slug", "")
    return render_template("imports/import_too_large.html", limit=limit, slug=slug), 413


@bp.errorhandler(storage.ImportExpired)
def expired(error):
    """A preview past its day: its file is gone, so say so and offer a new upload."""
    slug = g.get("event_slug", "")
    hours = int(storage.LIFETIME.total_seconds() // 3600)
    return render_template("imports/import_expired.html", hours=hours, slug=slug), 410


def _pending(event, token: str, allow_done: bool = False) -> storage.Pending:
    """The organizer's pending import, or 404 (unknown, someone else's, or done); 410 expired."""
    pending = storage.find(event, current_user, token)
    if pending is None or (pending.table is None and not allow_done):
        abort(404)
    return pending


def _render(event, pending, result, refused=None, status=200):
    """The preview: the whole page, or just the preview form for htmx."""
    template = "imports/_import_preview.html" if htmx else "imports/import.html"
    return render_template(
        template,
        event=event,
        pending=pending,
        result=result,
        fields=guest_list.FIELDS,
        refused=refused,
        form=None,
        problem=None,
    ), status
