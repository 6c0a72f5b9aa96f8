"""The default badge image, drawn here so a site needs no artwork to issue credentials.

A site may give its own PNG or SVG per award (``image`` in ``connectors/badges.toml``); otherwise
the SVG shows the award's name on a medal and the PNG is the same medal without lettering.
"""

from __future__ import annotations

import zlib
from html import escape
from pathlib import Path

import numpy as np

from rm_plugin.credentials.baking import PNG_SIGNATURE, chunk

SIZE = 256
GOLD = (0xD9, 0xA4, 0x1E)
DEEP = (0x1F, 0x3A, 0x5F)


def badge_svg(title: str, subtitle: str = "") -> str:
    """A 256-pixel medal with ``title`` (and ``subtitle``) lettered on it."""
    words = escape(title[:40])
    small = escape(subtitle[:48])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" width="{SIZE}" height="{SIZE}">'
        f"<title>{words}</title>"
        '<circle cx="128" cy="128" r="124" fill="#d9a41e"/>'
        '<circle cx="128" cy="128" r="104" fill="#1f3a5f"/>'
        '<path d="M128 48 L146 98 L199 98 L156 129 L172 180 L128 149 L84 180 L100 129 L57 98 L110 98 Z" '
        'fill="#d9a41e" opacity="0.35"/>'
        f'<text x="128" y="134" font-family="sans-serif" font-size="18" font-weight="bold" '
        f'fill="#ffffff" text-anchor="middle">{words}</text>'
        f'<text x="128" y="160" font-family="sans-serif" font-size="11" fill="#f2e3b3" '
        f'text-anchor="middle">{small}</text>'
        "</svg>\n"
    )


def badge_png() -> bytes:
    """The medal as a 256x256 RGBA PNG (transparent outside the ring)."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    r = np.hypot(x - (SIZE - 1) / 2, y - (SIZE - 1) / 2)
    image = np.zeros((SIZE, SIZE, 4), dtype=np.uint8)
    image[r <= 124] = (*GOLD, 255)
    image[r <= 104] = (*DEEP, 255)
    image[(r <= 64) & (r > 56)] = (*GOLD, 255)
    raw = b"".join(b"\0" + image[row].tobytes() for row in range(SIZE))  # filter type 0 per row
    header = SIZE.to_bytes(4, "big") * 2 + bytes([8, 6, 0, 0, 0])  # 8-bit RGBA, no interlace
    return (
        PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    )


def load_image(path: Path) -> tuple[str, bytes]:
    """A site's own badge image: ("png" or "svg", its bytes); ValueError for anything else."""
    data = path.read_bytes()
    if data.startswith(PNG_SIGNATURE):
        return "png", data
    if b"<svg" in data[:2048]:
        return "svg", data
    raise ValueError(f"{path}: a badge image must be a PNG or an SVG file")
