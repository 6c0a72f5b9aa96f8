"""Our one door to JOSE (signing and verifying JWTs, RSA keys as JWKs), over joserfc.

Everything LTI-specific (which claims, which issuer, which key) is decided by our own modules;
this adapter only signs, verifies signatures and converts keys, so the library can be swapped
without touching the protocol code. Only RS256 is accepted, as LTI 1.3 requires.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

ALGORITHM = "RS256"


class InvalidToken(Exception):
    """A JWT that is malformed, not RS256, or whose signature does not verify."""


def new_rsa_key(bits: int = 2048) -> tuple[str, dict[str, Any]]:
    """A fresh signing key: its private key as PEM, and its public JWK with ``kid`` (the RFC 7638
    thumbprint), ``alg`` and ``use``."""
    key = RSAKey.generate_key(bits, parameters={"use": "sig", "alg": ALGORITHM}, private=True)
    key.ensure_kid()
    private_pem = key.as_pem(private=True).decode("ascii")
    return private_pem, dict(key.as_dict(private=False))


@functools.lru_cache(maxsize=8)
def _private_key(private_pem: str) -> RSAKey:
    # Loading a private key checks it (tens of milliseconds); a worker signs with the same few keys.
    return RSAKey.import_key(private_pem)


def sign(claims: Mapping[str, Any], private_pem: str, kid: str) -> str:
    """A compact RS256 JWT of ``claims``, with ``kid`` in its header so the verifier picks the key."""
    key = _private_key(private_pem)
    return jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": kid}, dict(claims), key, algorithms=[ALGORITHM])


def header(token: str) -> dict[str, Any]:
    """The protected header, unverified: only to choose the key to verify with."""
    try:
        return dict(jws.extract_compact(token.encode("ascii")).protected)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidToken("not a compact JWT") from exc


def verify(token: str, jwk: Mapping[str, Any]) -> dict[str, Any]:
    """The claims of ``token`` once its RS256 signature verifies with the public ``jwk``.

    Claims are not checked here (issuer, audience, times): the caller does that with its own
    messages.
    """
    if header(token).get("alg") != ALGORITHM:
        raise InvalidToken(f"the token is not signed with {ALGORITHM}")
    try:
        key = RSAKey.import_key(dict(jwk))
        decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
    except (JoseError, ValueError) as exc:
        raise InvalidToken(f"the signature does not verify ({type(exc).__name__})") from exc
    if not isinstance(decoded.claims, dict):
        raise InvalidToken("the token's payload is not a JSON object")
    return decoded.claims
