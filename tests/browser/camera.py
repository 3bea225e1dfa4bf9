"""A fake camera for Chromium: a looping Y4M video of still images, written with Pillow alone."""

from pathlib import Path

import qrcode
from PIL import Image

WIDTH, HEIGHT = 640, 480
BACKGROUND = (92, 88, 84)  # a dim grey room


def qr_frame(text: str, size: int = 360) -> Image.Image:
    """A camera frame with a QR code of text held up in the middle."""
    frame = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    code = qrcode.make(text, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code = code.get_image().convert("RGB").resize((size, size), Image.NEAREST)
    frame.paste(code, ((WIDTH - size) // 2, (HEIGHT - size) // 2))
    return frame


def empty_frame() -> Image.Image:
    """A camera frame with nothing to scan."""
    return Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)


def write_y4m(path: Path, scenes: list[tuple[Image.Image, float]], fps: int = 5) -> Path:
    """Write scenes (image, seconds on screen) as a 4:2:0 Y4M video, which Chromium loops."""
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for image, seconds in scenes:
            frame = b"FRAME\n" + _planes(image)
            for _ in range(max(1, round(seconds * fps))):
                out.write(frame)
    return path


def _planes(image: Image.Image) -> bytes:
    """The Y plane at full size, then U and V at half size."""
    y, u, v = image.convert("RGB").resize((WIDTH, HEIGHT)).convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    return y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
