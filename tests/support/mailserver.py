"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1) that keeps what it receives, and
answers as a test scripts it: per recipient, replies used up in order before the normal 250 (two
"451 ..." say), a hook run after each message arrives, and a stall that holds one message's DATA
until released (to kill a worker mid-batch). With no script it answers every message with 250.

Its fixtures (inbox, smtp_url) are in mail_fixtures.py, registered by the root conftest.
"""

import asyncio
import socket
import subprocess
import threading
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

BUSY = "451 4.3.0 Mailbox busy, try again later"
GONE = "550 5.1.1 No such user here"


class Inbox:
    """The server's side: messages received, addresses it refuses, connections opened, and what
    it was told to answer."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.greetings = 0  # one EHLO per connection (and one more after STARTTLS)
        self.logins: list[str] = []
        self.port = 0
        self.scripts: dict[str, list[str]] = {}
        self.after_message = None  # called with each message received, in the server's thread
        self.stall_at = 0  # hold the DATA of the Nth message (1-based) until release is set
        self.stalled = threading.Event()
        self.release = threading.Event()

    def answer(self, address: str, *replies: str) -> None:
        """Answer RCPT for address with these replies, one per attempt, then as usual."""
        self.scripts[address.lower()] = list(replies)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if script := self.scripts.get(address.lower()):
            return script.pop(0)
        if address.lower() in self.refuse:
            return GONE
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stall_at == len(self.messages) + 1 and not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return BUSY
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        if self.after_message is not None:
            self.after_message(self.messages[-1])
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to one recipient."""
        return [m for m in self.messages if address in str(m["To"])]

    def copies(self) -> Counter:
        """How many messages each address received."""
        return Counter(m["To"].addresses[0].addr_spec for m in self.messages)


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(inbox: Inbox, port: int | None = None, **smtp_options) -> Controller:
    """Start aiosmtpd for the inbox on this port (a free one by default)."""
    inbox.port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **smtp_options)
    controller.start()
    return controller


def self_signed(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def accept_login(user: str, password: str):
    """An aiosmtpd authenticator that accepts exactly one user and password."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    return check
