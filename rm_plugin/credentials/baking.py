"""Baking: a signed credential carried inside its badge image, as Open Badges 3.0 defines it.

PNG: one uncompressed ``iTXt`` chunk with the keyword ``openbadgecredential`` whose text is the
compact JWS. SVG: an ``openbadges:credential`` element (namespace
``https://purl.imsglobal.org/ob/v3p0``) right after the ``<svg>`` start tag, with the compact JWS
in its ``verify`` attribute. Baking an image that already carries a credential replaces it.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"
SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


class BakingError(ValueError):
    """An image that cannot be baked or read: not a PNG/SVG, or damaged."""


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC over type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def chunks(png: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of each chunk of a PNG, checking its signature and every CRC."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image (no PNG signature)")
    at = len(PNG_SIGNATURE)
    while at < len(png):
        if at + 8 > len(png):
            raise BakingError("PNG ends inside a chunk header")
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        data = png[at + 8 : at + 8 + length]
        crc = png[at + 8 + length : at + 12 + length]
        if len(data) != length or len(crc) != 4 or struct.unpack(">I", crc)[0] != zlib.crc32(kind + data):
            raise BakingError(f"PNG chunk {kind!r} is damaged")
        yield kind, data
        at += 12 + length
        if kind == b"IEND":
            return
    raise BakingError("PNG has no IEND chunk")


def _check_token(token: str) -> None:
    if not _JWS.match(token):
        raise BakingError("only a compact JWS (header.payload.signature) is baked")


def _credential_text(data: bytes) -> str | None:
    """The text of an ``iTXt`` chunk if its keyword is ``openbadgecredential``."""
    keyword, _, rest = data.partition(b"\0")
    if keyword != KEYWORD or len(rest) < 2:
        return None
    compressed, method, rest = rest[0], rest[1], rest[2:]
    _language, _, rest = rest.partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    raw = zlib.decompress(text) if compressed and method == 0 else text
    return raw.decode("utf-8")


def bake_png(png: bytes, token: str) -> bytes:
    """``png`` with ``token`` baked in (after the header chunk), replacing any earlier credential."""
    _check_token(token)
    out = [PNG_SIGNATURE]
    itxt = KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + token.encode("utf-8")
    for kind, data in chunks(png):
        if kind == b"iTXt" and _credential_text(data) is not None:
            continue
        out.append(chunk(kind, data))
        if kind == b"IHDR":
            out.append(chunk(b"iTXt", itxt))
    return b"".join(out)


def extract_png(png: bytes) -> str | None:
    """The credential the first ``openbadgecredential`` chunk holds, or None."""
    for kind, data in chunks(png):
        if kind == b"iTXt":
            text = _credential_text(data)
            if text is not None:
                return text
    return None


_SVG_START = re.compile(r"<svg\b[^>]*>", re.DOTALL)
_BAKED = re.compile(r"<openbadges:credential\b[^>]*?(/>|>.*?</openbadges:credential>)\s*", re.DOTALL)


def bake_svg(svg: str, token: str) -> str:
    """``svg`` with ``token`` baked in, replacing any earlier credential."""
    _check_token(token)
    svg = _BAKED.sub("", svg)
    start = _SVG_START.search(svg)
    if start is None:
        raise BakingError("not an SVG image (no <svg> start tag)")
    tag = start.group(0)
    if "xmlns:openbadges=" not in tag:
        closing = "/>" if tag.endswith("/>") else ">"
        tag = tag[: -len(closing)].rstrip() + f' xmlns:openbadges="{SVG_NAMESPACE}"' + closing
    element = f'<openbadges:credential verify="{token}"></openbadges:credential>'
    return svg[: start.start()] + tag + element + svg[start.end() :]


def extract_svg(svg: str) -> str | None:
    """The credential of the first ``openbadges:credential`` element (its ``verify`` attribute,
    else its text), or None."""
    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as exc:
        raise BakingError(f"SVG is not well-formed XML ({exc})") from None
    for element in root.iter(f"{{{SVG_NAMESPACE}}}credential"):
        return element.get("verify") or (element.text or "").strip() or None
    return None


def extract(image: bytes) -> str | None:
    """The credential baked into a PNG or SVG image, whichever ``image`` is."""
    if image.startswith(PNG_SIGNATURE):
        return extract_png(image)
    head = image[:512].lstrip()
    if head.startswith(b"<"):
        return extract_svg(image.decode("utf-8"))
    raise BakingError("not a PNG or SVG image")
