"""A guest's own data: "Your data", its JSON download and "Delete my data". Every page starts
from guest_of_event(slug) like every room page (anyone else gets a 404); downloads are GET
only, never cached. The organizer's "Delete guest" is with the guest's page, in events/views.py.
"""

import json

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import logout_user

from ..accounts.users import guest_of_event, signed_in_guest
from ..events import exports
from ..models import Guest
from . import erase, your_data
from .forms import DeleteMyDataForm

bp = Blueprint("privacy", __name__)


@bp.get("/e/<slug>/your-data")
def mine(slug: str):
    """Everything this event holds about me: profile, consents, cards, mail, check-in."""
    me = guest_of_event(slug)
    return _page("privacy/your_data.html", me, data=your_data.gather(me), **your_data.WORDS)


@bp.get("/e/<slug>/your-data.json")
def download(slug: str):
    """The same as JSON, as a download (GET only, never cached)."""
    me = guest_of_event(slug)
    body = json.dumps(your_data.as_json(your_data.gather(me)), ensure_ascii=False, indent=2)
    name = exports.filename(me.event, "your-data", "json")
    return exports.attachment(body, "application/json", name)


@bp.route("/e/<slug>/delete-my-data", methods=["GET", "POST"])
def delete_mine(slug: str):
    """What goes, and a box to tick; the POST deletes it all and signs out."""
    if _already_gone():
        return redirect(url_for("privacy.deleted", slug=slug), 303)
    me = guest_of_event(slug)
    form = DeleteMyDataForm()
    if form.validate_on_submit():
        erase.erase(me, "guest")
        logout_user()
        return redirect(url_for("privacy.deleted", slug=slug), 303)
    page = _page("privacy/delete_mine.html", me, form=form, data=your_data.gather(me))
    return page, 422 if form.is_submitted() else 200


@bp.get("/e/<slug>/data-deleted")
def deleted(slug: str):
    """Your data is deleted. Open to anyone and names no one."""
    return render_template("privacy/deleted.html")


def _already_gone() -> bool:
    """A repeated "Delete" POST after the first signed out: nothing left to delete here."""
    return request.method == "POST" and not isinstance(signed_in_guest(), Guest)


def _page(template: str, me, **context) -> str:
    """Render a room page of mine with me and my event."""
    return render_template(template, me=me, event=me.event, **context)
