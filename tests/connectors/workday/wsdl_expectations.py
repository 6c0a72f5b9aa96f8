"""What Workday's public schemas say about the SOAP messages rm-plugin sends and reads, as tables.

No Workday-authored WSDL is published for the versions rm-plugin targets, so the facts below were
read from the public sources named at each table (element names, their order, which are required,
which ID types a reference takes) and written down here; no schema text is copied. Each table
lists, in schema order, the elements rm-plugin sends or reads (a schema type's other elements are
left out), so an element not in a table is reported as unverified rather than accepted.

- Talent v30.1: the Talent WSDL in the public repository ``tonybaloney/workday``, file
  ``tests/fixtures/v30_1/talent_wsdl`` (Give_Feedback, Put_Mentorship, Manage_Training).
- Human_Resources and Learning v31.2: the types generated from Workday's WSDLs in the public
  repository ``ianlopshire/go-workday``, files ``pkg/wws/services/hr/wwsgen_types.go`` and
  ``pkg/wws/services/learning/wwsgen_types.go`` (Get_Workers, Put_Learning_Enrollment), as the
  project's host reference (host-apis §3.5, §3.6) cites them. A field without ``omitempty`` there
  is required.

The one element known to be renamed in later versions is Give_Feedback's recipient
(``To_Workers_Reference`` in third-party v42.2 code): it is accepted in the singular's place, and
sent only when ``feedback_to_element`` says the tenant's WSDL uses it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

WD = "urn:com.workday/bsvc"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
RENAMED = {"To_Workers_Reference": "To_Worker_Reference"}


@dataclass(frozen=True)
class El:
    """One element: required or not, repeatable or not, its children in schema order.

    ``ids`` makes it a reference whose ``wd:ID`` children take these ``wd:type`` values
    (``ANY_ID`` when the source lists none); ``kind`` checks a leaf's text.
    """

    name: str
    required: bool = False
    many: bool = False
    children: tuple[El, ...] = ()
    ids: tuple[str, ...] | None = None
    kind: str = "text"


ANY_ID: tuple[str, ...] = ()


def leaf(name: str, kind: str = "text", *, required: bool = False, many: bool = False) -> El:
    return El(name, required, many, kind=kind)


def ref(name: str, ids: tuple[str, ...], *, required: bool = False, many: bool = False) -> El:
    return El(name, required, many, ids=ids)


def group(name: str, *children: El, required: bool = False, many: bool = False) -> El:
    return El(name, required, many, tuple(children))


# --- Talent v30.1 (tonybaloney/workday, tests/fixtures/v30_1/talent_wsdl) ---------------------

WORKER = ("WID", "Contingent_Worker_ID", "Employee_ID")  # WorkerReferenceEnumeration
UNIQUE = ("IID", "WID")  # Unique_IdentifierReferenceEnumeration
BUSINESS_PROCESS = group(
    "Business_Process_Parameters",
    leaf("Auto_Complete", "bool"),
    leaf("Run_Now", "bool"),
    group("Comment_Data", leaf("Comment"), ref("Worker_Reference", WORKER)),
)
GIVE_FEEDBACK = group(
    "Give_Feedback_Request",
    BUSINESS_PROCESS,
    group(
        "Give_Feedback_Data",
        ref("From_Worker_Reference", WORKER, required=True),
        ref("To_Worker_Reference", WORKER, required=True),
        ref("Badge_Reference", ("WID", "Feedback_Badge_ID")),
        leaf("Comment", required=True),
        leaf("Feedback_Given_Date", "datetime"),
        leaf("Show_Name", "bool"),
        leaf("Confidential", "bool"),
        leaf("Private", "bool"),
        required=True,
    ),
)
PUT_MENTORSHIP = group(
    "Put_Mentorship_Request",
    BUSINESS_PROCESS,
    group(
        "Mentorship_Data",
        leaf("ID"),
        ref("Mentor_Reference", WORKER),
        ref("Mentee_Reference", WORKER),
        ref("Mentor_Type_Reference", ("WID", "Mentor_Type_ID")),
        leaf("Mentorship_Start_Date", "date"),
        leaf("Mentorship_End_Date", "date"),
        leaf("Mentorship_Purpose"),
        ref("Mentorship_Reference", ("WID", "Mentorship_ID")),
        ref("Close_Mentorship_Reason_Reference", ("WID", "Close_Mentorship_Reason_ID")),
        required=True,
    ),
)
MANAGE_TRAINING = group(
    "Manage_Training_Request",
    BUSINESS_PROCESS,
    group(
        "Manage_Training_Data",
        ref("Worker_Reference", WORKER, required=True),
        group(
            "Training",
            ref("Training_Reference", ("WID", "Training_ID")),
            group(
                "Training_Data",
                leaf("Training_ID"),
                leaf("Remove_Training", "bool"),
                leaf("Training"),
                leaf("Description"),
                ref("Training_Type_Reference", ("WID", "Training_Type_ID")),
                leaf("Completion_Date", "date"),
                leaf("Training_Duration"),
                many=True,
            ),
            many=True,
        ),
        required=True,
    ),
)
TALENT_RESPONSES = (
    group(
        "Give_Feedback_Response",
        ref("Give_Feedback_Event_Reference", UNIQUE),
        ref("Feedback_Given_Reference", UNIQUE),
    ),
    group("Put_Mentorship_Event_Response", ref("Mentorship_Reference", UNIQUE)),
    group(
        "Manage_Training_Response",
        ref("Worker_Training_Event_Reference", UNIQUE),
        ref("Training_Reference", ("WID", "Training_ID"), many=True),
    ),
)

# --- Human_Resources v31.2 (ianlopshire/go-workday, pkg/wws/services/hr/wwsgen_types.go) -------

DATES = ("Updated_From", "Updated_Through", "Effective_From", "Effective_Through")
GET_WORKERS = group(
    "Get_Workers_Request",
    group("Request_References", ref("Worker_Reference", WORKER, required=True, many=True)),
    group(
        "Request_Criteria",
        group(
            "Transaction_Log_Criteria_Data",
            group("Transaction_Date_Range_Data", *(leaf(d, "datetime") for d in DATES)),
            many=True,
        ),
        leaf("Exclude_Inactive_Workers", "bool"),
    ),
    group(
        "Response_Filter",
        leaf("As_Of_Effective_Date", "date"),
        leaf("As_Of_Entry_DateTime", "datetime"),
        leaf("Page", "int"),
        leaf("Count", "int"),
    ),
    group(
        "Response_Group",
        *(
            leaf(f"Include_{part}", "bool")
            for part in (
                "Reference",
                "Personal_Information",
                "Employment_Information",
                "Organizations",
                "Management_Chain_Data",
                "Feedback_Received",
            )
        ),
    ),
)
COUNTRY = ("WID", "ISO_3166-1_Alpha-2_Code", "ISO_3166-1_Alpha-3_Code", "ISO_3166-1_Numeric-3_Code")
NAME_DETAIL = group(
    "Name_Detail_Data",
    ref("Country_Reference", COUNTRY, required=True),
    leaf("First_Name"),
    leaf("Last_Name"),
    required=True,
)
WORKER_DATA = group(
    "Worker_Data",
    leaf("Worker_ID"),
    leaf("User_ID"),
    group(
        "Personal_Data",
        group("Name_Data", group("Legal_Name_Data", NAME_DETAIL), group("Preferred_Name_Data", NAME_DETAIL)),
        group(
            "Contact_Data",
            group(
                "Email_Address_Data",
                leaf("Email_Address"),
                group(
                    "Usage_Data",
                    group(
                        "Type_Data",
                        ref("Type_Reference", ("WID", "Communication_Usage_Type_ID"), required=True),
                        required=True,
                        many=True,
                    ),
                    many=True,
                ),
                many=True,
            ),
        ),
    ),
    group(
        "Employment_Data",
        group(
            "Worker_Job_Data",
            group(
                "Position_Data",
                leaf("Position_Title"),
                leaf("Business_Title"),
                group("Job_Profile_Summary_Data", ref("Management_Level_Reference", ANY_ID)),
                group("Business_Site_Summary_Data", leaf("Name")),
                ref("Manager_as_of_last_detected_manager_change_Reference", WORKER, many=True),
            ),
            many=True,
        ),
        group(
            "Worker_Status_Data",
            leaf("Active", "bool"),
            leaf("Hire_Date", "date"),
            leaf("End_Employment_Date", "date"),
            leaf("Termination_Date", "date"),
        ),
    ),
    group(
        "Organization_Data",
        group(
            "Worker_Organization_Data",
            ref("Organization_Reference", ANY_ID, required=True),
            group(
                "Organization_Data",
                leaf("Organization_Name"),
                ref("Organization_Type_Reference", ANY_ID),
                required=True,
            ),
            many=True,
        ),
    ),
    group(
        "Feedback_Received_Data",
        group(
            "Feedback_Received",
            leaf("From"),
            leaf("Feedback_Type"),
            leaf("Date"),
            group("Feedback_Response_Data", leaf("Feedback_Question"), leaf("Feedback_Comment"), many=True),
            many=True,
        ),
    ),
)
GET_WORKERS_RESPONSE = group(
    "Get_Workers_Response",
    group(
        "Response_Results",
        *(leaf(n, "int") for n in ("Total_Results", "Total_Pages", "Page_Results", "Page")),
    ),
    group(
        "Response_Data",
        group("Worker", ref("Worker_Reference", WORKER), WORKER_DATA, many=True),
    ),
)

# --- Learning v31.2 (ianlopshire/go-workday, pkg/wws/services/learning/wwsgen_types.go) --------

PUT_LEARNING_ENROLLMENT = group(
    "Put_Learning_Enrollment_Request",
    ref("Learning_Enrollment_Reference", ANY_ID),
    group(
        "Learning_Enrollment_Data",
        leaf("ID"),
        ref("Learning_Content_Reference", ANY_ID, required=True),
        ref("Learner_Reference", ANY_ID, required=True),
        leaf("Registered_Date", "date"),
        leaf("Learning_Enrollment_Completion_Date", "datetime"),
        leaf("Overall_Course_Score"),
        ref("Learning_Grade_Reference", ANY_ID),
        ref("Attendance_Status_Reference", ANY_ID),
        leaf("Version_Label"),
        leaf("Expiration_Date", "date"),
        leaf("Rescind_Enrollment", "bool"),
        required=True,
    ),
)
PUT_LEARNING_ENROLLMENT_RESPONSE = group(
    "Put_Learning_Enrollment_Response", ref("Learning_Enrollment_Reference", ANY_ID)
)

#: (service, root element) -> the table it is checked against.
TABLES: dict[tuple[str, str], El] = {
    ("Talent", "Give_Feedback_Request"): GIVE_FEEDBACK,
    ("Talent", "Put_Mentorship_Request"): PUT_MENTORSHIP,
    ("Talent", "Manage_Training_Request"): MANAGE_TRAINING,
    **{("Talent", table.name): table for table in TALENT_RESPONSES},
    ("Human_Resources", "Get_Workers_Request"): GET_WORKERS,
    ("Human_Resources", "Get_Workers_Response"): GET_WORKERS_RESPONSE,
    ("Learning", "Put_Learning_Enrollment_Request"): PUT_LEARNING_ENROLLMENT,
    ("Learning", "Put_Learning_Enrollment_Response"): PUT_LEARNING_ENROLLMENT_RESPONSE,
}

_KINDS = {
    "bool": re.compile(r"true|false|1|0"),
    "int": re.compile(r"\d+"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?"),
    "datetime": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"),
}


def check(element: ET.Element, table: El, path: str = "") -> list[str]:
    """Every way ``element`` departs from ``table``: names, order, required, repeats, ID types."""
    name = _local(element)
    here = f"{path}/{name}" if path else name
    if RENAMED.get(name, name) != table.name:
        return [f"{here}: expected {table.name}"]
    if table.ids is not None:
        return _check_reference(element, table, here)
    if not table.children:
        text = (element.text or "").strip()
        pattern = _KINDS.get(table.kind)
        if pattern is not None and not pattern.fullmatch(text):
            return [f"{here}: {text!r} is not a {table.kind}"]
        return []
    problems: list[str] = []
    names = [child.name for child in table.children]
    position, seen = -1, []
    for child in element:
        child_name = RENAMED.get(_local(child), _local(child))
        if child_name not in names:
            problems.append(f"{here}/{_local(child)}: not an element of {table.name} in the public schema")
            continue
        index = names.index(child_name)
        if index < position:
            problems.append(
                f"{here}/{_local(child)}: out of order (the schema puts it before {names[position]})"
            )
        if index == position and not table.children[index].many:
            problems.append(f"{here}/{_local(child)}: given twice, the schema allows it once")
        position = max(position, index)
        seen.append(child_name)
        problems += check(child, table.children[index], here)
    problems += [f"{here}: {c.name} is required" for c in table.children if c.required and c.name not in seen]
    return problems


def _check_reference(element: ET.Element, table: El, here: str) -> list[str]:
    problems = []
    for child in element:
        if _local(child) != "ID":
            problems.append(f"{here}/{_local(child)}: a reference holds only ID elements")
            continue
        id_type = child.get(f"{{{WD}}}type", "")
        if not id_type:
            problems.append(f"{here}/ID: no wd:type")
        elif table.ids and id_type not in table.ids:
            problems.append(f"{here}/ID: type {id_type!r} is not one of {', '.join(table.ids)}")
    return problems


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def check_message(service: str, content: bytes) -> list[str]:
    """Check the SOAP body's first element against its table; a fault is not checked."""
    root = ET.fromstring(content)
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None or len(body) == 0:
        return [f"{service}: no SOAP body"]
    first = body[0]
    if _local(first) == "Fault":
        return []
    table = TABLES.get((service, _local(first)))
    if table is None:
        return [f"{service}/{_local(first)}: no public schema table to check it against"]
    return [f"{service}: {line}" for line in check(first, table)]


def service_of(url: str) -> str | None:
    """``Talent`` for ``…/ccx/service/{tenant}/Talent/v42.2``; None for other URLs."""
    match = re.search(r"/ccx/service/[^/]+/([A-Za-z_]+)/v\d+\.\d+$", url.split("?")[0])
    return match[1] if match and match[1] != "customreport2" else None


def check_calls(calls: Iterable[Any]) -> list[str]:
    """Every SOAP request sent, and every SOAP answer given, in a ``responses`` mock's calls."""
    problems: list[str] = []
    for call in calls:
        service = service_of(str(call.request.url))
        if service is None or call.request.method != "POST":
            continue
        body = call.request.body
        problems += check_message(service, body.encode() if isinstance(body, str) else body)
        response = call.response
        if response is not None and not isinstance(response, BaseException) and response.content:
            try:
                problems += [f"answer: {line}" for line in check_message(service, response.content)]
            except ET.ParseError:
                continue  # not SOAP (a 503 page): the connector's error handling is tested elsewhere
    return problems
