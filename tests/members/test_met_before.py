"""Met before: cards at the association's earlier events between two remembered members."""

import uuid

from sqlalchemy import select

from checkin.database import writing
from checkin.digest import content
from checkin.extensions import db
from checkin.members import memory, met_before
from checkin.models import Event, Guest, utcnow
from checkin.room import cards, suggestions


def _remember(app, *guest_ids):
    """The guests tick "remember" (as their profile page does) and are linked."""
    with app.app_context():
        for guest_id in guest_ids:
            guest = db.session.get(Guest, guest_id)
            with writing():
                guest.consent_remember = True
                memory.keep(guest)


def _card(app, author_id, subject_id, note=""):
    with app.app_context():
        author, subject = db.session.get(Guest, author_id), db.session.get(Guest, subject_id)
        cards.record(author, subject, str(uuid.uuid4()), note)


def _in_room(app, *guest_ids, share=False):
    with app.app_context():
        for guest_id in guest_ids:
            guest = db.session.get(Guest, guest_id)
            guest.checked_in_at, guest.consent_findable = utcnow(), True
            guest.consent_share_contact = share
        db.session.commit()


def _world(app, association_events, make_guest):
    """Ada, Dana and Bob met at Spring Mixer (Ada recorded both); Ada and Dana chose to be
    remembered, Bob did not; all three are checked in at Fall Reunion, with Carl."""
    ids = {}
    for who in ("ada", "dana", "bob"):
        email = f"{who}@example.org"
        ids[f"{who}1"], _ = make_guest(
            association_events["spring"], who.title() + " X", email=email
        )
        ids[f"{who}2"], _ = make_guest(association_events["fall"], who.title() + " X", email=email)
    ids["carl2"], _ = make_guest(association_events["fall"], "Carl Y", email="carl@example.org")
    ids["rival"], _ = make_guest(association_events["other"], "Ada X", email="ada@example.org")
    _in_room(app, ids["ada1"], ids["dana1"], ids["bob1"], share=True)
    _card(app, ids["ada1"], ids["dana1"], "Ada's note about Dana")
    _card(app, ids["dana1"], ids["ada1"], "Dana's note about Ada")
    _card(app, ids["ada1"], ids["bob1"])
    _remember(app, ids["ada1"], ids["dana1"], ids["ada2"], ids["dana2"], ids["rival"])
    _in_room(app, ids["ada2"], ids["dana2"], ids["bob2"], ids["carl2"])
    return ids


def test_reconnect_names_remembered_people_here_tonight_only(
    app, client, association_events, make_guest, sign_in_guest
):
    """Ada's home: "Reconnect: you met Dana at Spring Mixer"; Bob (not remembered) is a
    stranger; Dana sees Ada the same way."""
    ids = _world(app, association_events, make_guest)
    sign_in_guest(client, ids["ada2"])
    home = client.get(f"/e/{association_events['fall']}/").get_data(as_text=True)
    assert "Reconnect: you met Dana at Spring Mixer" in home
    assert "you met Bob" not in home
    with app.app_context():
        assert met_before.of(db.session.get(Guest, ids["bob2"])) == {}
        assert met_before.of(db.session.get(Guest, ids["dana2"])) == {ids["ada2"]: ["Spring Mixer"]}


def test_another_association_never_counts(app, association_events, make_guest):
    """The rival association's Ada is remembered there, yet met no one in its events."""
    ids = _world(app, association_events, make_guest)
    with app.app_context():
        assert met_before.of(db.session.get(Guest, ids["rival"])) == {}
        rival = db.session.scalar(select(Event).where(Event.slug == association_events["other"]))
        assert met_before.pairs_at(rival) == {}


def test_withdrawing_remember_ends_met_before(app, association_events, make_guest):
    """Dana unticks "remember": Ada no longer sees that they met."""
    ids = _world(app, association_events, make_guest)
    with app.app_context():
        dana = db.session.get(Guest, ids["dana2"])
        with writing():
            memory.forget(dana.member_id)
        assert met_before.of(db.session.get(Guest, ids["ada2"])) == {}


def test_suggestions_prefer_people_not_met_before(app, association_events, make_guest):
    """Dana and Carl both could be suggested: Carl first; Dana's reason says where they met."""
    ids = _world(app, association_events, make_guest)
    with app.test_request_context():
        found = suggestions.suggestions(db.session.get(Guest, ids["ada2"]), fresh=True)
        order = [person["id"] for person in found]
        assert order.index(ids["carl2"]) < order.index(ids["dana2"])
        dana = next(p for p in found if p["id"] == ids["dana2"])
        assert dana["reasons"][0] == "You met at Spring Mixer"


def test_the_digest_mentions_the_earlier_meeting(app, association_events, make_guest):
    """Ada meets Dana again at Fall Reunion: her digest's entry for Dana says where they met."""
    ids = _world(app, association_events, make_guest)
    _card(app, ids["ada2"], ids["dana2"])
    with app.app_context():
        reader = db.session.get(Guest, ids["ada2"])
        event = db.session.get(Event, reader.event_id)
        digest = content.Builder(event).build(reader)
        dana = next(e for e in digest.met if e.id == ids["dana2"])
        assert "You met at Spring Mixer" in dana.reasons
        bob_digest = content.Builder(event).build(db.session.get(Guest, ids["bob2"]))
        assert all("You met at" not in r for e in bob_digest.to_meet for r in e.reasons)


def test_people_ive_met_lists_my_notes_and_shared_contacts_only(
    app, client, association_events, make_guest, sign_in_guest
):
    """Ada's page lists Dana (connected, her own note, Dana's email: both shared) and not Bob
    (not remembered); Dana's note about Ada is never shown to Ada; CSV and vCard agree."""
    ids = _world(app, association_events, make_guest)
    sign_in_guest(client, ids["ada2"])
    base = f"/e/{association_events['fall']}/people-ive-met"
    page = client.get(base).get_data(as_text=True)
    assert "Dana X" in page and "Ada&#39;s note about Dana" in page
    assert "Dana&#39;s note" not in page and "Bob X" not in page
    assert "dana@example.org" in page
    csv = client.get(f"{base}.csv")
    assert csv.headers["Cache-Control"] == "no-store"
    text = csv.get_data(as_text=True)
    assert "Dana X" in text and "Spring Mixer" in text and "Bob X" not in text
    vcf = client.get(f"{base}.vcf").get_data(as_text=True)
    assert "dana@example.org" in vcf and "Met at Spring Mixer" in vcf
    sign_in_guest(client, ids["bob2"])
    assert "Ada X" not in client.get(base).get_data(as_text=True)
