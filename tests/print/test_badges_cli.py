"""`flask badges SLUG --out FILE.pdf [--layout NAME]`: the guest list's badges, or a clear error."""

import pytest
from support.pdf_qr import decoded_qr_codes, page_size, pages, text


@pytest.fixture
def cli_seven(make_event, make_guest):
    """An event with seven guests; its slug and their ticket URLs."""
    slug = make_event()
    names = ["Ada Lovelace", "Zoë Brennan", "Νίκος Ιωάννου", "Дмитрий Орлов"]
    names += ["Gökhan Yılmaz", "Łukasz Nowak", "Seán Ó Súilleabháin"]
    return slug, [make_guest(slug, name=name)[1] for name in names]


def run(runner, *args):
    """Run `flask badges ...`."""
    return runner.invoke(args=["badges", *args])


def test_writes_letter_sheets_by_default(runner, cli_seven, tmp_path):
    """Without --layout: six to a Letter sheet, every QR scans, the output says how many."""
    slug, urls = cli_seven
    out = tmp_path / "badges.pdf"
    result = run(runner, slug, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote 7 badges on 2 pages (letter-6) to " in result.output
    assert result.output.rstrip().endswith(" s.")
    assert pages(out) == 2 and page_size(out) == "612 x 792 pts (letter)"
    assert sorted(decoded_qr_codes(out, tmp_path)) == sorted(urls)


@pytest.mark.parametrize(
    ("layout", "expected_pages", "size"),
    [("a6-4", 2, "595.276 x 841.89 pts (A4)"), ("label", 7, "288 x 216 pts")],
)
def test_layout_option(runner, cli_seven, tmp_path, layout, expected_pages, size):
    """--layout picks the stock: A6 four to A4, or one label a page."""
    out = tmp_path / f"{layout}.pdf"
    result = run(runner, cli_seven[0], "--out", str(out), "--layout", layout)
    assert result.exit_code == 0, result.output
    assert f"on {expected_pages} pages ({layout})" in result.output
    assert pages(out) == expected_pages and page_size(out) == size
    assert "Νίκος Ιωάννου" in text(out) and "Дмитрий Орлов" in text(out)


def test_unknown_event(runner, tmp_path):
    """An unknown slug is an error that names it, and nothing is written."""
    out = tmp_path / "badges.pdf"
    result = run(runner, "no-such-event", "--out", str(out))
    assert result.exit_code == 1
    assert "No event with the slug 'no-such-event'." in result.output
    assert not out.exists()


def test_unknown_layout(runner, cli_seven, tmp_path):
    """An unknown layout lists the ones there are, and nothing is written."""
    out = tmp_path / "badges.pdf"
    result = run(runner, cli_seven[0], "--out", str(out), "--layout", "avery-9999")
    assert result.exit_code == 1
    assert "No badge layout called 'avery-9999'; choose one of: letter-6, a6-4, label." in (
        result.output
    )
    assert not out.exists()


def test_event_without_guests(runner, make_event, tmp_path):
    """An empty guest list says so instead of writing an empty PDF."""
    slug = make_event(name="Empty Hall")
    out = tmp_path / "badges.pdf"
    result = run(runner, slug, "--out", str(out))
    assert result.exit_code == 1
    assert "Empty Hall has nobody on its guest list yet." in result.output
    assert not out.exists()


def test_out_is_required(runner, cli_seven):
    """--out is required: the command never guesses where to write."""
    result = run(runner, cli_seven[0])
    assert result.exit_code == 2
    assert "Missing option '--out'" in result.output


def test_unwritable_out(runner, cli_seven, tmp_path):
    """A file that cannot be written is a one-line error, not a traceback."""
    out = tmp_path / "no-such-folder" / "badges.pdf"
    result = run(runner, cli_seven[0], "--out", str(out))
    assert result.exit_code == 1
    assert f"Could not write {out}: No such file or directory." in result.output
