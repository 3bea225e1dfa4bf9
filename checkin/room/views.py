"""The guest's own pages in the event app, reached through their personal link, and their
downloads (my cards as CSV, my contacts as .vcf; GET only, never cached). The page a ticket's QR
opens, for whoever opens it, is room/ticket_page.py.

Every view starts from guest_of_event(slug): another event's pages, and everyone who is
not signed in as one of its guests, get a 404. Polled and searched parts are fragments that
their page includes, so the first render and the htmx swap share markup.

The pages a phone needs in a room with no signal (my code, scan, people I met) carry
`X-Offline-Page: 1`: the service worker keeps the last copy of each, per URL, and shows it when
the network fails, so a reload offline still scans. Those copies are the signed-in guest's own
pages; the guest pages' script asks the worker to forget them when someone signs out or
another guest signs in on the same browser (static/js/cards-offline.js).
"""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_htmx import make_response
from flask_login import logout_user

from ..accounts.users import guest_of_event
from ..events import exports, tickets
from ..extensions import htmx
from ..forms import ButtonForm, NonceForm
from ..matching import tags
from ..members import memory, met_before
from . import cards, profiles
from . import suggestions as room
from .forms import (
    CardEditForm,
    CardForm,
    ProfileForm,
    card_form_context,
)

bp = Blueprint("room", __name__, url_prefix="/e/<slug>")
CHECKED_FIELDS = ("linkedin_url", "networking_email")  # validated inline as people type
SCAN_VIA = ("scan", "link")  # a card made from a code: scanned in the app, or by the camera app


@bp.get("/")
def home(slug: str):
    """My QR code, the people I met and who is waiting for me, and who to meet here."""
    return _kept_offline(_home(guest_of_event(slug)))


@bp.get("/suggestions")
def suggestions(slug: str):
    """Who to meet here (polled as people check in), or the home page."""
    me = guest_of_event(slug)
    if not htmx:
        return _home(me)
    return render_template("room/_suggestions.html", **_suggestions(me))


@bp.get("/waiting")
def waiting(slug: str):
    """How many I met and who recorded me (polled), or the home page."""
    me = guest_of_event(slug)
    if not htmx:
        return _home(me)
    return render_template("room/_waiting.html", **_waiting(me))


@bp.route("/profile", methods=["GET", "POST"])
def profile(slug: str):
    """My profile and my three consent choices."""
    me = guest_of_event(slug)
    form = ProfileForm(obj=me)
    if form.validate_on_submit():
        profiles.update(me, form.values())
        flash("Your profile is saved.")
        return redirect(url_for("room.profile", slug=slug), 303)
    return _page("room/profile.html", me, form=form), 422 if form.is_submitted() else 200


@bp.get("/profile/check/<field>")
def check_field(slug: str, field: str):
    """One profile field's errors, for inline validation as it is filled in."""
    me = guest_of_event(slug)
    if field not in CHECKED_FIELDS:
        abort(404)
    if not htmx:
        return redirect(url_for("room.profile", slug=slug))
    form = ProfileForm(request.args, meta={"csrf": False})
    inline = getattr(type(form), f"validate_{field}", None)  # as form.validate() runs it
    form[field].validate(form, [inline] if inline else [])
    return render_template("room/_checked_field.html", field=form[field], event=me.event)


@bp.get("/profile/tags/<field>")
def tag_options(slug: str, field: str):
    """Suggestions for the tag being typed, as the options of the field's datalist."""
    me = guest_of_event(slug)
    if field not in tags.FIELDS:
        abort(404)
    if not htmx:
        return redirect(url_for("room.profile", slug=slug))
    options = profiles.tag_options(me, field, request.args.get(field, ""))
    return render_template("room/_tag_options.html", options=options)


@bp.get("/scan")
def scan(slug: str):
    """Scan someone's QR code with the camera; their card form opens in place."""
    me = guest_of_event(slug)
    return _kept_offline(_page("room/scan.html", me, quick_tags=cards.QUICK_TAGS))


@bp.get("/people")
def people(slug: str):
    """Checked-in, findable people here, by name (active search)."""
    me = guest_of_event(slug)
    query = request.args.get("q", "")[:100]
    template = "room/_people.html" if htmx else "room/people.html"
    found = profiles.findable(me, query)
    return _page(template, me, query=query, people=found, on_cards=_on_cards(me))


@bp.route("/met", methods=["GET", "POST"])
def met(slug: str):
    """The card form for someone picked (?attendee_id=) or scanned (?code=); POST saves it."""
    me = guest_of_event(slug)
    subject, via = _subject(me)
    if subject is None:
        return _scan_problem(me, via)
    if (done := cards.recorded(me.id, subject.id)) and request.method == "GET":
        return _to_card(slug, done.id)
    form = CardForm(nonce=str(uuid.uuid4()))
    if form.validate_on_submit():
        try:
            done = cards.record(me, subject, form.nonce.data, via=via, **form.values()).card
        except cards.CardError as error:
            form.note.errors.append(str(error))
        else:
            return _to_card(slug, done.id)
    template = "room/_card_form.html" if htmx else "room/met.html"
    context = card_form_context(me, subject, form, via)
    return render_template(template, **context), 422 if form.errors else 200


@bp.post("/back/<int:attendee_id>")
def connect_back(slug: str, attendee_id: int):
    """One tap: record someone who recorded me."""
    me = guest_of_event(slug)
    form = NonceForm()
    if not form.validate_on_submit():
        abort(400, "The form was incomplete; reload the page and try again.")
    try:
        subject = cards.resolve_id(me, attendee_id)
        done = cards.record(me, subject, form.nonce.data, via="back").card
    except cards.CardError:
        abort(404)
    flash(f"You\u2019re connected with {subject.name}.")
    return _to_card(slug, done.id)


@bp.get("/cards")
def my_cards(slug: str):
    """People I met, newest first, and people waiting for me to connect back."""
    me = guest_of_event(slug)
    mutual = cards.mutual_ids(me)
    found = [(card, card.subject_id in mutual) for card in cards.mine(me)]
    contacts = {card.id: cards.contact(me, card.met, is_mutual) for card, is_mutual in found}
    page = _page(
        "room/cards.html",
        me,
        cards=found,
        contacts=contacts,
        waiting=cards.waiting_for_me(me),
        new_nonce=_nonce,
        quick_tags=cards.QUICK_TAGS,
    )
    return _kept_offline(page)


@bp.get("/cards/<int:card_id>")
def card(slug: str, card_id: int):
    """One of my cards: what I wrote, what we share, and contact details if we both agreed."""
    me = guest_of_event(slug)
    found = cards.card_of(me, card_id)
    mutual = found.subject_id in cards.mutual_ids(me)
    return _page(
        "room/card.html",
        me,
        card=found,
        mutual=mutual,
        contact=cards.contact(me, found.met, mutual),
        shared=room.shared(me, found.met),
        quick_tags=cards.QUICK_TAGS,
    )


@bp.route("/cards/<int:card_id>/edit", methods=["GET", "POST"])
def edit_card(slug: str, card_id: int):
    """Change my card's note, tags or star."""
    me = guest_of_event(slug)
    found = cards.card_of(me, card_id)
    form = CardEditForm(obj=found)
    if form.validate_on_submit():
        try:
            cards.update(me, card_id, form.values())
        except cards.CardError as error:
            form.note.errors.append(str(error))
        else:
            flash("Card saved.")
            return _to_card(slug, card_id)
    context = card_form_context(me, found.met, form, found.via) | {"card": found}
    return render_template("room/edit_card.html", **context), 422 if form.errors else 200


@bp.route("/cards/<int:card_id>/delete", methods=["GET", "POST"])
def delete_card(slug: str, card_id: int):
    """Ask, then delete my card (their card of me, if any, stays theirs)."""
    me = guest_of_event(slug)
    found = cards.card_of(me, card_id)
    form = ButtonForm()
    if form.validate_on_submit():
        name = found.met.name
        cards.delete(me, card_id)
        flash(f"Your card for {name} is deleted.")
        return redirect(url_for("room.my_cards", slug=slug), 303)
    return _page("room/delete_card.html", me, card=found, form=form)


@bp.post("/sign-out")
def sign_out(slug: str):
    """Sign out of the event app on this phone; the personal link signs in again."""
    guest_of_event(slug)
    if not ButtonForm().validate_on_submit():
        abort(400, "The form was incomplete; reload the page and try again.")
    logout_user()
    return redirect(url_for("room.signed_out", slug=slug), 303)


@bp.get("/signed-out")
def signed_out(slug: str):
    """Signed out: how to come back. Says nothing about the event, open to anyone."""
    return render_template(
        "room/signed_out.html", link_again_url=url_for("accounts.again", slug=slug)
    )


@bp.get("/my-cards.csv")
def my_cards_csv(slug: str):
    """My cards with my notes, as a download (GET only, never cached)."""
    me = guest_of_event(slug)
    csv = exports.my_cards_csv(me)
    return exports.attachment(csv, "text/csv", exports.filename(me.event, "my-cards"))


@bp.get("/my-contacts.vcf")
def my_contacts(slug: str):
    """Contact cards of the people I met who share their details with me."""
    me = guest_of_event(slug)
    name = exports.filename(me.event, "my-contacts", "vcf")
    return exports.attachment(exports.my_contacts_vcf(me), "text/vcard", name)


def _home(me):
    """The home page with its QR code and both polled parts."""
    ticket = tickets.current_ticket(me.id)
    qr = ticket and tickets.qr_svg(
        tickets.ticket_url(tickets.code_of(ticket)), f"Your QR code, {me.name}"
    )
    remembered = {"remembered_offer": memory.offer(me), "reconnect": met_before.reconnect(me)}
    context = _waiting(me) | _suggestions(me) | remembered
    return render_template("room/home.html", qr=qr, **context)


def _waiting(me) -> dict:
    """How many people I recorded, and who recorded me and waits for a "Connect back"."""
    return {
        "me": me,
        "event": me.event,
        "met": len(_on_cards(me)),
        "waiting": cards.waiting_for_me(me),
        "new_nonce": _nonce,
    }


def _suggestions(me) -> dict:
    """Up to five people here I have not met, with reasons."""
    return {"me": me, "event": me.event, "suggestions": room.suggestions(me, limit=5)}


def _subject(me):
    """Whom the card form is for, and how they were found; (None, why) when no one fits."""
    if code := request.args.get("code", "").strip():
        via = request.args.get("via", "scan")
        try:
            subject = cards.resolve_code(me, code)
        except cards.CardError as error:
            return None, str(error)
        if subject.id == me.id:
            return None, "That\u2019s your own code. Scan someone else\u2019s."
        return subject, via if via in SCAN_VIA else "scan"
    try:
        return cards.resolve_id(me, request.args.get("attendee_id", type=int)), "list"
    except cards.CardError:
        abort(404)


def _scan_problem(me, message: str):
    """A scanned code that is no one here (or mine): say so, and keep scanning."""
    template = "room/_scan_problem.html" if htmx else "room/scan.html"
    return _page(template, me, problem=message, quick_tags=cards.QUICK_TAGS), 422


def _on_cards(me) -> dict[int, int]:
    """Person id -> my card's id, for everyone I recorded."""
    return {card.subject_id: card.id for card in cards.mine(me)}


def _to_card(slug: str, card_id: int):
    """Go to the card; from the scan page's in-place lookup (htmx), as a whole-page visit."""
    url = url_for("room.card", slug=slug, card_id=card_id)
    return make_response(redirect=url) if htmx else redirect(url, 303)


def _page(template: str, me, **context) -> str:
    """Render a template of mine with me and my event."""
    return render_template(template, me=me, event=me.event, **context)


def _kept_offline(page: str):
    """A page the service worker may keep for this browser and show offline."""
    return make_response(page, {"X-Offline-Page": "1"})


def _nonce() -> str:
    return str(uuid.uuid4())
