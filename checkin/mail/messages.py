"""The emails the app sends, one function each, from a .txt/.html pair in templates/mail/email/.

The QR code travels as an inline PNG part of a multipart/related HTML body, referenced by
cid: — Gmail and Apple Mail show that, while they block data: URIs and remote images.
"""

import base64
import hashlib
import hmac
import io
import re
import secrets
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import cache

import css_inline
import qrcode
from flask import current_app, render_template

from .. import models
from ..accounts import personal_links
from ..digest import vcards
from ..events import events, tickets
from ..models import Guest
from . import calendar, transport

# The sent HTML is shown in a sandboxed frame of its own, under a policy that lets it do nothing
# but draw (its inline styles, and its QR image inlined as data: for the preview).
PREVIEW_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


def ticket(guest: Guest, code: str, login_url: str) -> EmailMessage:
    """The ticket email: the QR code the door scans, the guest's personal link, and the .ics."""
    event = guest.event
    ticket_url = tickets.ticket_url(code)
    qr_cid = make_msgid(domain="checkin.qr")
    context = {
        "guest": guest,
        "event": event,
        "when": events.when(event.starts_at, event),
        "ticket_url": ticket_url,
        "code": code,
        "login_url": login_url,
        "again_url": f"{current_app.config['BASE_URL']}/e/{event.slug}/link-again",
        "qr_cid": qr_cid[1:-1],  # without the angle brackets, as cid: URLs want it
    }
    message = transport.new_message(recipient(guest), f"Your ticket for {event.name}")
    write(message, "ticket", **context)
    html = message.get_payload()[1]
    html.add_related(
        qr_png(ticket_url),
        maintype="image",
        subtype="png",
        cid=qr_cid,
        filename="ticket-qr.png",
        disposition="inline",
    )
    message.add_attachment(
        calendar.invitation(event, guest),
        *calendar.CONTENT_TYPE,
        filename=calendar.file_name(event),
        params={"method": "PUBLISH"},
    )
    return message


def team_invitation(invitation, url: str) -> EmailMessage:
    """The invitation to an association's team: who invites, the role, the link (7 days)."""
    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "association": invitation.association,
        "inviter": (inviter.name or inviter.email) if inviter else "The team",
        "role": invitation.role,
        "url": url,
        "expires": invitation.expires_at.strftime("%-d %b %Y, %H:%M UTC"),
    }
    user, _, domain = invitation.email.rpartition("@")
    subject = f"Join {invitation.association.name} on checkin"
    message = transport.new_message(Address(username=user, domain=domain), subject)
    message.set_content(_text_template("mail/email/team_invitation.txt").render(**context))
    html = _inliner().inline(_template("mail/email/team_invitation.html").render(**context))
    message.add_alternative(html, subtype="html")
    return message


def write(message, name: str, **context) -> None:
    """The message's text and HTML parts, from the mail/email/<name>.txt and .html pair."""
    message.set_content(render_template(f"mail/email/{name}.txt", **context))
    message.add_alternative(render_template(f"mail/email/{name}.html", **context), subtype="html")


def recipient(guest: Guest) -> Address:
    """The guest as an address header (raises ValueError for an unusable address)."""
    user, at, domain = (guest.email or "").strip().rpartition("@")
    if not (user and at and domain) or any(c.isspace() or c in '<>,;"' for c in guest.email):
        raise ValueError(f"{guest.email!r} is not an email address")
    return Address(display_name=guest.name or "", username=user, domain=domain)


def qr_png(data: str) -> bytes:
    """A PNG QR code of data, 8 pixels a module: crisp in mail clients at 240 px."""
    image = qrcode.make(
        data, box_size=8, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


# The next-morning digest and the double opt-in introduction ---------------------------------
#
# Built in the worker thousands at a time, so by hand where the email package is slow: it
# parses every header it is given (tens of microseconds each) and encodes quoted-printable in
# Python. Headers here are pre-encoded `_Header`s; bodies are base64 and every boundary holds
# "=_", which base64 never does, so no body can contain a boundary line.

DIGEST_KIND = "digest"


def digest(d, to: Address | None = None, test: bool = False) -> EmailMessage:
    """The reader's digest: text and HTML alternatives, the .vcf of their contacts if any.

    to/test: a test copy for the organizer, with "[Test]" before the subject, a fresh
    Message-ID and no List-Unsubscribe (a click in their mail app must not unsubscribe the
    guest); the body carries a banner saying whose digest it is.
    """
    event, reader = d.event, d.reader
    if not d.manage_url and not test:  # never sent their ticket: their link is made now
        d.manage_url = personal_links.url_of(personal_links.ensure(reader))
    text, html = render_digest(d, test=test)
    message = _new_message(
        to or recipient(reader),
        f"[Test] {d.subject}" if test else d.subject,
        make_msgid(domain=transport.mail_domain())[1:-1] if test else message_id(event, reader),
        event.reply_to,
    )
    if not test:
        list_unsubscribe(message, d.unsubscribe_url)
    parts = [_multipart("alternative", [_part("text/plain", text), _part("text/html", html)])]
    if d.contacts:
        vcf = vcards.vcard_file(d.contacts, event.name, d.vcard_cache)
        parts.append(_part("text/vcard", vcf, f"{_file_slug(event.name)}-contacts.vcf"))
    return _body(message, parts[0] if len(parts) == 1 else _multipart("mixed", parts))


def render_digest(d, test: bool = False) -> tuple[str, str]:
    """The digest as (plain text, HTML with its CSS inlined): what is sent, and the preview.

    Writes nothing: a reader with no personal link yet is pointed to "send me my link".
    """
    again = f"{current_app.config['BASE_URL']}/e/{d.event.slug}/link-again"
    context = {"d": d, "event": d.event, "reader": d.reader, "test": test}
    context["manage_url"] = d.manage_url or again  # a preview makes no link: "ask for it"
    text = _text_template("mail/email/digest.txt").render(context)
    html = _inliner().inline(_template("mail/email/digest.html").render(context))
    return text, html


def introduction(reader: Guest, other: Guest) -> EmailMessage:
    """To reader: other asked to meet them too, so here are other's email and LinkedIn."""
    from ..room import suggestions
    from . import links

    event = reader.event
    findable = other.consent_findable
    context = {
        "reader": reader,
        "other": other,
        "event": event,
        "email": other.networking_email or other.email,
        "linkedin": other.linkedin_url,
        "work": " at ".join(w for w in (other.role, other.employer) if w) if findable else "",
        "reasons": suggestions.matcher(event.id).reasons(reader.id, other.id) if findable else [],
        "unsubscribe_url": links.unsubscribe_url(reader),
    }
    subject = f"You and {other.name} both want to meet ({event.name})"
    kind = f"match:{other.id}"
    message = _new_message(
        recipient(reader), subject, message_id(event, reader, kind), event.reply_to
    )
    list_unsubscribe(message, context["unsubscribe_url"])
    text = _text_template("mail/email/introduction.txt").render(context)
    html = _inliner().inline(_template("mail/email/introduction.html").render(context))
    parts = [_part("text/plain", text), _part("text/html", html)]
    return _body(message, _multipart("alternative", parts))


def message_id(event, guest, kind: str = DIGEST_KIND) -> str:
    """A Message-ID (without angle brackets) that is the same every time for this event,
    guest and kind, unguessable without SECRET_KEY, so a resent copy is recognizably one."""
    key = current_app.config["SECRET_KEY"].encode()
    seed = f"checkin.message-id:{event.id}:{guest.id}:{kind}".encode()
    return f"{hmac.new(key, seed, hashlib.sha256).hexdigest()[:40]}@{transport.mail_domain()}"


def _new_message(to: Address, subject: str, message_id: str, reply_to: str) -> EmailMessage:
    """The headers mail.new_message sets (tests hold the two alike), pre-encoded."""
    config = current_app.config
    message = EmailMessage()
    _set_address(message, "From", config["MAIL_FROM"])
    if reply_to := reply_to or config.get("MAIL_REPLY_TO"):
        _set_address(message, "Reply-To", reply_to)
    _set_address(message, "To", to)
    _set(
        message,
        "Subject",
        Header(subject, "utf-8" if not subject.isascii() else None).encode(),
        subject,
    )
    _set(message, "Date", formatdate(usegmt=True))
    _set(message, "Message-ID", f"<{message_id}>")
    _set(message, "Auto-Submitted", "auto-generated")
    return message


def _set_address(message: EmailMessage, name: str, value: Address | str) -> None:
    """An address header ("Name <user@host>"), its name encoded; an address beyond ASCII
    (SMTPUTF8) is left to the email package."""
    if isinstance(value, Address):
        shown, address = value.display_name, value.addr_spec
    else:
        shown, address = parseaddr(value)
    if address.isascii() and "@" in address:
        _set(message, name, formataddr((shown, address), "utf-8"), str(value))
    else:
        message[name] = value


def list_unsubscribe(message: EmailMessage, url: str) -> None:
    """RFC 2369 and RFC 8058: mail apps show an unsubscribe button that POSTs to the URL."""
    _set(message, "List-Unsubscribe", f"<{url}>")
    _set(message, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")


def _part(content_type: str, body: str, filename: str = "") -> MIMEPart:
    """A UTF-8 text part, base64-encoded; with a file name, an attachment."""
    part = MIMEPart()
    _set(part, "Content-Type", f'{content_type}; charset="utf-8"')
    _set(part, "Content-Transfer-Encoding", "base64")
    if filename:
        _set(part, "Content-Disposition", f'attachment; filename="{filename}"')
    part.set_payload(base64.encodebytes(body.encode()).decode("ascii"))
    return part


def _multipart(subtype: str, parts: list[MIMEPart]) -> MIMEPart:
    """A multipart container of the parts, with a boundary no base64 body can contain."""
    container = MIMEPart()
    boundary = f"=_{subtype}_{secrets.token_hex(12)}"
    _set(container, "Content-Type", f'multipart/{subtype}; boundary="{boundary}"')
    container.set_payload(list(parts))
    return container


def _body(message: EmailMessage, body: MIMEPart) -> EmailMessage:
    """The message with the built part as its body."""
    _set(message, "MIME-Version", "1.0")
    _set(message, "Content-Type", body["Content-Type"])
    message.set_payload(body.get_payload())
    return message


def _set(part: MIMEPart, name: str, wire: str, text: str | None = None) -> None:
    """Add a header as it goes on the wire (text: how it reads, when encoded)."""
    part.set_raw(name, _Header(name, wire, wire if text is None else text))


class _Header(str):
    """A header value the email package writes as given instead of parsing and refolding it.

    Besides speed: refolding turns a URL longer than a line into =?utf-8?q?…?= encoded words,
    which no mail app reads as a List-Unsubscribe URL. Reads as its text; goes out as wire.
    """

    def __new__(cls, name: str, wire: str, text: str):
        lines = wire.split("\n")
        if not wire.isascii() or "\r" in wire or any(not line[:1].isspace() for line in lines[1:]):
            raise ValueError(f"{name}: not a header value: {wire!r}")
        header = super().__new__(cls, text)
        header.name, header.wire = name, wire
        return header

    def fold(self, *, policy) -> str:
        """The header line(s) as given (under the 998 characters a line RFC 5322 allows)."""
        return f"{self.name}: {self.wire.replace(chr(10), policy.linesep)}{policy.linesep}"


def _file_slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", models.fold(name)).strip("-")[:40]
    return slug or "event"


def _template(name: str):
    """A template from the app's Jinja environment (autoescaped when .html), without the
    request-time context processors: digests are built in the worker, thousands at a time."""
    return current_app.jinja_env.get_template(name)


def _text_template(name: str):
    """A plain-text template: block tags leave no blank lines or indents behind."""
    env = current_app.extensions.get("email_text_jinja")
    if env is None:
        env = current_app.jinja_env.overlay(trim_blocks=True, lstrip_blocks=True)
        current_app.extensions["email_text_jinja"] = env
    return env.get_template(name)


@cache
def _inliner() -> css_inline.CSSInliner:
    """Moves the <style> rules onto the elements (mail apps drop <style>); media queries stay."""
    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
