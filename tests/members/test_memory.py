"""Remembered only with consent: the Member, the offer at a later event, forgetting, scoping."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from checkin.extensions import db
from checkin.members import memory
from checkin.models import ConsentChange, Guest, Member, utcnow
from checkin.privacy import erase


def _save(client, slug, token, **fields):
    data = {"csrf_token": token, **fields}
    return client.post(f"/e/{slug}/profile", data=data)


def _members(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Member.id)))


def _guest(app, guest_id):
    with app.app_context():
        guest = db.session.get(Guest, guest_id)
        db.session.expunge(guest)
        return guest


def _home(client, slug):
    return client.get(f"/e/{slug}/").get_data(as_text=True)


def test_remember_is_unticked_and_nothing_is_kept_without_it(
    app, client, association_events, make_guest, sign_in_guest
):
    """A fresh profile leaves "remember" clear; saving without it keeps no member, so the next
    event of the association offers nothing."""
    first, _ = make_guest(association_events["spring"], email="ada@example.org")
    token = sign_in_guest(client, first)
    html = client.get(f"/e/{association_events['spring']}/profile").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="consent_remember"[^>]*>', html).group(0)
    assert "checked" not in box
    _save(client, association_events["spring"], token, employer="Initech")
    assert _members(app) == 0
    second, _ = make_guest(association_events["fall"], email="ada@example.org")
    sign_in_guest(client, second)
    assert "We remember you" not in _home(client, association_events["fall"])
    assert client.get(f"/e/{association_events['fall']}/remembered").status_code == 303


def test_remembered_profile_is_offered_prefilled_and_consents_asked_again(
    app, client, association_events, make_guest, sign_in_guest
):
    """With "remember": the profile is kept; at the next event it is offered (not applied),
    prefilled, with findable/share/digest clear; confirming links the guest to the member."""
    first, _ = make_guest(association_events["spring"], email="Ada@Example.org")
    token = sign_in_guest(client, first)
    fields = {"employer": "Initech", "city": "Leeds", "consent_findable": "y"}
    _save(
        client,
        association_events["spring"],
        token,
        consent_remember="y",
        consent_digest="y",
        **fields,
    )
    with app.app_context():
        member = db.session.scalar(select(Member))
        assert (member.email, member.profile["employer"]) == ("ada@example.org", "Initech")
        assert "consent_findable" not in member.profile
    second, _ = make_guest(association_events["fall"], email="ada@example.org")
    token = sign_in_guest(client, second)
    assert "We remember you" in _home(client, association_events["fall"])
    assert _guest(app, second).employer == ""  # not silently applied
    page = client.get(f"/e/{association_events['fall']}/remembered").get_data(as_text=True)
    assert 'value="Initech"' in page
    for name in ("consent_findable", "consent_share_contact", "consent_digest"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert "checked" not in box
    answer = client.post(
        f"/e/{association_events['fall']}/remembered",
        data={"csrf_token": token, "employer": "Globex", "consent_remember": "y"},
    )
    assert answer.status_code == 303
    guest = _guest(app, second)
    assert (guest.employer, guest.consent_findable, guest.consent_remember) == (
        "Globex",
        False,
        True,
    )
    assert guest.member_id == _guest(app, first).member_id is not None
    assert "We remember you" not in _home(client, association_events["fall"])


def test_another_association_never_sees_the_member(
    app, client, association_events, make_guest, sign_in_guest
):
    """Association B's event, same address: no offer, the member stays A's alone."""
    first, _ = make_guest(association_events["spring"], email="ada@example.org")
    _save(client, association_events["spring"], sign_in_guest(client, first), consent_remember="y")
    rival, _ = make_guest(association_events["other"], email="ada@example.org")
    sign_in_guest(client, rival)
    assert "We remember you" not in _home(client, association_events["other"])
    assert client.get(f"/e/{association_events['other']}/remembered").status_code == 303
    with app.app_context():
        assert memory.offer(db.session.get(Guest, rival)) is None


def test_unticking_remember_forgets_everywhere(
    app, client, association_events, make_guest, sign_in_guest
):
    """Withdrawing "remember" deletes the member; every linked guest row loses the link and
    the consent, each recorded as a consent change."""
    first, _ = make_guest(association_events["spring"], email="ada@example.org")
    _save(client, association_events["spring"], sign_in_guest(client, first), consent_remember="y")
    second, _ = make_guest(association_events["fall"], email="ada@example.org")
    token = sign_in_guest(client, second)
    client.post(
        f"/e/{association_events['fall']}/remembered",
        data={"csrf_token": token, "consent_remember": "y"},
    )
    _save(client, association_events["fall"], token)  # the box left clear
    assert _members(app) == 0
    for guest_id in (first, second):
        guest = _guest(app, guest_id)
        assert (guest.member_id, guest.consent_remember) == (None, False)
    with app.app_context():
        withdrawn = db.session.scalars(
            select(ConsentChange.attendee_id).where(
                ConsentChange.consent == "remember", ConsentChange.value.is_(False)
            )
        )
        assert set(withdrawn) == {first, second}


def test_deleting_ones_data_forgets_the_member(
    app, association_events, make_guest, client, sign_in_guest
):
    """erase() removes the association's memory of the guest too."""
    first, _ = make_guest(association_events["spring"], email="ada@example.org")
    _save(client, association_events["spring"], sign_in_guest(client, first), consent_remember="y")
    second, _ = make_guest(association_events["fall"], email="ada@example.org")
    with app.app_context():
        erase.erase(db.session.get(Guest, second), "guest")
    assert _members(app) == 0
    assert _guest(app, first).consent_remember is False


def test_members_not_seen_for_the_retention_are_forgotten(
    app, client, association_events, make_guest, sign_in_guest
):
    """The purge forgets members not seen for forget_members_after_days (730 unless set)."""
    first, _ = make_guest(association_events["spring"], email="ada@example.org")
    _save(client, association_events["spring"], sign_in_guest(client, first), consent_remember="y")
    with app.app_context():
        now = utcnow()
        assert memory.purge_due(now + timedelta(days=729)) == 0
        member = db.session.scalar(select(Member))
        member.last_seen_at = now - timedelta(days=40)
        member.association.settings = {"forget_members_after_days": 30}
        db.session.commit()
        assert memory.purge_due(now) == 1
    assert _members(app) == 0
    assert _guest(app, first).member_id is None


def test_unticking_remember_on_the_offer_keeps_the_profile_here_only(
    app, client, association_events, make_guest, sign_in_guest
):
    """Confirming the offered profile with "remember" unticked saves it for this event alone:
    no link, and the earlier event's member stays as it was."""
    first, _ = make_guest(association_events["spring"], email="ada@example.org")
    spring_token = sign_in_guest(client, first)
    _save(
        client, association_events["spring"], spring_token, consent_remember="y", employer="Initech"
    )
    second, _ = make_guest(association_events["fall"], email="ada@example.org")
    token = sign_in_guest(client, second)
    client.post(
        f"/e/{association_events['fall']}/remembered", data={"csrf_token": token, "city": "York"}
    )
    guest = _guest(app, second)
    assert (guest.city, guest.member_id, guest.consent_remember) == ("York", None, False)
    assert _members(app) == 1 and _guest(app, first).member_id is not None


def test_your_data_shows_what_the_association_remembers(
    client, association_events, make_guest, sign_in_guest
):
    """Someone remembered finds the kept profile on their data page and in its JSON; someone
    who never ticked "remember" finds no such part."""
    first, _ = make_guest(association_events["spring"], email="ada@example.org")
    token = sign_in_guest(client, first)
    slug = association_events["spring"]
    assert "remembers" not in client.get(f"/e/{slug}/your-data").get_data(as_text=True)
    _save(client, slug, token, employer="Initech", consent_remember="y")
    page = client.get(f"/e/{slug}/your-data").get_data(as_text=True)
    assert "remembers</h2>" in page and "Initech" in page
    kept = client.get(f"/e/{slug}/your-data.json").get_json()["remembered"]
    assert kept["email"] == "ada@example.org" and kept["profile"]["employer"] == "Initech"
