"""The organizer's badge page: make a sheet, watch it render, download it; the door poster.

A sheet of up to a dozen badges is made in the request; a bigger one renders on the worker
while the page polls its progress once a second. A sheet's download is a POST, since the PDF is
dropped once sent (jobs.py says why); the poster is a GET that changes nothing. Another
organizer's event, job or poster is not found (404).
"""

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from ..door import check_in
from ..events import exports
from ..events.forms import guest_list_query
from ..events.organizer_event import organizer_event
from ..extensions import htmx
from ..forms import ButtonForm
from . import badges
from . import jobs as badge_jobs
from . import poster as posters
from .forms import USES, BadgeSheetForm

bp = organizer_event(Blueprint("print", __name__, url_prefix="/events/<slug>"))


@bp.get("/badges")
def page():
    """Choose who and which paper; the latest sheet (polled while it renders) and past ones."""
    event = g.event
    form = BadgeSheetForm(formdata=None)
    if picked := request.args.get("attendee", type=int):
        form.selection.data, form.attendee_id.data = "attendee", picked
    return _page(event, form, featured=request.args.get("job", type=int))


@bp.post("/badges")
def make():
    """Ask for a sheet; a small one is made at once, a big one goes to the worker."""
    event = g.event
    form = BadgeSheetForm()
    if not form.validate_on_submit():
        return _page(event, form, status=422)
    try:
        job = badge_jobs.ask(event, form.selection.data, form.layout.data, form.attendee_id.data)
    except badge_jobs.NothingToPrint as error:
        form.selection.errors = [*form.selection.errors, str(error)]
        return _page(event, form, status=422)
    return redirect(url_for("print.page", slug=event.slug, job=job.id, _anchor="sheet"))


@bp.get("/badges/guests")
def guests():
    """Guests matching what was typed, to pick one (htmx active search), or the whole page."""
    event = g.event
    query = guest_list_query(request.args)["query"]
    if htmx:
        return render_template(
            "print/_guest_search.html",
            choices=check_in.search(event.id, query),
            picked=None,
            query=query,
        )
    form = BadgeSheetForm(formdata=None, selection="attendee", q=query)
    return _page(event, form)


@bp.get("/badges/jobs/<int:job_id>")
def job(job_id: int):
    """One sheet's state: a progress bar while it renders (polled), then its download."""
    event = g.event
    found = badge_jobs.job_of(event, job_id)
    if htmx:
        return render_template("print/_job.html", **_job_context(event, found))
    return _page(event, BadgeSheetForm(formdata=None), featured=found.id)


@bp.post("/badges/jobs/<int:job_id>/badges.pdf")
def download(job_id: int):
    """A finished sheet's PDF, as a file to save and print; then it is dropped from the server."""
    event = g.event
    found = badge_jobs.job_of(event, job_id)
    if not ButtonForm().validate_on_submit() or found.status != "done":
        return redirect(url_for("print.page", slug=event.slug, job=found.id, _anchor="sheet"))
    pdf = stream_with_context(badge_jobs.handed_over(found))
    return pdf_response(pdf, badge_jobs.filename(found))


@bp.post("/badges/jobs/<int:job_id>/retry")
def retry(job_id: int):
    """Make a failed sheet again, with the same guests and paper."""
    event = g.event
    if not ButtonForm().validate_on_submit():
        return _page(event, BadgeSheetForm(formdata=None), featured=job_id, status=400)
    found = badge_jobs.retry(event, job_id)
    return redirect(url_for("print.page", slug=event.slug, job=found.id, _anchor="sheet"))


@bp.get("/poster-<size>.pdf")
def poster(size: str):
    """The door poster: the event, "Have your QR code ready", and a QR to get the ticket again."""
    event = g.event
    return pdf_response(posters.poster_pdf(event, size), posters.filename(event, size))


@bp.get("/register-poster-<size>.pdf")
def registration_poster(size: str):
    """The registration poster: the event, and a QR that opens its public page (404 when the
    event takes no registrations)."""
    event = g.event
    if event.registration == "off":
        abort(404)
    pdf = posters.poster_pdf(event, size, public=True)
    return pdf_response(pdf, posters.filename(event, size, public=True))


def pdf_response(pdf, name: str) -> Response:
    """A PDF as a download no browser or proxy keeps (badges carry personal data)."""
    return exports.attachment(pdf, "application/pdf", name)


def _page(event, form: BadgeSheetForm, featured: int | None = None, status: int = 200):
    """The badge page; the featured sheet is the one just made, else the newest."""
    jobs = badge_jobs.jobs_of(event)
    shown = next((j for j in jobs if j.id == featured), None) if featured else None
    if featured and shown is None:
        shown = badge_jobs.job_of(event, featured)  # older than the list: still the one asked
    shown = shown or (jobs[0] if jobs else None)
    picked = form.attendee_id.data if form.selection.data == "attendee" else None
    choices = check_in.search(event.id, form.q.data) if form.q.data else []
    return render_template(
        "print/page.html",
        form=form,
        uses=USES,
        counts=badge_jobs.counts(event),
        choices=choices,
        query=form.q.data or "",
        picked=badge_jobs.guest(event, picked) if picked else None,
        jobs=jobs,
        poster_sizes=posters.SIZES,
        **(_job_context(event, shown) if shown else {"event": event, "job": None}),
    ), status


def _job_context(event, job) -> dict:
    """What the sheet fragment shows."""
    return {
        "event": event,
        "job": job,
        "layout": badges.LAYOUTS.get(job.layout),
        "names": badge_jobs.guest_names(job) if job.selection == "attendee" else [],
        "stuck": badge_jobs.stuck(job),
        "waiting_long": badge_jobs.waiting_long(job),
        "retry_form": ButtonForm(formdata=None),
    }
