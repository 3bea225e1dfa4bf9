"""The digest and introduction as email: the MIME shape, the headers (unsubscribe, Message-ID,
From, Reply-To), the .vcf, escaping; sent through a real SMTP server and read back."""

import re
import uuid
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser

import pytest
import vobject

from checkin.digest import content
from checkin.extensions import db
from checkin.mail import links, messages, transport
from checkin.models import Event, Guest
from checkin.room import cards


@pytest.fixture
def zoes_party(app, make_event, make_guest, set_guest):
    """Zoë (the reader) at Réunion d'automne; Grace met her both ways and shares; Alan met
    her both ways but does not share; Barbara recorded her; Donald was in the room."""
    slug = make_event("Réunion d'automne")

    def add(name, email, share=True, **profile):
        attendee_id, _ = make_guest(slug, name, email=email)
        set_guest(
            attendee_id,
            checked_in=True,
            consent_findable=True,
            consent_share_contact=share,
            consent_digest=True,
            residence_hall="Watson Hall",
            **profile,
        )
        return attendee_id

    return {
        "zoe": add("Zoë Müller", "zoe@example.org"),
        "grace": add(
            "Grace <b>Hopper</b>", "grace@example.org", linkedin_url="https://linkedin.com/in/g"
        ),
        "alan": add("Alan Turing", "alan@example.org", share=False),
        "barbara": add("Barbara Liskov", "barbara@example.org"),
        "donald": add("Donald Knuth", "donald@example.org"),
    }


def person(attendee_id) -> Guest:
    return db.session.get(Guest, attendee_id)


def meet(party, author, subject, note="", tags=()) -> None:
    me, other = person(party[author]), person(party[subject])
    cards.record(me, other, uuid.uuid4().hex, note=note, tags=list(tags))


@pytest.fixture
def zoes(ctx, zoes_party):
    """Zoë's digest: Grace and Alan mutual, Barbara waiting, Donald to meet."""
    meet(zoes_party, "zoe", "grace", note="<script>alert(1)</script> & coffee", tags=["coffee"])
    meet(zoes_party, "grace", "zoe", note="GRACE-SECRET")
    meet(zoes_party, "zoe", "alan", note="Alan: <i>bombe</i>")
    meet(zoes_party, "alan", "zoe")
    meet(zoes_party, "barbara", "zoe")
    reader = person(zoes_party["zoe"])
    return content.Builder(db.session.get(Event, reader.event_id)).build(reader)


def parsed(message):
    """The message as a mail client receives it: the bytes, parsed afresh."""
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes(policy=policy.SMTP))


def shape(message) -> list[str]:
    """Every part's content type, depth first."""
    return [part.get_content_type() for part in message.walk()]


def test_a_digest_with_contacts_is_mixed_with_alternatives_and_a_vcf(zoes):
    """multipart/mixed: (text, then HTML, as alternatives) and the .vcf attachment."""
    received = parsed(messages.digest(zoes))
    assert shape(received) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/vcard",
    ]
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "reunion-d-automne-contacts.vcf"


def test_a_digest_without_contacts_is_only_the_alternatives(zoes):
    """No one to share contacts with: no attachment, no mixed wrapper."""
    zoes.contacts = []
    assert shape(parsed(messages.digest(zoes))) == [
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]


def test_the_vcf_holds_only_contacts_the_reader_may_see(zoes):
    """One vCard, Grace's (mutual, both share); not Alan (does not share), nor Barbara."""
    [attachment] = parsed(messages.digest(zoes)).iter_attachments()
    found = list(vobject.readComponents(attachment.get_content()))
    assert [card.fn.value for card in found] == ["Grace <b>Hopper</b>"]
    assert found[0].email.value == "grace@example.org"
    assert found[0].url.value == "https://linkedin.com/in/g"
    assert "alan@example.org" not in attachment.get_content()


def test_the_unsubscribe_headers_carry_the_readers_one_click_url(app, zoes):
    """List-Unsubscribe: <BASE_URL/mail/unsubscribe/token> (whole, not encoded), read back as
    Zoë's; List-Unsubscribe-Post says One-Click (RFC 8058)."""
    raw = messages.digest(zoes).as_bytes(policy=policy.SMTP).decode()
    [line] = [x for x in raw.split("\r\n") if x.startswith("List-Unsubscribe:")]
    url = re.fullmatch(r"List-Unsubscribe: <(.+)>", line).group(1)
    assert url.startswith(app.config["BASE_URL"] + "/mail/unsubscribe/")
    assert links.read("unsubscribe", url.rsplit("/", 1)[1]) == (zoes.reader.id, None)
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_the_message_id_is_the_same_for_the_same_reader_and_kind(app, zoes, zoes_party):
    """Built twice: one Message-ID. Another guest or kind: another; a test copy: fresh."""
    first, again = messages.digest(zoes)["Message-ID"], messages.digest(zoes)["Message-ID"]
    assert first == again == f"<{messages.message_id(zoes.event, zoes.reader, 'digest')}>"
    assert first.endswith("@localhost>")
    grace = person(zoes_party["grace"])
    assert messages.message_id(zoes.event, grace, "digest") not in first
    assert messages.message_id(zoes.event, zoes.reader, f"match:{grace.id}") not in first
    assert messages.digest(zoes, test=True)["Message-ID"] != first


def test_from_and_reply_to_come_from_the_config_and_the_event(app, zoes):
    """From is MAIL_FROM; Reply-To the event's, else MAIL_REPLY_TO, else none."""
    app.config["MAIL_FROM"] = "Alumni Office <alumni@college.example>"
    assert "Reply-To" not in parsed(messages.digest(zoes))
    app.config["MAIL_REPLY_TO"] = "office@college.example"
    assert parsed(messages.digest(zoes))["Reply-To"] == "office@college.example"
    zoes.event.reply_to = "Réunion Team <team@college.example>"
    received = parsed(messages.digest(zoes))
    assert received["Reply-To"].addresses[0].display_name == "Réunion Team"
    assert received["From"].addresses[0].addr_spec == "alumni@college.example"
    assert received["Message-ID"].endswith("@college.example>")


def test_the_headers_are_those_mail_new_message_sets(app, zoes):
    """The digest's own header writer sets what mail.new_message would, and reads the same."""
    app.config["MAIL_REPLY_TO"] = "office@college.example"
    ours = parsed(messages.digest(zoes))
    to = messages.recipient(zoes.reader)
    theirs = parsed(transport.new_message(to, zoes.subject, "x@localhost"))
    names = {"From", "Reply-To", "To", "Subject", "Auto-Submitted", "Message-ID", "Date"}
    assert names <= set(ours.keys()) and names <= set(theirs.keys())
    for name in names - {"Message-ID", "Date"}:
        assert str(ours[name]) == str(theirs[name]), name


def test_names_and_subjects_beyond_ascii_arrive_intact(zoes):
    """Zoë Müller and Réunion d'automne are encoded on the wire and decode as written."""
    message = messages.digest(zoes)
    assert message.as_bytes().isascii()
    received = parsed(message)
    assert received["To"].addresses[0].display_name == "Zoë Müller"
    assert (
        received["Subject"] == "You met 2 people at Réunion d'automne, and 1 more you should meet"
    )


def test_markup_in_names_and_notes_is_escaped_in_html_and_kept_in_text(zoes):
    """Grace's name and Zoë's notes carry tags: the HTML shows them as text, the plain text as
    written; another's note is in neither."""
    received = parsed(messages.digest(zoes))
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "<script>" not in html and "<b>Hopper" not in html and "<i>bombe" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; coffee" in html
    assert "Grace &lt;b&gt;Hopper&lt;/b&gt;" in html
    assert "<script>alert(1)</script> & coffee" in text and "Alan: <i>bombe</i>" in text
    assert "GRACE-SECRET" not in text + html


def test_the_html_is_self_contained_inlined_and_dark_mode_aware(zoes):
    """No remote images, fonts or stylesheets; styles on the elements; lang, color-scheme, a
    dark media block kept; every table cell states both its colors; layout tables presentational."""
    _, html = messages.render_digest(zoes)
    assert not re.search(
        r"""(src|href)=["']?(https?:)?//[^"']*\.(png|jpe?g|gif|css|woff2?)""", html
    )
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert '<html lang="en">' in html and 'content="light dark"' in html
    assert "@media (prefers-color-scheme: dark)" in html
    cells = re.findall(r"<td\b[^>]*>", re.sub(r"<!--.*?-->", "", html, flags=re.S))
    assert cells and all("background-color:" in c and re.search(r"[^-]color:", c) for c in cells)
    tables = re.findall(r"<table\b[^>]*>", html)
    assert tables and all('role="presentation"' in t for t in tables)


def test_the_text_part_reads_on_its_own(zoes):
    """Plain text: greeting, the sections, each link whole on its own line, the footer."""
    text, _ = messages.render_digest(zoes)
    for heading in ("PEOPLE YOU MET (2)", "WANT TO CONNECT WITH YOU (1)", "WHAT YOU SAID YOU'D DO"):
        assert heading in text
    assert text.startswith("Good morning Zoë,")
    for url in [zoes.waiting[0].connect_url, zoes.to_meet[0].meet_url, zoes.unsubscribe_url]:
        assert f"\n{url}\n" in text
    assert not re.search(r"<(p|td|a|span|br)\b|&amp;|&lt;", text)  # no markup of ours


def test_the_footer_has_the_postal_address_when_set(zoes):
    """The organizer's postal address line is in both parts once they set it."""
    assert "1 College Green" not in messages.render_digest(zoes)[0]
    zoes.event.postal_address = "Alumni Office, 1 College Green, Dublin 2"
    text, html = messages.render_digest(zoes)
    assert "Alumni Office, 1 College Green, Dublin 2" in text and "1 College Green" in html


def test_a_test_copy_goes_to_the_organizer_marked_and_without_unsubscribe(zoes):
    """[Test] subject, the organizer as recipient, a banner, no List-Unsubscribe header."""
    to = Address(addr_spec="organizer@example.org")
    received = parsed(messages.digest(zoes, to=to, test=True))
    assert received["Subject"].startswith("[Test] You met 2 people")
    assert received["To"].addresses[0].addr_spec == "organizer@example.org"
    assert "List-Unsubscribe" not in received
    assert "Test copy" in received.get_body(("html",)).get_content()


def test_an_introduction_gives_the_other_persons_contact(ctx, zoes_party):
    """Zoë and Donald both asked to meet: Zoë's email has Donald's address and why, its own
    Message-ID kind and the unsubscribe headers."""
    zoe, donald = person(zoes_party["zoe"]), person(zoes_party["donald"])
    received = parsed(messages.introduction(zoe, donald))
    assert received["Subject"] == "You and Donald Knuth both want to meet (Réunion d'automne)"
    assert (
        received["Message-ID"] == f"<{messages.message_id(zoe.event, zoe, f'match:{donald.id}')}>"
    )
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = received.get_body(("plain",)).get_content()
    assert "donald@example.org" in text and "You both lived in Watson Hall" in text
    assert "donald@example.org" in received.get_body(("html",)).get_content()


def test_a_digest_arrives_whole_through_a_real_smtp_server(app, zoes, inbox, smtp_url):
    """Sent with the app's mailer to aiosmtpd: one message, to Zoë, with its parts, headers
    and the .vcf as built."""
    [outcome] = transport.send([messages.digest(zoes)], "reunion")
    assert outcome.ok, outcome.error
    [received] = inbox.to("zoe@example.org")
    assert received["List-Unsubscribe"].startswith("<http://127.0.0.1:5000/mail/unsubscribe/")
    assert received["Message-ID"] == f"<{messages.message_id(zoes.event, zoes.reader)}>"
    [attachment] = received.iter_attachments()
    assert next(vobject.readComponents(attachment.get_content())).fn.value == "Grace <b>Hopper</b>"
    assert "Barbara Liskov" in received.get_body(("plain",)).get_content()
