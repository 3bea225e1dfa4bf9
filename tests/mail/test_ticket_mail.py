"""Ticket emails: what arrives at a real SMTP server, the organizer's "Send tickets", the count,
failures, the queue, and the sent-mail pages when there is no mail server."""

import re
import uuid

from conftest import REUNION_DAY, csrf_token
from sqlalchemy import func, select, update
from support.mailserver import free_port
from support.pages import HTMX, page_at
from support.pdf_qr import qr_in_image

from checkin import tasks
from checkin.extensions import db
from checkin.mail import ticket_mail
from checkin.models import Event, Guest, Outbox

GUESTS = [
    ("Ada Lovelace", "ada@example.org"),
    ("Zoë Müller", "zoe@example.org"),
    ("Grace Hopper", "grace@example.org"),
]


def send(client, party, scope="unsent", nonce=None, **extra):
    """Press "Send tickets" (or "Email everyone again")."""
    data = {"csrf_token": party["token"], "scope": scope, "nonce": nonce or uuid.uuid4().hex}
    return client.post(f"/events/{party['slug']}/tickets", data={**data, **extra})


def email_one(client, party, email: str):
    """Press "Email the ticket" on one guest's page."""
    path = f"/events/{party['slug']}/attendees/{party['ids'][email]}/ticket-mail"
    return client.post(path, data={"csrf_token": party["token"], "nonce": uuid.uuid4().hex})


def ticket_urls(app, slug) -> dict[str, str]:
    """Each guest's ticket URL (what their QR must carry), by email."""
    from checkin.events import tickets

    with app.app_context():
        people = db.session.scalars(select(Guest).join(Event).where(Event.slug == slug))
        return {
            p.email: tickets.ticket_url(tickets.code_of(tickets.current_ticket(p.id)))
            for p in people
            if p.email
        }


def decode_qr(png: bytes, tmp_path) -> str:
    """What zbarimg reads in a PNG."""
    path = tmp_path / f"{uuid.uuid4().hex}.png"
    path.write_bytes(png)
    return qr_in_image(path)


def test_the_ticket_email_is_multipart_with_an_inline_qr(
    app, client, ticket_party, inbox, smtp_url, tmp_path
):
    """Text and HTML alternatives, then the .ics; the HTML shows the QR as a cid: image part,
    which decodes to the guest's ticket URL; no data: URIs, no remote images; the personal
    link is in both."""
    assert send(client, ticket_party).status_code == 302
    [email] = inbox.to("zoe@example.org")
    assert email["Subject"] == "Your ticket for Fall Reunion"
    assert email["To"].addresses[0].display_name == "Zoë Müller"
    assert email.get_content_type() == "multipart/mixed"
    alternative, invitation = email.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert invitation.get_content_type() == "text/calendar"
    text, related = alternative.get_payload()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert (html.get_content_type(), image.get_content_type()) == ("text/html", "image/png")
    cid = image["Content-ID"].strip("<>")
    body = html.get_content()
    assert re.findall(r'<img[^>]*src="([^"]*)"', body) == [f"cid:{cid}"]
    assert "data:" not in body and "http" not in "".join(re.findall(r"<img[^>]*>", body))
    ticket_url = ticket_urls(app, ticket_party["slug"])["zoe@example.org"]
    assert decode_qr(image.get_payload(decode=True), tmp_path) == ticket_url
    plain = text.get_content()
    login = re.search(r"http://127\.0\.0\.1:5000/in/[A-Z2-7]{32}", plain).group(0)
    assert login in body and ticket_url.rsplit("/", 1)[-1] in plain  # the code, to spell out
    assert "Hello Zoë" in plain and "Alumni Hall" in plain
    assert f"{REUNION_DAY:%a} 26 Nov, 18:00" in plain


def test_the_link_in_the_email_signs_in(client, ticket_party, inbox, smtp_url):
    """The personal link from the email: GET asks, POST signs in, the event home opens."""
    send(client, ticket_party)
    [email] = inbox.to("ada@example.org")
    text = email.get_body(("plain",)).get_content()
    path = re.search(r"/in/[A-Z2-7]{32}", text).group(0)
    guest = client.application.test_client()
    home = f"/e/{ticket_party['slug']}/"
    assert "Continue as Ada" in guest.get(path).get_data(as_text=True)
    assert guest.get(home).status_code == 404  # the GET signed no one in
    reply = guest.post(path, data={"csrf_token": csrf_token(guest, path)})
    assert reply.status_code == 302 and reply.location == home
    assert guest.get(home).status_code == 200


def test_send_tickets_emails_everyone_with_an_address_once(client, ticket_party, inbox, smtp_url):
    """One press: one email per guest with an address, over one connection; the count shows it."""
    event_page = f"/events/{ticket_party['slug']}"
    assert "Send tickets (3)" in page_at(client, event_page)
    reply = send(client, ticket_party)
    assert reply.location == f"/events/{ticket_party['slug']}/tickets"
    assert sorted(str(m["To"].addresses[0].addr_spec) for m in inbox.messages) == sorted(
        email for _, email in GUESTS
    )
    assert inbox.greetings == 1
    html = page_at(client, reply.location)
    assert "Sending 3 ticket emails." in html
    assert re.search(r'<span class="stat">3</span> of 3 guests', html)
    assert "Send tickets (" not in page_at(client, event_page)
    send(client, ticket_party)  # a later press finds no one new
    assert len(inbox.messages) == 3
    assert "No ticket emails to send" in page_at(client, event_page)


def test_a_double_submit_sends_once(client, ticket_party, inbox, smtp_url):
    """The same form sent twice (same nonce) sends each guest one email."""
    nonce = uuid.uuid4().hex
    send(client, ticket_party, nonce=nonce)
    send(client, ticket_party, "all", nonce=nonce, confirm="y")
    assert len(inbox.messages) == 3
    assert "That form was sent already" in page_at(
        client, f"/events/{ticket_party['slug']}/tickets"
    )


def test_emailing_everyone_again_needs_a_tick(client, ticket_party, inbox, smtp_url):
    """ "Email everyone again" without the box ticked is refused; ticked, everyone gets another."""
    send(client, ticket_party)
    refused = send(client, ticket_party, "all")
    assert refused.status_code == 422
    assert "Tick the box to email everyone again." in refused.get_data(as_text=True)
    assert len(inbox.messages) == 3
    send(client, ticket_party, "all", confirm="y")
    assert len(inbox.messages) == 6


def test_one_guests_ticket_from_their_page(app, client, ticket_party, inbox, smtp_url):
    """The guest page emails that guest alone, and shows when it went."""
    ada = ticket_party["ids"]["ada@example.org"]
    path = f"/events/{ticket_party['slug']}/attendees/{ada}"
    assert "Not emailed yet." in page_at(client, path)
    reply = client.post(
        f"{path}/ticket-mail", data={"csrf_token": ticket_party["token"], "nonce": uuid.uuid4().hex}
    )
    assert reply.status_code == 302 and reply.location == path
    assert [str(m["To"].addresses[0].addr_spec) for m in inbox.messages] == ["ada@example.org"]
    html = page_at(client, path)
    assert '<span class="tag ok">Sent</span>' in html and "ada@example.org" in html
    assert "Email the ticket again" in html


def test_a_refused_address_is_reported_and_the_rest_go(client, ticket_party, inbox, smtp_url):
    """The server refuses one guest: the others get theirs, the organizer sees who and why."""
    inbox.refuse.add("grace@example.org")
    send(client, ticket_party)
    assert len(inbox.messages) == 2
    html = page_at(client, f"/events/{ticket_party['slug']}/tickets")
    assert re.search(r'<span class="stat">2</span> of 3 guests', html)
    assert "1 could not be sent." in html
    assert "Grace Hopper" in html and "550" in html and "No such user here" in html
    inbox.refuse.clear()
    send(client, ticket_party)  # "Send tickets" again tries only the one that failed: she bounced
    assert len(inbox.messages) == 2
    assert "1 not sent: address bounced earlier." in page_at(
        client, f"/events/{ticket_party['slug']}"
    )
    email_one(client, ticket_party, "grace@example.org")  # her own page lifts the bounce
    assert [str(m["To"].addresses[0].addr_spec) for m in inbox.messages[2:]] == [
        "grace@example.org"
    ]


def test_a_dead_mail_server_fails_each_guest_clearly(app, client, ticket_party):
    """Nothing listening at SMTP_URL: every guest's email fails with the server named."""
    port = free_port()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    send(client, ticket_party)
    html = page_at(client, f"/events/{ticket_party['slug']}/tickets")
    assert re.search(r'<span class="stat">0</span> of 3 guests', html)
    assert "3 could not be sent." in html
    assert html.count(f"Could not reach the mail server at 127.0.0.1:{port}") == 3


def test_a_bad_address_fails_on_its_own(app, client, ticket_party, inbox, smtp_url):
    """An address that is no address fails with that reason; the others still go."""
    with app.app_context():
        db.session.execute(
            update(Guest)
            .where(Guest.id == ticket_party["ids"]["zoe@example.org"])
            .values(email="zoe at example")
        )
        db.session.commit()
    send(client, ticket_party)
    assert len(inbox.messages) == 2
    assert "is not an email address" in page_at(client, f"/events/{ticket_party['slug']}/tickets")


def test_without_a_worker_the_emails_wait_in_the_queue(
    app, client, ticket_party, inbox, smtp_url, tmp_path
):
    """Not in immediate mode: the press queues, the page says so, the worker sends them."""
    tasks.huey.immediate = False
    tasks.huey.storage = tasks.QueueFile("checkin", filename=str(tmp_path / "huey.sqlite"))
    try:
        send(client, ticket_party)
        html = page_at(client, f"/events/{ticket_party['slug']}/tickets")
        assert "3 waiting to go out." in html and 'hx-trigger="every 2s"' in html
        polled = client.get(f"/events/{ticket_party['slug']}/tickets", headers=HTMX)
        assert polled.get_data(as_text=True).lstrip().startswith('<div id="ticket-status"')
        assert inbox.messages == []
        task = tasks.huey.dequeue()  # what the worker does, here with the test's app
        with app.app_context():
            tasks.huey.execute(task)
        assert tasks.huey.dequeue() is None
    finally:
        tasks.huey.immediate = True
    assert len(inbox.messages) == 3
    html = page_at(client, f"/events/{ticket_party['slug']}/tickets")
    assert re.search(r'<span class="stat">3</span> of 3 guests', html)
    assert "hx-trigger" not in html


def test_a_task_run_twice_sends_once(app, ticket_party, inbox, smtp_url):
    """The worker claims each queued email before sending, so a repeated task sends nothing."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == ticket_party["slug"]))
        queued = ticket_mail.queue(event, None, again=False, batch="")
        first = ticket_mail.deliver(event.id, queued)
        second = ticket_mail.deliver(event.id, queued)
        statuses = db.session.scalars(select(Outbox.status)).all()
    assert [o.ok for o in first] == [True] * 3 and second == []
    assert statuses == ["sent"] * 3 and len(inbox.messages) == 3


# Sent mail kept as files (no SMTP_URL)


def test_sent_mail_pages_show_the_kept_messages(client, ticket_party):
    """Without a mail server the event's mail is listed, and each message can be read."""
    send(client, ticket_party)
    outbox = page_at(client, f"/events/{ticket_party['slug']}/mail")
    assert "3 messages" in outbox and outbox.count("Your ticket for Fall Reunion") == 3
    assert "Zoë Müller &lt;zoe@example.org&gt;" in outbox
    first = re.search(rf"/events/{ticket_party['slug']}/mail/([0-9TZ]+-[0-9a-f]+)", outbox).group(0)
    message = page_at(client, first)
    assert re.search(r"/in/[A-Z2-7]{32}", message)  # the text part, with the personal link
    assert "ticket-qr.png: image/png" in message and 'sandbox title="The email as HTML"' in message
    html = client.get(f"{first}/html")
    policy = html.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert 'src="data:image/png;base64,' in html.get_data(as_text=True)


def test_organizers_read_only_their_own_events_mail(
    app, client, ticket_party, sign_in, make_event, make_guest
):
    """Organizer B sees none of A's mail: not in B's list, and A's pages answer 404."""
    send(client, ticket_party)
    a_outbox = page_at(client, f"/events/{ticket_party['slug']}/mail")
    message = re.search(rf"/events/{ticket_party['slug']}/mail/[0-9TZ]+-[0-9a-f]+", a_outbox).group(
        0
    )
    b_slug = make_event("Spring Gala", email="b@example.org")
    make_guest(b_slug, "Bea Bravo", email="bea@example.org")
    b = app.test_client()
    sign_in(email="b@example.org", test_client=b)
    for path in (
        f"/events/{ticket_party['slug']}/mail",
        message,
        f"{message}/html",
        f"/events/{ticket_party['slug']}/tickets",
    ):
        assert b.get(path).status_code == 404, path
    b_token = csrf_token(b, f"/events/{b_slug}")
    b.post(
        f"/events/{b_slug}/tickets",
        data={"csrf_token": b_token, "scope": "unsent", "nonce": uuid.uuid4().hex},
    )
    b_outbox = b.get(f"/events/{b_slug}/mail").get_data(as_text=True)
    assert "Bea Bravo" in b_outbox and "Zoë" not in b_outbox and "1 message" in b_outbox
    b_message = re.search(rf"/events/{b_slug}/mail/([0-9TZ]+-[0-9a-f]+)", b_outbox).group(1)
    assert client.get(f"/events/{ticket_party['slug']}/mail/{b_message}").status_code == 404


def test_with_smtp_no_mail_is_kept(client, ticket_party, inbox, smtp_url):
    """With a mail server, nothing is written to files and the page says why it is empty."""
    send(client, ticket_party)
    outbox = page_at(client, f"/events/{ticket_party['slug']}/mail")
    assert "no copies are kept here" in outbox and "Your ticket for" not in outbox
    assert "Sent mail</a>" not in page_at(client, f"/events/{ticket_party['slug']}")


def test_racing_submits_of_one_form_queue_once(app, ticket_party):
    """Eight simultaneous submits of the same form: one queues the three emails, the rest none."""
    import threading

    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == ticket_party["slug"]))
    results, start = [], threading.Barrier(8)

    def submit():
        with app.app_context():
            event = db.session.get(Event, event_id)
            start.wait()
            results.append(ticket_mail.queue(event, None, again=True, batch="same-form"))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (
        sorted(results, key=lambda r: r is None)
        == [sorted(ticket_party["ids"].values())] + [None] * 7
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Outbox)) == 3


def test_a_bug_in_one_email_fails_it_and_the_rest_still_go(
    app, ticket_party, inbox, smtp_url, monkeypatch
):
    """A bug half-way through a batch (injected here) fails that email, with why; none stuck."""
    from checkin.mail import messages

    real = messages.ticket

    def ticket(person, *args):
        if person.email == "zoe@example.org":
            raise RuntimeError("template exploded")
        return real(person, *args)

    monkeypatch.setattr(messages, "ticket", ticket)
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == ticket_party["slug"]))
        queued = ticket_mail.queue(event, None, again=False, batch="")
        outcomes = ticket_mail.deliver(event.id, queued)
        rows = dict(db.session.execute(select(Outbox.recipient, Outbox.status)).all())
        summary = ticket_mail.summary(event)
    assert rows == {
        "ada@example.org": "sent",
        "zoe@example.org": "failed",
        "grace@example.org": "sent",
    }
    assert (summary.sent, summary.waiting, summary.failed) == (2, 0, 1)
    assert [o.ok for o in outcomes] == [True, False, True]
    assert "template exploded" in outcomes[1].error


def test_recover_queues_a_stale_ticket_again_and_finds_orphans(app, ticket_party):
    """A ticket claimed long ago is queued again with why; a queued row no task took is due to
    be sent; a live worker's email is left alone."""
    from datetime import timedelta

    from sqlalchemy import update

    from checkin.mail import outbox
    from checkin.models import utcnow

    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == ticket_party["slug"]))
        ada, zoe, grace = (
            ticket_party["ids"][e]
            for e in ("ada@example.org", "zoe@example.org", "grace@example.org")
        )
        ticket_mail.queue(event, [ada, zoe, grace], again=False, batch="")
        long_ago = utcnow() - outbox.STALE - timedelta(minutes=1)
        db.session.execute(
            update(Outbox)
            .where(Outbox.attendee_id == ada)
            .values(status="sending", claimed_at=long_ago)
        )
        db.session.execute(
            update(Outbox)
            .where(Outbox.attendee_id == zoe)
            .values(status="sending", claimed_at=utcnow())
        )
        db.session.execute(
            update(Outbox)
            .where(Outbox.attendee_id == grace)
            .values(queued_at=utcnow() - timedelta(minutes=5))
        )
        db.session.commit()
        event_id = event.id
        assert outbox.recover() == 1
        again = ticket_mail.due()
        rows = {r.attendee_id: r for r in db.session.scalars(select(Outbox))}
    assert again == {event_id: [ada, grace]}
    assert rows[ada].status == "queued" and "goes out again" in rows[ada].reason
    assert rows[zoe].status == "sending"  # a live worker's email is left alone
