"""Outgoing mail: over SMTP when SMTP_URL is set, else written as .eml files under instance/mail/.

A `Mailer` keeps one SMTP connection for a whole batch. A message that fails is reported with
the reason and the rest still go; a server that cannot be reached fails the rest of the batch at
once (each with the same clear reason) instead of waiting out a timeout per message.
"""

import re
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

TIMEOUT = 20  # seconds to wait on the mail server before giving up on a message
FOLDER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")  # an event slug
NAME_RE = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")  # a stored message's file name, no .eml


@dataclass(frozen=True)
class Outcome:
    """What became of one message: sent (or written), or failed and why."""

    recipient: str
    ok: bool
    error: str = ""
    temporary: bool = False  # a 4xx answer or no server: worth trying again later
    code: int = 0  # the server's reply code when it refused, else 0


@dataclass(frozen=True)
class Server:
    """Where SMTP_URL points: host, port, login and how the connection is secured."""

    host: str
    port: int
    user: str = ""
    password: str = ""
    security: str = "plain"  # plain, starttls or ssl


def parse_smtp_url(url: str) -> Server:
    """smtp://[user:password@]host[:port][?starttls=1], smtp+starttls://… or smtps://…"""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
        raise ValueError(f"SMTP_URL must look like smtp://host:port, not {scheme or url!r}")
    flag = parse_qs(parts.query).get("starttls", [""])[0].lower()
    security = "ssl" if scheme == "smtps" else "plain"
    if scheme == "smtp+starttls" or flag in ("1", "true", "yes"):
        security = "starttls"
    default_port = {"ssl": 465, "starttls": 587, "plain": 25}[security]
    return Server(
        host=parts.hostname,
        port=parts.port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        security=security,
    )


def new_message(
    to: Address, subject: str, message_id: str = "", reply_to: str = ""
) -> EmailMessage:
    """A message with From, Reply-To, To, Subject, Date and Message-ID set from the config.

    message_id: a fixed id (without angle brackets) such as the digest's, so a copy sent twice
    is recognizably the same message; by default a fresh one. reply_to overrides MAIL_REPLY_TO.
    """
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    if reply_to := reply_to or config.get("MAIL_REPLY_TO"):
        message["Reply-To"] = reply_to
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{message_id}>" if message_id else make_msgid(domain=mail_domain())
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies, please
    return message


def mail_domain() -> str:
    """The domain of MAIL_FROM, for Message-IDs."""
    return parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"


def send(messages: list[EmailMessage], folder: str) -> list[Outcome]:
    """Send a batch over one connection (or write it to files); one outcome per message."""
    with Mailer(folder) as mailer:
        return [mailer.send(message) for message in messages]


def files_only() -> bool:
    """True when mail is written to files (no SMTP_URL), so the sent-mail page has something."""
    return not current_app.config.get("SMTP_URL")


class Mailer:
    """One batch of mail for one event: a single SMTP connection, or that event's mail folder."""

    def __init__(self, folder: str) -> None:
        if not FOLDER_RE.match(folder):
            raise ValueError(f"Not a mail folder name: {folder!r}")
        url = current_app.config.get("SMTP_URL")
        self.server = parse_smtp_url(url) if url else None
        self.folder = mail_dir(folder)
        self._connection: smtplib.SMTP | None = None
        self._unreachable = ""  # why connecting failed, once it has

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *_exc) -> None:
        self._hang_up()

    def send(self, message: EmailMessage) -> Outcome:
        """Send one message (or write it); never raises for a mail problem."""
        recipient = _recipient(message)
        try:
            if self.server is None:
                self._write(message)
            else:
                self._transmit(message)
        except MailError as error:
            return Outcome(recipient, False, str(error), error.temporary, error.code)
        return Outcome(recipient, True)

    def _transmit(self, message: EmailMessage) -> None:
        """Send over the open connection; if the server had hung up, reconnect and retry once."""
        try:
            self._deliver(self._connect(), message)
        except smtplib.SMTPServerDisconnected:
            self._hang_up()
            try:
                self._deliver(self._connect(), message)
            except smtplib.SMTPServerDisconnected as error:
                self._hang_up()
                raise MailError(f"The mail server hung up: {error}", temporary=True) from error

    def _deliver(self, connection: smtplib.SMTP, message: EmailMessage) -> None:
        try:
            refused = connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise _refused(error.recipients) from error
        except smtplib.SMTPResponseException as error:
            raise MailError(
                f"The mail server refused it: {_reply(error)}", code=error.smtp_code
            ) from error
        except smtplib.SMTPServerDisconnected:
            raise
        except (OSError, smtplib.SMTPException) as error:
            self._hang_up()
            raise MailError(f"Sending failed: {error}", temporary=True) from error
        if refused:
            raise _refused(refused)

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        if self._unreachable:
            raise MailError(self._unreachable, temporary=True)
        server = self.server
        try:
            self._connection = _open(server)
        except smtplib.SMTPAuthenticationError as error:
            self._unreachable = (
                f"The mail server at {server.host}:{server.port} refused the login "
                f"(the user and password in SMTP_URL): {_reply(error)}"
            )
            raise MailError(self._unreachable, temporary=True) from error
        except (OSError, smtplib.SMTPException) as error:
            self._unreachable = (
                f"Could not reach the mail server at {server.host}:{server.port}: {error}"
            )
            raise MailError(self._unreachable, temporary=True) from error
        return self._connection

    def _hang_up(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()

    def _write(self, message: EmailMessage) -> None:
        """Keep the message as an .eml file, written whole or not at all."""
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(4)}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = self.folder / f".{name}.part"
            partial.write_bytes(message.as_bytes(policy=policy.SMTP))
            partial.replace(self.folder / f"{name}.eml")
        except OSError as error:
            raise MailError(
                f"Could not write the message to {self.folder}: {error}", temporary=True
            ) from error


class MailError(Exception):
    """One message could not be sent; the text says why, for the organizer.

    temporary: no server, a dropped connection or a 4xx answer (try again later); otherwise
    the server refused for good (5xx). code: the server's reply code, when it gave one.
    """

    def __init__(self, message: str, code: int = 0, temporary: bool | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.temporary = (400 <= code < 500) if temporary is None else temporary


def mail_dir(folder: str) -> Path:
    """Where an event's mail is written when there is no SMTP server."""
    return Path(current_app.config["INSTANCE_DIR"]) / "mail" / folder


def _open(server: Server) -> smtplib.SMTP:
    """Connect, secure and log in as SMTP_URL says."""
    context = ssl.create_default_context()
    if server.security == "ssl":
        connection = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=context)
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    try:
        if server.security == "starttls":
            connection.starttls(context=context)
        if server.user:
            connection.login(server.user, server.password)
    except BaseException:
        connection.close()
        raise
    return connection


def _recipient(message: EmailMessage) -> str:
    return parseaddr(str(message.get("To", "")))[1]


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{error.smtp_code} {text}".strip()


def _refused(recipients: dict) -> "MailError":
    """The error for refused recipients: temporary only if every refusal was a 4xx."""
    codes = [code for code, _text in recipients.values()]
    return MailError(_refusal(recipients), code=max(codes, default=0))


def _refusal(recipients: dict) -> str:
    """Why the server refused recipients, as "the mail server refused a@b: 550 No such user"."""
    parts = []
    for address, (code, text) in recipients.items():
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        parts.append(f"{address}: {code} {text}".strip())
    return "The mail server refused " + "; ".join(parts)
