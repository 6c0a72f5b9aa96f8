"""Give_Feedback's recipient element, the one element name known to differ between versions.

The only public Talent schema, the WSDL v30.1 (v28 agrees), names it ``To_Worker_Reference``, and
so does a generated proxy of unknown version; code written against v42.2 by a third party sends
``To_Workers_Reference``. No public schema of v31 or later exists, so which name a v31+ tenant
expects is not known here: rm-plugin sends the singular, which the evidence supports, unless
``feedback_to_element`` says otherwise, and ``rm-plugin check`` reads the tenant's own Talent WSDL
(``…/ccx/service/{tenant}/Talent/{version}?wsdl``) to tell which one it declares.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SINGULAR = "To_Worker_Reference"
PLURAL = "To_Workers_Reference"
#: The newest version whose Talent schema is public (and names the recipient in the singular).
LAST_PUBLIC = (30, 1)
XSD = "{http://www.w3.org/2001/XMLSchema}"


def parse_version(version: str) -> tuple[int, int]:
    """``"v42.2"`` -> ``(42, 2)``; raises ValueError for anything else."""
    match = re.fullmatch(r"v(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"{version!r} is not a Workday version like v42.2")
    return int(match[1]), int(match[2])


def verified_by_public_schema(version: str) -> bool:
    """Whether a public Talent schema shows the recipient element for ``version``."""
    return parse_version(version) <= LAST_PUBLIC


def recipient_in_wsdl(content: bytes) -> str | None:
    """The recipient element a Talent WSDL declares for Give_Feedback's data, or None if it shows none.

    Looks in every schema type whose name starts with ``Give_Feedback`` (in v30.1 the data is
    ``Give_Feedback_Business_Process_DataType``) for an element of either name.
    """
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        return None
    for complex_type in root.iter(f"{XSD}complexType"):
        if not str(complex_type.get("name", "")).startswith("Give_Feedback"):
            continue
        for element in complex_type.iter(f"{XSD}element"):
            if element.get("name") in (SINGULAR, PLURAL):
                return element.get("name")
    return None
