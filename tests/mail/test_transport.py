"""The mail module: one SMTP connection a batch, per-recipient failures, TLS and login, and the
.eml files kept when no mail server is set up."""

import ssl
import time
from email.headerregistry import Address

import pytest
from aiosmtpd.controller import Controller
from support.mailserver import Inbox, accept_login, free_port, self_signed, start

from checkin.mail import sent_mail, transport


def message(to: str, subject: str = "Hello") -> "transport.EmailMessage":
    """A plain message to one address."""
    from email.headerregistry import Address

    user, _, domain = to.partition("@")
    built = transport.new_message(Address("Someone", user, domain), subject)
    built.set_content(f"Hello {to}")
    return built


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", transport.Server("mail.example.org", 25)),
        ("smtp://127.0.0.1:2525", transport.Server("127.0.0.1", 2525)),
        (
            "smtp://me%40x.org:p%3Ass@mx:587?starttls=1",
            transport.Server("mx", 587, "me@x.org", "p:ss", "starttls"),
        ),
        ("smtp+starttls://u:p@mx", transport.Server("mx", 587, "u", "p", "starttls")),
        ("smtps://u:p@mx", transport.Server("mx", 465, "u", "p", "ssl")),
    ],
)
def test_smtp_urls_are_read(url, expected):
    """Host, port, login and security come from SMTP_URL, with the usual default ports."""
    assert transport.parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mx", "smtp://", "mx:25"])
def test_other_urls_are_refused(url):
    """Anything but smtp://, smtp+starttls:// or smtps:// with a host is an error."""
    with pytest.raises(ValueError, match="SMTP_URL"):
        transport.parse_smtp_url(url)


def test_a_batch_goes_over_one_connection(app, ctx, inbox, smtp_url):
    """Three messages: three arrive, over a single connection, each with a Message-ID."""
    outcomes = transport.send([message(f"guest{i}@example.org") for i in range(3)], "fall-reunion")
    assert outcomes == [transport.Outcome(f"guest{i}@example.org", True) for i in range(3)]
    assert [str(m["To"]) for m in inbox.messages] == [
        f"Someone <guest{i}@example.org>" for i in range(3)
    ]
    assert inbox.greetings == 1
    assert all(m["Message-ID"] and m["Date"] for m in inbox.messages)
    assert inbox.envelopes[0][0] == "no-reply@localhost"


def test_a_refused_recipient_fails_alone(app, ctx, inbox, smtp_url):
    """A 550 for one address is reported for that address; the ones after it still go."""
    inbox.refuse.add("gone@example.org")
    outcomes = transport.send(
        [message("a@example.org"), message("gone@example.org"), message("b@example.org")],
        "fall-reunion",
    )
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].recipient == "gone@example.org"
    assert "550" in outcomes[1].error and "No such user here" in outcomes[1].error
    assert outcomes[1].code == 550 and not outcomes[1].temporary  # refused for good
    assert [str(m["To"].addresses[0].addr_spec) for m in inbox.messages] == [
        "a@example.org",
        "b@example.org",
    ]
    assert inbox.greetings == 1


def test_a_dead_server_fails_every_message_clearly_and_fast(app, ctx):
    """Nothing listening: each message fails, naming the server, without a timeout each."""
    port = free_port()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    started = time.monotonic()
    outcomes = transport.send([message(f"g{i}@example.org") for i in range(5)], "fall-reunion")
    assert time.monotonic() - started < 5
    assert [o.recipient for o in outcomes] == [f"g{i}@example.org" for i in range(5)]
    for outcome in outcomes:
        assert not outcome.ok
        assert f"Could not reach the mail server at 127.0.0.1:{port}" in outcome.error
        assert outcome.temporary  # worth trying again once the server is back


def test_starttls_and_login(app, ctx, tmp_path, monkeypatch):
    """smtp+starttls:// upgrades the connection, checks the certificate and logs in."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # trust our test certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    box = Inbox()
    controller = start(
        box,
        tls_context=tls,
        require_starttls=True,
        authenticator=accept_login("me", "s3cret"),
    )
    try:
        app.config["SMTP_URL"] = f"smtp+starttls://me:s3cret@127.0.0.1:{box.port}"
        assert transport.send([message("a@example.org")], "fall-reunion")[0].ok
        app.config["SMTP_URL"] = f"smtp://me:wrong@127.0.0.1:{box.port}?starttls=1"
        refused = transport.send([message("b@example.org")], "fall-reunion")[0]
    finally:
        controller.stop()
    assert len(box.messages) == 1
    assert not refused.ok and "refused the login" in refused.error and "535" in refused.error


def test_smtps(app, ctx, tmp_path, monkeypatch):
    """smtps:// speaks TLS from the first byte."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    box = Inbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port, ssl_context=tls)
    controller.start()
    try:
        app.config["SMTP_URL"] = f"smtps://127.0.0.1:{box.port}"
        assert transport.send([message("a@example.org")], "fall-reunion")[0].ok
    finally:
        controller.stop()
    assert len(box.messages) == 1


def test_without_smtp_mail_is_kept_as_files(app, ctx):
    """No SMTP_URL: each message is an .eml file in instance/mail/<event>/, listed newest first."""
    outcomes = transport.send(
        [message("a@example.org", "First"), message("b@example.org", "Second")], "fall-reunion"
    )
    assert all(o.ok for o in outcomes)
    files = sorted((app.config["INSTANCE_DIR"] / "mail" / "fall-reunion").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    kept, total = sent_mail.stored("fall-reunion")
    assert total == 2
    assert [(k.subject, k.recipient) for k in kept] == [
        ("Second", "Someone <b@example.org>"),
        ("First", "Someone <a@example.org>"),
    ]
    again = sent_mail.read("fall-reunion", kept[0].name)
    assert again.get_body(("plain",)).get_content().strip() == "Hello b@example.org"
    assert sent_mail.stored("another-event") == ([], 0)


@pytest.mark.parametrize("name", ["../secret_key", "x", "20261126T120000000000Z-zzzzzzzz"])
def test_only_kept_message_names_are_read(app, ctx, name):
    """Names that are not a kept message's (paths, junk) read nothing."""
    transport.send([message("a@example.org")], "fall-reunion")
    assert sent_mail.read("fall-reunion", name) is None
    assert sent_mail.read("../instance", name) is None


def test_a_folder_must_be_an_event_slug(app, ctx):
    """Mail is kept per event; a folder name with a path in it is refused."""
    with pytest.raises(ValueError):
        transport.Mailer("../../etc")


def test_a_4xx_answer_is_temporary(app, ctx, inbox, smtp_url):
    """A 451 for one recipient is reported as temporary, with its code."""

    async def busy(server, session, envelope, address, rcpt_options):
        return "451 4.3.0 Try again later"

    inbox.handle_RCPT = busy
    outcome = transport.send([message("a@example.org")], "fall-reunion")[0]
    assert not outcome.ok and outcome.temporary and outcome.code == 451
    assert "451" in outcome.error


def test_a_fixed_message_id_and_reply_to(app, ctx):
    """new_message takes a fixed Message-ID and a Reply-To that overrides the config."""
    made = transport.new_message(
        Address("A", "a", "example.org"), "Hi", message_id="digest.x@localhost", reply_to="o@x.org"
    )
    assert made["Message-ID"] == "<digest.x@localhost>"
    assert made["Reply-To"] == "o@x.org"
