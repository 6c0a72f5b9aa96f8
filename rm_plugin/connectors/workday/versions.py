"""Element names that differ between Workday web-service (WSDL) versions.

Workday renames a few elements between releases. Give_Feedback names its recipient
``To_Worker_Reference`` in the v28 and v30.1 Talent WSDLs, and ``To_Workers_Reference`` in code
written against v42.2 (the Give Feedback business process then took several recipients). No
public WSDL between those versions was found, so the switch point below is a judgement: the
first release after the last one known to use the singular. A tenant that answers otherwise sets
``feedback_to_element`` in its connector file; the README lists this under facts to confirm.
"""

from __future__ import annotations

import re

SINGULAR = "To_Worker_Reference"
PLURAL = "To_Workers_Reference"
#: The newest version known to use the singular name (the Talent WSDL v30.1).
LAST_SINGULAR = (30, 1)


def parse_version(version: str) -> tuple[int, int]:
    """``"v42.2"`` -> ``(42, 2)``; raises ValueError for anything else."""
    match = re.fullmatch(r"v(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"{version!r} is not a Workday version like v42.2")
    return int(match[1]), int(match[2])


def feedback_recipient_element(version: str) -> str:
    """The Give_Feedback element naming the recipient, for a WSDL ``version``."""
    return SINGULAR if parse_version(version) <= LAST_SINGULAR else PLURAL
