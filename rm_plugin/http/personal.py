"""Keep people's emails and names out of error messages, parked reasons, logs and the audit log.

A host's answer about its users (Moodle's user records, an HR system's employee) can end up in
an error when it is cut short or malformed. Emails are masked wherever they appear; names are
masked in the fields hosts put them in (``fullname``, ``firstName`` …) and wherever a name the
caller knows appears (the people a delivery is about).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rm_plugin.secret import MASK

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")

#: JSON, form and XML field names whose values are a person's name or address on the hosts we call.
PERSONAL_FIELDS: tuple[str, ...] = (
    "fullname",
    "firstname",
    "lastname",
    "middlename",
    "alternatename",
    "firstnamephonetic",
    "lastnamephonetic",
    "displayname",
    "preferredname",
    "legal_name",
    "formatted_name",
    "email",
    "workemail",
    "homeemail",
    "username",
)

_FIELDS = "|".join(sorted((re.escape(f) for f in PERSONAL_FIELDS), key=len, reverse=True))
_FIELD_PATTERNS = (
    # "fullname": "Ann Smith" (JSON) or 'fullname': 'Ann Smith' (a dict's repr)
    re.compile(rf"""(["'](?:{_FIELDS})["']\s*:\s*(["']))(?:(?!\2)[^\\]|\\.)*""", re.IGNORECASE),
    # users[0][firstname]=Ann in a form body or query string
    re.compile(rf"((?:\[|%5B)?(?<![\w-])(?:{_FIELDS})(?:\]|%5D)?=)[^&\s#\"'<>]*", re.IGNORECASE),
    # <wd:Formatted_Name>Ann Smith</wd:Formatted_Name> in XML and SOAP bodies
    re.compile(rf"(<(?:[\w-]+:)?(?:{_FIELDS})\b[^>]*>)[^<]*", re.IGNORECASE),
)


def mask_personal(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with emails, personal field values and each of ``names`` replaced by ``***``."""
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(name), MASK, text, flags=re.IGNORECASE)
    for pattern in _FIELD_PATTERNS:
        text = pattern.sub(rf"\g<1>{MASK}", text)
    return EMAIL.sub(MASK, text)
