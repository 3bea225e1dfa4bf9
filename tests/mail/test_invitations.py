"""Invitations to register: the preview (pasted and uploaded lists, what is left out and why),
confirm once, a dead SMTP server then a live one, batches, one-click unsubscribe onto the
organizer's do-not-invite list, tokens kept hashed, and another organizer seeing none of it."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from conftest import PASSWORD, csrf_token
from flask import url_for
from sqlalchemy import func, select, update
from support.pages import readable

from checkin.accounts import users
from checkin.extensions import db
from checkin.mail import invitations
from checkin.models import DoNotInvite, Event, Guest, Invitation, Registration, Suppression, utcnow

LIST = (
    "Email\n"
    "ana@example.org, ANA@example.org ; Ben Example <ben@example.org>\n"
    "not-an-address\n"
    "guest@example.org\treg@example.org\n"
    "optout@example.org\nbounced@example.org\ncy@example.org\n"
)


@pytest.fixture
def invite_party(app, client, sign_in, make_event, make_guest):
    """Fall Reunion open for registration: guest@ on the guest list, reg@ registered, optout@
    on the organizer's do-not-invite list, bounced@ suppressed. Signed in; slug, id, token."""
    slug = make_event("Fall Reunion")
    make_guest(slug, "Gus Guest", email="guest@example.org")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        event.registration = "open"
        db.session.add(
            Registration(
                event_id=event.id, email="reg@example.org", name="Reg", token_hash="1" * 64
            )
        )
        db.session.add(DoNotInvite(association_id=event.association_id, email="optout@example.org"))
        db.session.add(Suppression(email="bounced@example.org", reason="550 gone"))
        db.session.commit()
        event_id = event.id
    sign_in()
    return {"slug": slug, "id": event_id, "token": csrf_token(client, f"/events/{slug}")}


def preview(client, party, text="", upload=None):
    """Press "Preview the invitations" with pasted text and/or a file (name, bytes)."""
    data = {"csrf_token": party["token"], "emails": text}
    if upload is not None:
        data["upload"] = (io.BytesIO(upload[1]), upload[0])
    return client.post(
        f"/events/{party['slug']}/invitations/preview",
        data=data,
        content_type="multipart/form-data",
    )


def confirm(client, party, emails, nonce=None):
    """Press "Send N invitations" on the preview."""
    data = {"csrf_token": party["token"], "emails": emails, "nonce": nonce or uuid.uuid4().hex}
    return client.post(f"/events/{party['slug']}/invitations", data=data)


def invited(app, event_id) -> dict[str, str]:
    """Each invitation's status by address."""
    with app.app_context():
        rows = db.session.execute(
            select(Invitation.email, Invitation.status).where(Invitation.event_id == event_id)
        )
        return dict(rows.all())


def test_the_preview_sorts_the_list(client, invite_party):
    """Duplicates removed, bad addresses listed, known addresses left out with why."""
    reply = preview(client, invite_party, LIST)
    assert reply.status_code == 200
    text = readable(reply)
    assert "3 to invite" in text and "1 duplicate removed" in text
    assert "Not an email address (1) not-an-address" in text
    assert "Already on the guest list (1) guest@example.org" in text
    assert "Already registered (1) reg@example.org" in text
    assert "Asked for no more invitations from you (1) optout@example.org" in text
    assert "Bounced before" in text and "bounced@example.org" in text
    hidden = re.search(r'name="emails" type="hidden" value="([^"]*)"', reply.get_data(as_text=True))
    assert hidden.group(1).split("\n") == [
        "ana@example.org",
        "ben@example.org",
        "cy@example.org",
    ]
    assert invited(client.application, invite_party["id"]) == {}  # nothing sent yet


def test_an_uploaded_file_in_another_encoding(client, invite_party):
    """A UTF-16 .csv with a header is read as text, like pasted addresses."""
    data = "E-mail\r\nzoë@example.org\r\nann@example.org\r\n".encode("utf-16")
    text = readable(preview(client, invite_party, upload=("list.csv", data)))
    assert "2 to invite" in text and "ann@example.org" in text and "zoë@example.org" in text


@pytest.mark.parametrize(
    ("upload", "problem"),
    [
        (("big.txt", b"a@example.org\n" * 80_000), "The file is over 1 MB"),
        (("list.xlsx", b"PK\x03\x04rest"), "Excel file"),
        (("nul.txt", b"a@example.org\x00\x00\x00"), "binary data"),
    ],
)
def test_a_file_that_is_no_list_gets_a_clear_error(client, invite_party, upload, problem):
    """Too big, a spreadsheet, binary: 422 with the form and why; nothing queued."""
    reply = preview(client, invite_party, upload=upload)
    assert reply.status_code == 422 and problem in readable(reply)


def test_an_empty_form_says_what_to_do(client, invite_party):
    """Neither text nor file: 422 with the form and the reason."""
    reply = preview(client, invite_party, "   ")
    assert reply.status_code == 422
    assert "Paste some email addresses or choose a file." in readable(reply)


def test_confirming_twice_queues_once(client, invite_party, inbox, smtp_url):
    """The same form twice (one nonce) sends once; a new form with the same list adds no one."""
    emails = "ana@example.org\nben@example.org"
    nonce = uuid.uuid4().hex
    assert confirm(client, invite_party, emails, nonce).status_code == 302
    assert confirm(client, invite_party, emails, nonce).status_code == 302
    assert confirm(client, invite_party, emails).status_code == 302
    assert invited(client.application, invite_party["id"]) == {
        "ana@example.org": "sent",
        "ben@example.org": "sent",
    }
    assert sorted(inbox.copies().items()) == [("ana@example.org", 1), ("ben@example.org", 1)]
    page = readable(client.get(f"/events/{invite_party['slug']}/invitations"))
    assert "2 sent" in page


def test_the_confirm_checks_the_list_again(client, invite_party, inbox, smtp_url):
    """A tampered confirm cannot invite a guest, an opted-out or a bad address."""
    confirm(client, invite_party, "guest@example.org\noptout@example.org\nnope\ncy@example.org")
    assert invited(client.application, invite_party["id"]) == {"cy@example.org": "sent"}


def test_a_dead_server_then_a_live_one(app, client, invite_party, inbox, smtp_url):
    """Unreachable: queued again with why; once the server answers, each sent once, with the
    register link, text and HTML, and one-click unsubscribe headers."""
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    confirm(client, invite_party, "ana@example.org\nben@example.org")
    with app.app_context():
        rows = db.session.scalars(select(Invitation)).all()
        assert {r.status for r in rows} == {"queued"} and all(r.next_attempt_at for r in rows)
        assert all("will try again" in r.reason for r in rows)
        app.config["SMTP_URL"] = smtp_url
        assert invitations.send_queued(invite_party["id"]) == {}  # not due yet
        invitations.send_due(utcnow() + timedelta(minutes=2))
    assert invited(app, invite_party["id"]) == {
        "ana@example.org": "sent",
        "ben@example.org": "sent",
    }
    [email] = inbox.to("ana@example.org")
    assert email["Subject"] == "You're invited: Fall Reunion"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<http://127\.0\.0\.1:5000/invitations/no-more/[A-Z2-7]+>", email["List-Unsubscribe"]
    )
    text, html = email.get_payload()
    register = f"http://127.0.0.1:5000/e/{invite_party['slug']}"
    assert register in text.get_content() and f'href="{register}"' in html.get_content()


def test_a_batch_at_a_time(app, client, invite_party, inbox, smtp_url):
    """INVITATION_BATCH per run; the next run sends the rest."""
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    confirm(client, invite_party, "a1@example.org\na2@example.org\na3@example.org")
    app.config.update(SMTP_URL=smtp_url, INVITATION_BATCH=2)
    later = utcnow() + timedelta(minutes=2)
    with app.app_context():
        assert invitations.send_queued(invite_party["id"], later) == {"sent": 2}
        assert invitations.send_queued(invite_party["id"], later) == {"sent": 1}
    assert len(inbox.messages) == 3


def test_one_click_unsubscribe_stops_later_invitations(app, client, invite_party, inbox, smtp_url):
    """GET shows a button and changes nothing; the mail app's POST (no session, no CSRF) puts
    the address on the organizer's list, once; a later preview leaves it out; a forged token
    finds nothing."""
    confirm(client, invite_party, "ana@example.org")
    link = re.search(r"<(.+)>", inbox.to("ana@example.org")[0]["List-Unsubscribe"]).group(1)
    path = link.removeprefix("http://127.0.0.1:5000")
    stranger = app.test_client()
    page = stranger.get(path)
    assert page.status_code == 200 and "No more invitations" in readable(page)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DoNotInvite)) == 1
    assert stranger.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert stranger.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert stranger.post(path, data={}).status_code == 400
    with app.app_context():
        emails = db.session.scalars(select(DoNotInvite.email)).all()
        assert sorted(emails) == ["ana@example.org", "optout@example.org"]
    text = readable(preview(client, invite_party, "ana@example.org"))
    assert "Asked for no more invitations from you (1) ana@example.org" in text
    assert stranger.get(path.replace("no-more/", "no-more/X")).status_code == 404


def test_skipped_at_send_time_once_opted_out(app, client, invite_party, inbox, smtp_url):
    """An invitation queued before its address opted out is skipped with why."""
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    confirm(client, invite_party, "dee@example.org")
    app.config["SMTP_URL"] = smtp_url
    with app.app_context():
        organizer = db.session.scalar(
            select(Event.association_id).where(Event.slug == invite_party["slug"])
        )
        db.session.add(DoNotInvite(association_id=organizer, email="dee@example.org"))
        db.session.commit()
        invitations.send_due(utcnow() + timedelta(minutes=2))
        row = db.session.scalar(select(Invitation))
        assert (row.status, row.reason) == ("skipped", invitations.NO_MORE)
    assert inbox.messages == []


def test_tokens_are_kept_hashed_and_a_crash_leaves_uncertain(
    app, client, invite_party, inbox, smtp_url
):
    """The link's token is in no column; a row left "sending" becomes uncertain, not resent."""
    confirm(client, invite_party, "ana@example.org")
    token = inbox.messages[0]["List-Unsubscribe"].rsplit("/", 1)[-1].rstrip(">")
    with app.app_context():
        row = db.session.scalar(select(Invitation))
        assert token not in (row.token_hash, row.salt) and len(row.token_hash) == 64
        db.session.execute(
            update(Invitation).values(status="sending", claimed_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()
        assert invitations.recover() == 1
        invitations.send_due(utcnow() + timedelta(hours=1))
        assert db.session.scalar(select(Invitation.status)) == "uncertain"
    assert len(inbox.messages) == 1


def test_only_while_registration_is_open(app, client, invite_party):
    """With registration off, the page says so and previewing or sending is refused."""
    with app.app_context():
        db.session.execute(update(Event).values(registration="off"))
        db.session.commit()
    page = readable(client.get(f"/events/{invite_party['slug']}/invitations"))
    assert "open registration for this event first" in page
    assert preview(client, invite_party, "ana@example.org").status_code == 422
    assert confirm(client, invite_party, "ana@example.org").status_code == 422
    assert invited(app, invite_party["id"]) == {}


def test_another_organizer_sees_none_of_it(app, client, invite_party, sign_in, inbox, smtp_url):
    """B gets 404 for A's invitations page, preview and confirm; B's own page lists none of
    A's invitations."""
    confirm(client, invite_party, "ana@example.org")
    other = app.test_client()
    with app.app_context():
        b = users.create_organizer("b@example.org", PASSWORD)
        from checkin.events import events

        start = utcnow().replace(tzinfo=None) + timedelta(days=40)
        theirs = events.create_event(b, "B Party", "", start, start + timedelta(hours=2), "UTC")
        theirs.registration = "open"
        db.session.commit()
        b_slug = theirs.slug
    sign_in("b@example.org", test_client=other)
    token = csrf_token(other, "/events")
    slug = invite_party["slug"]
    assert other.get(f"/events/{slug}/invitations").status_code == 404
    data = {"csrf_token": token, "emails": "x@example.org", "nonce": uuid.uuid4().hex}
    assert other.post(f"/events/{slug}/invitations/preview", data=data).status_code == 404
    assert other.post(f"/events/{slug}/invitations", data=data).status_code == 404
    mine = readable(other.get(f"/events/{b_slug}/invitations"))
    assert "ana@example.org" not in mine and "0 sent" in mine
    assert invited(app, invite_party["id"]) == {"ana@example.org": "sent"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Guest)) == 1


def test_a_pasted_list_too_long_gets_a_clear_error(client, invite_party):
    """Over 450,000 characters pasted: 422 with the form and the limit; nothing queued."""
    reply = preview(client, invite_party, "a@example.org\n" * 33_000)
    assert reply.status_code == 422
    assert "Too long: paste at most 450,000 characters." in readable(reply)
    assert invited(client.application, invite_party["id"]) == {}


def test_the_register_link_is_the_public_page(app, invite_party):
    """The invitation's link, built without a request, is the public page's own URL."""
    with app.test_request_context():
        event = db.session.get(Event, invite_party["id"])
        page = url_for("registration.event_page", slug=event.slug)
        assert invitations.public_url(event) == app.config["BASE_URL"].rstrip("/") + page


def test_the_invitation_carries_the_events_postal_address(
    app, client, invite_party, inbox, smtp_url
):
    """Bulk mail names a postal address: the event's, in the text and the HTML, as the digest."""
    with app.app_context():
        event = db.session.get(Event, invite_party["id"])
        event.postal_address = "Alumni Office, 1 College Green, Dublin 2"
        db.session.commit()
    confirm(client, invite_party, "ana@example.org")
    [email] = inbox.to("ana@example.org")
    text, html = email.get_payload()
    assert "1 College Green, Dublin 2" in text.get_content()
    assert "1 College Green, Dublin 2" in html.get_content()


def test_a_failed_or_uncertain_invitation_can_be_sent_again(
    app, client, invite_party, inbox, smtp_url
):
    """ "Send again" on the page: a POST with CSRF queues it and sends it; a second press does
    nothing more; a sent one or another event's is not touched."""
    confirm(client, invite_party, "ana@example.org\nben@example.org")
    with app.app_context():
        ana, ben = (
            db.session.scalar(select(Invitation.id).where(Invitation.email == e))
            for e in ("ana@example.org", "ben@example.org")
        )
        db.session.execute(
            update(Invitation)
            .where(Invitation.id == ana)
            .values(status="uncertain", reason="The worker stopped.")
        )
        db.session.commit()
    html = client.get(f"/events/{invite_party['slug']}/invitations").get_data(as_text=True)
    action = f'action="/events/{invite_party["slug"]}/invitations/{ana}/retry"'
    assert action in html and f"/invitations/{ben}/retry" not in html
    path = f"/events/{invite_party['slug']}/invitations/{ana}/retry"
    assert client.post(path).status_code == 400  # no CSRF token
    for _ in range(2):
        reply = client.post(path, data={"csrf_token": invite_party["token"]})
        assert reply.status_code == 303
    assert invited(app, invite_party["id"])["ana@example.org"] == "sent"
    assert inbox.copies()["ana@example.org"] == 2  # the uncertain one had gone after all
    with app.app_context():
        assert not invitations.retry(db.session.get(Event, invite_party["id"]), ben)


def test_another_organizer_cannot_retry_an_invitation(app, client, invite_party, sign_in):
    """Another association's organizer gets 404 and the invitation stays failed."""
    with app.app_context():
        db.session.add(
            Invitation(
                event_id=invite_party["id"],
                association_id=db.session.get(Event, invite_party["id"]).association_id,
                email="zed@example.org",
                salt="s" * 16,
                token_hash="f" * 64,
                status="failed",
            )
        )
        db.session.commit()
        zed = db.session.scalar(select(Invitation.id).where(Invitation.email == "zed@example.org"))
        users.create_organizer("other@example.org", PASSWORD)
    other = client.application.test_client()
    sign_in(email="other@example.org", test_client=other)
    token = csrf_token(other, "/events")
    path = f"/events/{invite_party['slug']}/invitations/{zed}/retry"
    assert other.post(path, data={"csrf_token": token}).status_code == 404
    assert invited(app, invite_party["id"])["zed@example.org"] == "failed"
