"""The door page a volunteer opens from their pass link: scan, search, walk-in, undo, counter,
and "Print badge".

"Print badge" makes a single label for a guest (a walk-in, say) as a PDF download; a guest of
another event is not found. A POST with a CSRF token, since making the label marks the guest's
badge printed (GET changes nothing); it answers with the PDF as an attachment, so the door page
stays where it is while the phone saves or prints the file.
"""

import uuid

from flask import Blueprint, abort, g, render_template, request, stream_with_context

from ..events import exports
from ..extensions import htmx
from ..forms import ButtonForm, NonceForm
from ..print import jobs
from . import check_in as door
from . import passes
from .forms import ScanForm, WalkInForm


def door_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /door/<token>, opened only by an active door pass (g.door_pass)."""
    blueprint = Blueprint(name, import_name, url_prefix="/door/<token>")
    blueprint.url_value_preprocessor(_open_pass)
    blueprint.url_defaults(_keep_token)
    blueprint.register_error_handler(401, _pass_ended)
    return blueprint


def _open_pass(_endpoint, values):
    g.door_token = values.pop("token")
    g.door_pass = door.active_pass(g.door_token)
    if g.door_pass is None:
        abort(401, "This door link has expired or was revoked. Ask the organizer for a new one.")


def _pass_ended(error):
    """The 401 page for a link that opens nothing; it deletes the guest list this phone saved."""
    slug = passes.event_slug_of(g.get("door_token"))
    page = render_template("door/ended.html", error=error, code=401, slug=slug)
    return page, 401, passes.ENDED_HEADER


def _keep_token(_endpoint, values):
    values.setdefault("token", g.get("door_token"))


bp = door_blueprint("door", __name__)


@bp.get("/")
def page():
    """The door: camera, code field, search, walk-in, live counter; kept by the service worker.

    X-Offline-Page tells the service worker to keep this page for when the network is gone, so a
    reload at a venue with no Wi-Fi still opens the door (it decides from its saved guest list).
    """
    return render_template("door/page.html", **_context()), {"X-Offline-Page": "1"}


@bp.post("/check-in")
def check_in():
    """Check in a scanned or typed code."""
    form = ScanForm()
    if not form.validate_on_submit():
        if htmx:
            return _show(door.answer("unknown"), 422)
        return render_template("door/page.html", **_context(scan_form=form)), 422
    answer = door.check_in_scan(
        g.door_pass,
        form.code.data,
        form.nonce.data,
        device=_device(),
    )
    return _show(answer)


@bp.post("/attendees/<int:attendee_id>/check-in")
def check_in_guest(attendee_id: int):
    """Check in someone picked from the search results."""
    form = NonceForm()
    if not form.validate_on_submit():
        abort(400, "The form was incomplete; reload the page and try again.")
    answer = door.check_in_guest(g.door_pass, attendee_id, form.nonce.data, device=_device())
    return _show_or_404(answer)


@bp.post("/attendees/<int:attendee_id>/undo")
def undo(attendee_id: int):
    """Take back a check-in."""
    form = NonceForm()
    if not form.validate_on_submit():
        abort(400, "The form was incomplete; reload the page and try again.")
    return _show_or_404(door.undo(g.door_pass, attendee_id, form.nonce.data))


@bp.post("/walk-in")
def walk_in():
    """Register a walk-in and check them in."""
    form = WalkInForm()
    if not form.validate_on_submit():
        template = "door/_walk_in.html" if htmx else "door/page.html"
        return render_template(template, **_context(walk_in_form=form)), 422
    answer = door.walk_in(
        g.door_pass,
        form.name.data.strip(),
        (form.email.data or "").strip(),
        form.class_year.data,
        form.nonce.data,
    )
    if htmx:
        return render_template("door/_walk_in_done.html", **_context(answer=answer))
    return render_template("door/page.html", **_context(answer=answer, printable=True))


@bp.get("/search")
def search():
    """Guests matching what was typed (htmx active search), or the page with results."""
    query = request.args.get("q", "")
    results = door.search(g.door_pass.event_id, query)
    template = "door/_results.html" if htmx else "door/page.html"
    return render_template(template, **_context(query=query, results=results))


@bp.get("/counter")
def counter():
    """The live "N of M checked in" counter (polled)."""
    return render_template("door/_counter.html", stats=door.stats(g.door_pass.event_id))


@bp.post("/attendees/<int:attendee_id>/badge.pdf")
def print_label(attendee_id: int):
    """A 4″ × 3″ label for one of this event's guests, made now."""
    if not ButtonForm().validate_on_submit():
        abort(400, "The form was incomplete; reload the page and try again.")
    job = jobs.door_label(g.door_pass, attendee_id)
    if job.status != "done":
        abort(500, job.error or "The badge could not be made. Try again.")
    pdf = stream_with_context(jobs.handed_over(job))  # dropped from the server once sent
    return exports.attachment(pdf, "application/pdf", jobs.filename(job))


def _show(answer: dict, status: int = 200):
    """The full-screen result: a fragment for htmx, the whole page otherwise."""
    template = "door/_result.html" if htmx else "door/page.html"
    return render_template(template, **_context(answer=answer)), status


def _show_or_404(answer: dict):
    """The result of a button press on someone this door cannot see is a 404."""
    if answer["result"] == "unknown":
        abort(404, "That guest is not on this event's list.")
    return _show(answer)


def _context(**extra) -> dict:
    context = {
        "door_pass": g.door_pass,
        "event": g.door_pass.event,
        "stats": door.stats(g.door_pass.event_id),
        "scan_form": ScanForm(formdata=None, nonce=_nonce()),
        "walk_in_form": WalkInForm(formdata=None, nonce=_nonce()),
        "new_nonce": _nonce,
        "answer": None,
        "results": [],
        "query": "",
    }
    context.update(extra)
    return context


def _device() -> str:
    """Which phone sent this: door.js names each phone (X-Door-Device), else the browser."""
    return (request.headers.get("X-Door-Device") or request.headers.get("User-Agent", ""))[:100]


def _nonce() -> str:
    return str(uuid.uuid4())
