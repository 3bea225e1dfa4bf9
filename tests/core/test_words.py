"""The README's words: "attendee" is retired, kept only where it is stored or on the wire."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
WHERE = ["checkin", "templates", "static/js", "static/css", "tests", "bench"]
NOT_OURS = ("tests/browser/vendor/", "tests/data/", "tests/core/test_words.py")

# Where the old word must stay: stored values, column and constraint names, wire fields,
# URLs, other products' export headers. Each is cut from a line before the line is checked.
KEPT = [
    r"attendee_ids?(?![a-z])",  # columns (attendee_id, badge_jobs.attendee_ids) and wire fields
    r"\b(ix|fk|uq|pk)_\w+",  # constraint and index names
    r"[\"']attendees?[\"']",  # the table, API keys, the stored badge choice, old sessions
    r"\battendees\.id\b",  # foreign keys
    r"(?i)\b(from|update|analyze) attendees\b",  # SQL on the table
    r"/attendees/|\"attendees/\"",  # URLs
    r"selection-attendee|[?&]attendee=",  # the stored badge choice: element id, query
    # the roster a phone saves, and the door API's roster
    r"(saved|body|all\[0\]|r)\.attendees\b|^\s*attendees: Array|expires_at, attendees \}",
    r"\banswer\.attendee\b",  # the door API's answer
    r"(?i)attendee (status|#)|eventbrite-attendee-summary",  # Eventbrite's export
    r"[(|]attendee\||\|attendee\)",  # header patterns that recognize Eventbrite's columns
]
RETIRED = re.compile(r"(?i)attendee")


def leftovers(path: str, text: str) -> list[str]:
    """Lines of one file that still use the retired word where it is not kept."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        rest = line
        for pattern in KEPT:
            rest = re.sub(pattern, "", rest)
        if RETIRED.search(rest):
            found.append(f"{path}:{number}: {line.strip()}")
    return found


def tracked() -> list[str]:
    """The files git tracks where the words apply."""
    listed = subprocess.run(
        ["git", "ls-files", *WHERE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [p for p in listed if not p.startswith(NOT_OURS) and (ROOT / p).is_file()]


def test_the_retired_word_appears_only_where_kept():
    """Code, templates, CSS, JS, tests and benchmarks say "guest"."""
    found = []
    for path in tracked():
        found += leftovers(path, (ROOT / path).read_text(encoding="utf-8", errors="replace"))
    assert found == []


def test_the_check_finds_a_planted_use_and_passes_a_kept_one():
    """A new "attendee" is reported; a column, a URL and an API key are not."""
    planted = "def greet(attendee):\n    return attendee.name\n"
    assert len(leftovers("x.py", planted)) == 2
    kept = 'q.where(Ticket.attendee_id == 1)\nurl = "/attendees/3"\nbody["attendees"]\n'
    assert leftovers("y.py", kept) == []
