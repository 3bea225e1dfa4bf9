"""Reading PDFs and QR codes back with poppler and zbar, as a person checking them would."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def pdf_info(path: Path) -> dict[str, str]:
    """pdfinfo's fields (Pages, Page size, Title ...)."""
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return dict(line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)


def pages(path: Path) -> int:
    """How many pages the PDF has."""
    return int(pdf_info(path)["Pages"])


def page_size(path: Path) -> str:
    """The first page's size as pdfinfo says it, e.g. '612 x 792 pts (letter)'."""
    return pdf_info(path)["Page size"].strip()


def page_image(path: Path, folder: Path, dpi: int = 150, name: str = "first-page") -> Path:
    """The PDF's first page as folder/<name>.png, rendered at dpi."""
    prefix = folder / name
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", "1", "-l", "1", str(path)]
        + [str(prefix)],
        check=True,
    )
    return prefix.with_suffix(".png")


def qr_in_image(image: Path) -> str:
    """The text of the QR code in an image as zbarimg reads it (one line per code found)."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is missing: sudo apt-get install zbar-tools (.ci/run installs it)")
    result = subprocess.run(
        [zbarimg, "--raw", "-q", str(image)], capture_output=True, text=True, timeout=30
    )
    return result.stdout.strip()


def decoded_qr_codes(path: Path, folder: Path, dpi: int = 150) -> list[str]:
    """Every QR code on every page, decoded from the pages rendered at dpi."""
    prefix = folder / "page"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(prefix)], check=True)
    images = sorted(str(p) for p in folder.glob("page-*.png"))
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", *images],
        capture_output=True,
        text=True,
    )
    assert out.returncode in (0, 4), out.stderr  # 4: no code found at all
    return out.stdout.split()


def text(path: Path) -> str:
    """The PDF's text (pdftotext), whitespace runs made single spaces."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return " ".join(out.stdout.decode("utf-8").split())


def fonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' table: name, type and whether each font is embedded."""
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    rows = []
    for line in out.stdout.splitlines()[2:]:
        fields = line.split()
        # name type... encoding emb sub uni object ID: the flags are the 5th-to-last fields
        rows.append({"name": fields[0], "embedded": fields[-5], "subset": fields[-4]})
    return rows


def word_boxes(path: Path) -> list[dict]:
    """Each word with its box in points, per page (pdftotext -bbox)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    words, page = [], 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        found = re.search(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', line
        )
        if found:
            x0, y0, x1, y1 = (float(v) for v in found.groups()[:4])
            words.append({"page": page, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "word": found[5]})
    return words


def screenshot(path: Path, name: str, dpi: int = 100) -> Path:
    """The PDF's first page as test-results/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return page_image(path, SCREENSHOTS, dpi, name)
