"""Reading the app's responses: what a person reads, the body as text, the htmx request header."""

import re
from html import unescape

HTMX = {"HX-Request": "true"}  # what htmx sends with every request it makes


def readable(response) -> str:
    """What a person reads: the HTML without scripts, styles and tags, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def body(response) -> str:
    """A response's body as text, markup and all."""
    return response.get_data(as_text=True)


def page_at(client, path: str) -> str:
    """The markup of the page at path, fetched with a GET that must answer 200."""
    reply = client.get(path)
    assert reply.status_code == 200, path
    return reply.get_data(as_text=True)
