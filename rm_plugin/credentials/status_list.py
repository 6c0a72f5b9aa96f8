"""Revocation through a W3C Bitstring Status List.

Each credential owns one bit (its ``statusListIndex``) of a list of :data:`LIST_SIZE` bits; a set
bit means revoked. The list is published as a credential of its own whose ``encodedList`` is the
bitstring GZIP-compressed and written as multibase base64url (a ``u`` then base64url without
padding). Bit 0 is the most significant bit of the first byte. The minimum size the
recommendation sets (16 KiB of bits) keeps any one credential's status among many.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
from collections.abc import Iterable
from typing import Any

from rm_plugin.credentials.model import CONTEXT, Issuer, datetime_z

LIST_SIZE = 131_072  # bits per list: 16 KiB


def place(index: int) -> tuple[int, int]:
    """(list number from 1, position in that list) of a credential's global status index."""
    return index // LIST_SIZE + 1, index % LIST_SIZE


def encode(revoked: Iterable[int], size: int = LIST_SIZE) -> str:
    """The ``encodedList`` of a list whose set bits are the positions in ``revoked``."""
    bits = bytearray(size // 8)
    for position in revoked:
        if not 0 <= position < size:
            raise ValueError(f"status position {position} is outside a list of {size}")
        bits[position // 8] |= 0x80 >> (position % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode(encoded: str) -> bytes:
    """The bitstring of an ``encodedList``; ValueError when it is not multibase base64url GZIP."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (start with 'u')")
    text = encoded[1:]
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return gzip.decompress(raw)


def is_set(bitstring: bytes, position: int) -> bool:
    if not 0 <= position < len(bitstring) * 8:
        raise ValueError(f"status position {position} is outside a list of {len(bitstring) * 8}")
    return bool(bitstring[position // 8] & (0x80 >> (position % 8)))


def status_list_credential(
    issuer: Issuer, list_url: str, revoked: Iterable[int], valid_from: dt.datetime
) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` publishing one revocation list."""
    return {
        "@context": list(CONTEXT),
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.profile(),
        "validFrom": datetime_z(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(revoked),
        },
    }
