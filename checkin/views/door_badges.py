"""The door's "Print badge": a single label for a guest (a walk-in, say), as a PDF download.

Under the door's own /door/<token> prefix and authorized the same way, by an active door pass;
a guest of another event is not found. A POST with a CSRF token, since making the label marks
the guest's badge printed (GET changes nothing); it answers with the PDF as an attachment, so
the door page stays where it is while the phone saves or prints the file.
"""

from flask import abort, g

from .. import badge_jobs
from ..badge_forms import BadgeActionForm
from .badges import pdf_response
from .door import door_blueprint

bp = door_blueprint("door_badges", __name__)


@bp.post("/attendees/<int:attendee_id>/badge.pdf")
def print_label(attendee_id: int):
    """A 4″ × 3″ label for one of this event's guests, made now."""
    if not BadgeActionForm().validate_on_submit():
        abort(400, "The form was incomplete; reload the page and try again.")
    job = badge_jobs.door_label(g.door_pass, attendee_id)
    if job.status != "done":
        abort(500, job.error or "The badge could not be made. Try again.")
    return pdf_response(badge_jobs.pdf_of(job), badge_jobs.filename(job))
