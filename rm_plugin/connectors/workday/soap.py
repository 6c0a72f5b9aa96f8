"""Building and reading Workday SOAP messages with the standard library (no vendor WSDL shipped).

Requests are ``<wd:{Operation}_Request wd:version="vNN.N">`` in the ``urn:com.workday/bsvc``
namespace inside a SOAP 1.1 envelope whose header carries a WS-Security UsernameToken.
References are ``<wd:X_Reference><wd:ID wd:type="Employee_ID">…</wd:ID></wd:X_Reference>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)
WD = "urn:com.workday/bsvc"

ET.register_namespace("soapenv", SOAP_ENV)
ET.register_namespace("wsse", WSSE)
ET.register_namespace("wd", WD)


def q(name: str) -> str:
    """The qualified name of a Workday element or attribute."""
    return f"{{{WD}}}{name}"


def request(operation: str, version: str) -> ET.Element:
    """An empty ``{operation}_Request`` root, e.g. ``request("Get_Workers", "v42.2")``."""
    return ET.Element(q(f"{operation}_Request"), {q("version"): version})


def add(parent: ET.Element, name: str, text: object | None = None) -> ET.Element:
    child = ET.SubElement(parent, q(name))
    if text is not None:
        child.text = str(text).lower() if isinstance(text, bool) else str(text)
    return child


def add_ref(parent: ET.Element, name: str, id_type: str, value: str) -> ET.Element:
    reference = add(parent, name)
    ET.SubElement(reference, q("ID"), {q("type"): id_type}).text = value
    return reference


def envelope(body: ET.Element, username: str, password: str) -> bytes:
    """The whole SOAP message; the password is revealed here and nowhere else."""
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    header = ET.SubElement(root, f"{{{SOAP_ENV}}}Header")
    security = ET.SubElement(header, f"{{{WSSE}}}Security", {f"{{{SOAP_ENV}}}mustUnderstand": "1"})
    token = ET.SubElement(security, f"{{{WSSE}}}UsernameToken")
    ET.SubElement(token, f"{{{WSSE}}}Username").text = username
    ET.SubElement(token, f"{{{WSSE}}}Password", {"Type": PASSWORD_TEXT}).text = password
    ET.SubElement(root, f"{{{SOAP_ENV}}}Body").append(body)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@dataclass(frozen=True)
class Fault:
    """A SOAP fault: ``code`` like ``SOAP-ENV:Client.authenticationError`` and Workday's details."""

    code: str
    message: str
    kind: str = ""  # "Processing_Fault" or "Validation_Fault" when Workday said which
    details: tuple[str, ...] = ()

    @property
    def short_code(self) -> str:
        return self.code.rsplit(":", 1)[-1]


def parse(content: bytes) -> ET.Element:
    """The first element in the SOAP body; raises ValueError when ``content`` is not SOAP."""
    root = ET.fromstring(content)
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None or len(body) == 0:
        raise ValueError("no SOAP body")
    return body[0]


def fault_of(content: bytes) -> Fault | None:
    """The fault in a response body, or None if it holds none (or is not XML)."""
    try:
        first = parse(content)
    except (ET.ParseError, ValueError):
        return None
    if first.tag != f"{{{SOAP_ENV}}}Fault":
        return None
    code = (first.findtext("faultcode") or "").strip()
    message = (first.findtext("faultstring") or "").strip()
    kind, details = "", []
    detail = first.find("detail")
    if detail is not None:
        for fault in detail:
            kind = kind or fault.tag.rsplit("}", 1)[-1]
            for element in fault.iter():
                if element.tag in (q("Detail_Message"), q("Message")) and element.text:
                    details.append(element.text.strip())
    return Fault(code, message, kind, tuple(dict.fromkeys(details)))


def text(element: ET.Element | None, path: str) -> str:
    """The stripped text at ``path`` (Workday names, ``wd:`` implied), or ""."""
    if element is None:
        return ""
    found = element.find(_path(path))
    return (found.text or "").strip() if found is not None else ""


def find(element: ET.Element | None, path: str) -> ET.Element | None:
    return None if element is None else element.find(_path(path))


def findall(element: ET.Element | None, path: str) -> list[ET.Element]:
    return [] if element is None else element.findall(_path(path))


def ref_id(reference: ET.Element | None, id_type: str) -> str:
    """The ID of one type in a reference element, e.g. its ``Employee_ID``."""
    for item in iter_ids(reference):
        if item[0] == id_type:
            return item[1]
    return ""


def iter_ids(reference: ET.Element | None) -> Iterator[tuple[str, str]]:
    if reference is None:
        return
    for element in reference.findall(q("ID")):
        yield element.get(q("type"), ""), (element.text or "").strip()


def _path(path: str) -> str:
    return "/".join(part if part in (".", "..") else q(part) for part in path.split("/"))
