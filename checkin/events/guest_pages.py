"""One guest's organizer page, rendered with its forms: for the events views and for the
registration's "they can't come" view, which answers a failed form with the same page."""

from flask import render_template

from . import guests
from .forms import GuestForm, OrganizerCancelForm, ReissueForm, RelinkForm


def guest_form_page(event, person, form=None, status=200, **forms):
    """One guest's page; the forms not being answered start empty."""
    return render_template(
        "events/guest_form.html",
        event=event,
        person=person,
        form=form or GuestForm(formdata=None, obj=person),
        reissue_form=forms.get("reissue_form") or ReissueForm(formdata=None),
        relink_form=forms.get("relink_form") or RelinkForm(formdata=None),
        cancel_form=forms.get("cancel_form") or OrganizerCancelForm(formdata=None),
        ticket_link=guests.ticket_link(person),
    ), status
