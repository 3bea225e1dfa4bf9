"""Draw the app icons (the initial "c" on the theme color); run once, the PNGs are committed.

.venv/bin/python static/icons/make_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
THEME, INK = "#0f172a", "#f8fafc"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def draw(size: int, letter_share: float, rounded: bool) -> Image.Image:
    """A square icon, the initial centred; rounded corners, or full bleed for masks."""
    scale = 4  # draw large, then shrink, for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=THEME)
    else:
        pen.rectangle((0, 0, big, big), fill=THEME)
    font = ImageFont.truetype(FONT, int(big * letter_share * 1.35))
    left, top, right, bottom = pen.textbbox((0, 0), "c", font=font)  # centre the glyph itself
    pen.text(((big - left - right) / 2, (big - top - bottom) / 2), "c", font=font, fill=INK)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    """Write icon-192.png, icon-512.png, maskable-512.png and apple-touch-icon.png."""
    draw(192, 0.55, rounded=True).save(HERE / "icon-192.png", optimize=True)
    draw(512, 0.55, rounded=True).save(HERE / "icon-512.png", optimize=True)
    # Maskable: full bleed, the letter well inside the central 80% safe zone.
    draw(512, 0.4, rounded=False).save(HERE / "maskable-512.png", optimize=True)
    draw(180, 0.5, rounded=False).convert("RGB").save(HERE / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
