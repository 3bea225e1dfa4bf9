"""The sent mail kept as .eml files when no mail server is set up: list, read, preview."""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from .transport import FOLDER_RE, NAME_RE, mail_dir


@dataclass(frozen=True)
class Stored:
    """A message kept as a file, as the sent-mail page lists it."""

    name: str
    recipient: str
    subject: str
    sent_at: datetime


def stored(folder: str, limit: int = 200) -> tuple[list[Stored], int]:
    """The newest kept messages of a folder (newest first), and how many there are in all."""
    directory = mail_dir(folder)
    if not FOLDER_RE.match(folder) or not directory.is_dir():
        return [], 0
    names = sorted((p.stem for p in directory.glob("*.eml") if NAME_RE.match(p.stem)), reverse=True)
    return [_summary(directory, name) for name in names[:limit]], len(names)


def read(folder: str, name: str) -> EmailMessage | None:
    """One kept message, or None when there is no such file."""
    if not (FOLDER_RE.match(folder) and NAME_RE.match(name)):
        return None
    path = mail_dir(folder) / f"{name}.eml"
    if not path.is_file():
        return None
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def parts_of(message: EmailMessage) -> list[dict]:
    """The message's parts other than its text and HTML bodies: type, name, size, content id."""
    bodies = {id(message.get_body(("plain",))), id(message.get_body(("html",)))}
    return [
        {
            "type": part.get_content_type(),
            "filename": part.get_filename() or "",
            "size": len(part.get_payload(decode=True) or b""),
            "content_id": str(part.get("Content-ID", "")).strip("<>"),
        }
        for part in message.walk()
        if not part.is_multipart() and id(part) not in bodies
    ]


def html_preview(message: EmailMessage) -> str | None:
    """The HTML body with its cid: images inlined as data: URIs, for the sent-mail preview only."""
    body = message.get_body(("html",))
    if body is None:
        return None
    html = body.get_content()
    for part in message.walk():
        content_id = str(part.get("Content-ID", "")).strip("<>")
        if content_id and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True) or b"").decode()
            uri = f"data:{part.get_content_type()};base64,{data}"
            html = html.replace(f"cid:{content_id}", uri)
    return html


def delete_to(folder: str, addresses: set[str]) -> int:
    """Delete the kept messages of a folder sent to any of these addresses; how many went."""
    directory = mail_dir(folder)
    if not addresses or not FOLDER_RE.match(folder) or not directory.is_dir():
        return 0
    removed = 0
    for path in directory.glob("*.eml"):
        with open(path, "rb") as file:
            headers = BytesHeaderParser(policy=policy.default).parse(file)
        to = (
            {address.addr_spec.lower() for address in headers["To"].addresses}
            if headers["To"]
            else set()
        )
        if to & addresses:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _summary(directory: Path, name: str) -> Stored:
    with open(directory / f"{name}.eml", "rb") as file:
        headers = BytesHeaderParser(policy=policy.default).parse(file)
    sent_at = datetime.strptime(name[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return Stored(name, str(headers.get("To", "")), str(headers.get("Subject", "")), sent_at)
