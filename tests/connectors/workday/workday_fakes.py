"""Workday responses shaped like the real ones (host-apis §3): RaaS JSON, Get_Workers pages, faults."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import responses
from responses.registries import OrderedRegistry
from wsdl_expectations import check_calls

from rm_plugin.connections import ConnectionContext, StateStore
from rm_plugin.connectors.workday import WorkdayConfig, WorkdayConnection
from rm_plugin.http import RetryPolicy

HOST = "https://wd2-impl-services1.workday.com"
PASSWORD = "wd-pa55-word-xyz"
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
SOAP_HR = f"{HOST}/ccx/service/acme/Human_Resources/v42.2"
SOAP_TALENT = f"{HOST}/ccx/service/acme/Talent/v42.2"
SOAP_LEARNING = f"{HOST}/ccx/service/acme/Learning/v42.2"
RAAS = f"{HOST}/ccx/service/customreport2/acme/ISU_RM/RM_Workers"
TOKEN = f"{HOST}/ccx/oauth2/acme/token"
REST = f"{HOST}/ccx/api/performanceEnablement/v5/acme"
CLIENT_ID = "NzI0ZjM5YjItY2E3MS00"
CLIENT_SECRET = "wd-client-secret-5up3r"
REFRESH = "wd-refresh-token-one"
#: The config of an API client using the refresh-token grant, for the report and for REST.
OAUTH = {
    "raas_user": "",
    "raas_password": None,
    "oauth_client_id": CLIENT_ID,
    "oauth_client_secret": CLIENT_SECRET,
    "oauth_refresh_token": REFRESH,
    "mentorships": False,
}


def make_connection(
    tmp_path: Path,
    raw: Mapping[str, Any] | None = None,
    sleep=None,
    *,
    clock=None,
    state: StateStore | None = None,
) -> WorkdayConnection:
    values: dict[str, Any] = {
        "host": HOST,
        "tenant": "acme",
        "soap_user": "ISU_RM",
        "soap_password": PASSWORD,
        "raas_owner": "ISU_RM",
        "raas_report": "RM_Workers",
        "raas_user": "ISU_RM",
        "raas_password": PASSWORD,
    }
    values.update(raw or {})
    config = WorkdayConfig().load({k: v for k, v in values.items() if v not in (None, "")})
    context = ConnectionContext(
        "workday", tmp_path / "connectors/workday.toml", tmp_path, tmp_path / "out", state=state
    )
    clock = clock or (lambda: NOW)
    retry = RetryPolicy(
        sleep=sleep or (lambda s: None), rng=random.Random(3), clock=lambda: clock().timestamp()
    )
    return WorkdayConnection(context, config, retry=retry, clock=clock)


def envelope(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:wd="urn:com.workday/bsvc"><env:Body>' + body + "</env:Body></env:Envelope>"
    )


def worker(
    eid: str, *, manager: str | None = "21001", level: str = "Individual_Contributor_3", **over: str
) -> str:
    email = over.get("email", f"w{eid}@acme.example")
    active = over.get("active", "1")
    termination = over.get("termination", "")
    mgr = (
        "<wd:Manager_as_of_last_detected_manager_change_Reference>"
        '<wd:ID wd:type="WID">aa11</wd:ID><wd:ID wd:type="Employee_ID">' + manager + "</wd:ID>"
        "</wd:Manager_as_of_last_detected_manager_change_Reference>"
        if manager
        else ""
    )
    return (
        "<wd:Worker><wd:Worker_Reference>"
        f'<wd:ID wd:type="WID">wid{eid}</wd:ID><wd:ID wd:type="Employee_ID">{eid}</wd:ID>'
        f"</wd:Worker_Reference><wd:Worker_Data><wd:Worker_ID>{eid}</wd:Worker_ID>"
        f"<wd:User_ID>user{eid}</wd:User_ID><wd:Personal_Data><wd:Name_Data><wd:Legal_Name_Data>"
        "<wd:Name_Detail_Data>"
        '<wd:Country_Reference><wd:ID wd:type="ISO_3166-1_Alpha-2_Code">DE</wd:ID></wd:Country_Reference>'
        f"<wd:First_Name>First{eid}</wd:First_Name><wd:Last_Name>Last{eid}</wd:Last_Name>"
        "</wd:Name_Detail_Data></wd:Legal_Name_Data></wd:Name_Data><wd:Contact_Data>"
        "<wd:Email_Address_Data><wd:Email_Address>home@example.net</wd:Email_Address><wd:Usage_Data>"
        '<wd:Type_Data><wd:Type_Reference><wd:ID wd:type="Communication_Usage_Type_ID">HOME</wd:ID>'
        "</wd:Type_Reference></wd:Type_Data></wd:Usage_Data></wd:Email_Address_Data>"
        f"<wd:Email_Address_Data><wd:Email_Address>{email}</wd:Email_Address><wd:Usage_Data>"
        '<wd:Type_Data><wd:Type_Reference><wd:ID wd:type="Communication_Usage_Type_ID">WORK</wd:ID>'
        "</wd:Type_Reference></wd:Type_Data></wd:Usage_Data></wd:Email_Address_Data>"
        "</wd:Contact_Data></wd:Personal_Data><wd:Employment_Data>"
        '<wd:Worker_Job_Data wd:Primary_Job="1"><wd:Position_Data>'
        "<wd:Business_Title>Analyst</wd:Business_Title>"
        "<wd:Job_Profile_Summary_Data><wd:Management_Level_Reference>"
        f'<wd:ID wd:type="Management_Level_ID">{level}</wd:ID></wd:Management_Level_Reference>'
        "</wd:Job_Profile_Summary_Data><wd:Business_Site_Summary_Data><wd:Name>Berlin</wd:Name>"
        f"</wd:Business_Site_Summary_Data>{mgr}</wd:Position_Data></wd:Worker_Job_Data>"
        f"<wd:Worker_Status_Data><wd:Active>{active}</wd:Active><wd:Hire_Date>2019-05-01-07:00</wd:Hire_Date>"
        + (f"<wd:Termination_Date>{termination}</wd:Termination_Date>" if termination else "")
        + "</wd:Worker_Status_Data></wd:Employment_Data><wd:Organization_Data><wd:Worker_Organization_Data>"
        '<wd:Organization_Reference><wd:ID wd:type="Organization_Reference_ID">SUP-FIN-OPS</wd:ID>'
        "</wd:Organization_Reference><wd:Organization_Data>"
        "<wd:Organization_Name>Finance Ops</wd:Organization_Name>"
        '<wd:Organization_Type_Reference><wd:ID wd:type="Organization_Type_ID">Supervisory</wd:ID>'
        "</wd:Organization_Type_Reference></wd:Organization_Data></wd:Worker_Organization_Data>"
        "</wd:Organization_Data></wd:Worker_Data></wd:Worker>"
    )


def workers_page(workers: list[str], page: int, total_pages: int) -> str:
    return envelope(
        '<wd:Get_Workers_Response wd:version="v42.2"><wd:Response_Results>'
        f"<wd:Total_Results>{len(workers)}</wd:Total_Results><wd:Total_Pages>{total_pages}</wd:Total_Pages>"
        f"<wd:Page_Results>{len(workers)}</wd:Page_Results><wd:Page>{page}</wd:Page></wd:Response_Results>"
        f"<wd:Response_Data>{''.join(workers)}</wd:Response_Data></wd:Get_Workers_Response>"
    )


def fault(code: str, message: str, detail: str = "") -> str:
    return envelope(
        f"<env:Fault><faultcode>{code}</faultcode><faultstring>{message}</faultstring>"
        + (f"<detail>{detail}</detail>" if detail else "")
        + "</env:Fault>"
    )


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Served in the order added; every SOAP message sent or answered is checked against the
    public Workday schemas' element names, order and required members (wsdl_expectations)."""
    with responses.RequestsMock(registry=OrderedRegistry) as rsps:
        yield rsps
        problems = check_calls(rsps.calls)  # before the mock's exit, which forgets the calls
        if problems:
            pytest.fail("Workday's public schemas say otherwise:\n" + "\n".join(problems), pytrace=False)
