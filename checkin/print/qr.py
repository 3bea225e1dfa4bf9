"""QR codes for badges, fast: the same symbol as qrcode makes, as a PNG of one pixel a module.

qrcode picks the mask (one of eight patterns XORed over the data) by laying the symbol out
eight times in Python and scoring each: about 3.3 ms of a 3.9 ms code, 3 s of CPU for a
thousand badges. Here the symbol is laid out once; the other seven masks are an XOR over
the data modules with numpy, and all eight are scored at once by the same four rules with
the same weights as qrcode.util.lost_point (ISO/IEC 18004's runs, blocks, finder-like
patterns and dark share), so the pick, and the symbol, are exactly qrcode's own: the badge
carries module for module the code the ticket page shows (tests/print/test_badge_sheets.py checks).
"""

import base64
import io
from functools import cache

import numpy as np
import qrcode
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M  # as the ticket page (tickets.qr_svg)
BORDER = 2  # quiet-zone modules in the image; the badge's white margin adds more
FINDER_LIKE = np.array(
    [[1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1]], dtype=bool
)


def modules(text: str) -> list[list[bool]]:
    """The QR symbol for text (no quiet zone), as qrcode.make would lay it out."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0)
    code.add_data(text)
    code.best_fit()
    code.makeImpl(True, 0)  # scored as qrcode scores: format bits blank ("test" mode)
    laid = np.array(code.modules, dtype=bool)
    data, masks = _data_modules(code.version), _masks(code.modules_count)
    candidates = (laid ^ (masks[0] & data))[None] ^ (masks & data)
    best = int(np.argmin(penalties(candidates)))
    code.modules = candidates[best].tolist()
    code.setup_type_info(False, best)  # the real format bits over the blank ones
    if code.version >= 7:
        code.setup_type_number(False)
    return code.modules


def png_data_uri(text: str) -> str:
    """The QR code for text as a PNG data URI, one pixel a module, with a quiet zone."""
    symbol = np.array(modules(text), dtype=bool)
    light = np.pad(~symbol, BORDER, constant_values=True)
    buffer = io.BytesIO()
    Image.fromarray(light.astype(np.uint8) * 255, mode="L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def penalties(symbols: np.ndarray) -> np.ndarray:
    """qrcode.util.lost_point of each symbol in a stack of shape (k, n, n)."""
    count, size = symbols.shape[0], symbols.shape[1]
    lines = np.concatenate([symbols, symbols.transpose(0, 2, 1)])  # rows, then columns
    windows = sliding_window_view(lines, 11, axis=2)  # (2k, n, n - 10, 11)
    finder_like = (windows == FINDER_LIKE[0]).all(axis=3) | (windows == FINDER_LIKE[1]).all(axis=3)
    per_line = _runs(lines) + 40 * finder_like.sum(axis=(1, 2))
    score = per_line[:count] + per_line[count:]
    top_left = symbols[:, :-1, :-1]
    blocks = (
        (top_left == symbols[:, :-1, 1:])
        & (top_left == symbols[:, 1:, :-1])
        & (top_left == symbols[:, 1:, 1:])
    )
    score += 3 * blocks.sum(axis=(1, 2))
    dark = symbols.sum(axis=(1, 2)) / float(size * size)
    score += 10 * (np.abs(dark * 100 - 50) / 5).astype(np.int64)
    return score


def _runs(lines: np.ndarray) -> np.ndarray:
    """Per symbol: each run of 5 or more same-colour modules along a row costs its length - 2."""
    count, rows, width = lines.shape
    edges = np.ones((count, rows, width + 1), dtype=bool)
    edges[:, :, 1:width] = lines[:, :, 1:] != lines[:, :, :-1]
    starts = np.flatnonzero(edges)
    lengths = np.diff(starts)  # the gap from a row's end to the next row's start is 1
    owner = starts[:-1] // (rows * (width + 1))
    long = lengths >= 5
    return np.bincount(owner[long], weights=lengths[long] - 2, minlength=count).astype(np.int64)


@cache
def _data_modules(version: int) -> np.ndarray:
    """Where a symbol of this version holds data (the mask applies): not a function pattern."""
    code = qrcode.QRCode(version=version, error_correction=ERROR_CORRECTION)
    size = code.modules_count = version * 4 + 17
    code.modules = [[None] * size for _ in range(size)]
    for row, col in ((0, 0), (size - 7, 0), (0, size - 7)):
        code.setup_position_probe_pattern(row, col)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(True, 0)
    if version >= 7:
        code.setup_type_number(True)
    return np.array([[cell is None for cell in row] for row in code.modules], dtype=bool)


@cache
def _masks(size: int) -> np.ndarray:
    """The eight mask patterns of qrcode.util.mask_func over a size x size grid."""
    i, j = np.indices((size, size))
    return np.stack(
        [
            (i + j) % 2 == 0,
            i % 2 == 0,
            j % 3 == 0,
            (i + j) % 3 == 0,
            (i // 2 + j // 3) % 2 == 0,
            (i * j) % 2 + (i * j) % 3 == 0,
            ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            ((i * j) % 3 + (i + j) % 2) % 2 == 0,
        ]
    )
