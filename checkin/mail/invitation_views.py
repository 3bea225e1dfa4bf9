"""Invitations: the organizer pastes or uploads addresses, sees what would happen, confirms;
the invitee's one-click "no more invitations" link (GET shows a button, POST acts, RFC 8058)."""

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
from ..events.organizer_event import organizer_event
from ..extensions import csrf
from ..rate_limits import Rule, limited
from . import invitation_list, invitations
from .forms import InvitationListForm, RetryInvitationForm, SendInvitationsForm

bp = organizer_event(Blueprint("invitations", __name__))
TOO_MANY = "Too many requests from this link."
# As for the digest's unsubscribe (mail/views.py): mail providers send one-click requests for
# all their users from a few addresses, so the budget per address is generous.
PER_LINK = Rule("10 per minute", "invitation-link", TOO_MANY, lambda: _link_key())
PER_IP = Rule("600 per hour", "invitation-unsubscribe-ip", TOO_MANY)


@bp.get("/events/<slug>/invitations")
def page():
    """The list form, and how the invitations sent so far went."""
    return _page(g.event, InvitationListForm(formdata=None))


@bp.post("/events/<slug>/invitations/preview")
def preview():
    """What inviting the pasted or uploaded list would do; nothing is sent yet."""
    event, form = g.event, InvitationListForm()
    if not invitations.may_invite(event) or not form.validate_on_submit():
        return _page(event, form, 422)
    try:
        text = form.emails.data or ""
        if form.upload.data:
            text += "\n" + invitation_list.text_of_upload(
                form.upload.data.read(invitation_list.MAX_BYTES + 1)
            )
        found = invitation_list.preview(event, text)
    except invitation_list.ListProblem as problem:
        form.upload.errors = [str(problem)]
        return _page(event, form, 422)
    confirm = SendInvitationsForm(
        formdata=None, data={"emails": "\n".join(found.valid), "nonce": uuid.uuid4().hex}
    )
    return render_template("mail/invitation_preview.html", event=event, found=found, form=confirm)


@bp.post("/events/<slug>/invitations")
def send():
    """Queue the previewed invitations (once per form, once per address) and start sending."""
    event, form = g.event, SendInvitationsForm()
    if not invitations.may_invite(event) or not form.validate_on_submit():
        return _page(event, InvitationListForm(formdata=None), 422)
    queued = invitations.invite(event, form.emails.data, form.nonce.data)
    if queued is None:
        flash("These invitations were queued already.")
    else:
        flash(f"{queued} invitation{'s' if queued != 1 else ''} queued: they go out in batches.")
        tasks.send_invitations(event.id)
    return redirect(url_for("invitations.page", slug=event.slug))


@bp.post("/events/<slug>/invitations/<int:invitation_id>/retry")
def retry(invitation_id: int):
    """Send a failed or uncertain invitation again; pressing twice queues it once."""
    event, form = g.event, RetryInvitationForm()
    if not form.validate_on_submit():
        return _page(event, InvitationListForm(formdata=None), 422)
    if invitations.retry(event, invitation_id):
        flash("Queued again: it goes out with the next batch.")
        tasks.send_invitations(event.id)
    return redirect(url_for("invitations.page", slug=event.slug), 303)


@bp.get(invitations.NO_MORE_PATH + "<token>")
def confirm_no_more(token: str):
    """Which organizer's invitations, and a "No more invitations" button; changes nothing."""
    invitation = _invitation(token)
    done = invitations.is_opted_out(invitation)
    return _link_page("no_more_invitations.html", invitation=invitation, done=done)


@bp.post(invitations.NO_MORE_PATH + "<token>")
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs with no session and no CSRF token
@limited(PER_LINK, PER_IP)
def no_more(token: str):
    """Put the address on the association's do-not-invite list (one-click, or the button)."""
    if request.form.get("List-Unsubscribe") != "One-Click":
        abort(400, "An unsubscribe request says List-Unsubscribe=One-Click (RFC 8058).")
    invitation = _invitation(token)
    invitations.no_more(invitation)
    return _link_page("no_more_invitations.html", invitation=invitation, done=True)


def _link_key() -> str:
    """The rate-limit key for one link, whoever uses it."""
    return "invitation-link:" + (request.view_args or {}).get("token", "")[:200]


def _page(event, form, status: int = 200):
    """The invitations page with this form (and its errors)."""
    context = {
        "event": event,
        "form": form,
        "may_invite": invitations.may_invite(event),
        "counts": invitations.counts(event),
        "not_sent": invitations.not_sent(event),
        "retryable": invitations.RETRYABLE,
        "retry_form": RetryInvitationForm(formdata=None),
    }
    return render_template("mail/invitations.html", **context), status


def _invitation(token: str):
    """The link's invitation, or the "link does not work" page."""
    found = invitations.invitation_of(token)
    if found is None:
        abort(_link_page("unknown.html", status=404))
    return found


def _link_page(template: str, status: int = 200, **context):
    """A page reached by a secret link: never cached or indexed."""
    if "invitation" in context:
        context["event"] = context["invitation"].event
    response = make_response(render_template(f"mail/{template}", **context), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
