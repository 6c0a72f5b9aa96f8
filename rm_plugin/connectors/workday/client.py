"""The Workday client: SOAP calls with WS-Security, RaaS reports, and SOAP faults as one error type.

Every SOAP fault becomes a :class:`WorkdayFault` (a HostError) whose class in the error tree says
what to do: ``Client.authenticationError`` is an AuthenticationError, a Validation_Fault an
InvalidRequest, "not authorized" a PermissionDenied, and other ``Server.processingError`` faults
are retried later, as the reference advises.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import requests

from rm_plugin.connectors.workday import soap
from rm_plugin.connectors.workday.oauth import WorkdayOAuth, once_more_on_401
from rm_plugin.http import (
    AuthenticationError,
    HostError,
    HostUnavailable,
    HttpClient,
    InvalidRequest,
    PermissionDenied,
    UnexpectedResponse,
)
from rm_plugin.secret import Secret


class WorkdayFault(HostError):
    """A SOAP fault from Workday, with its fault code and Workday's detail messages."""

    def __init__(self, fault: soap.Fault, **kwargs: Any) -> None:
        self.fault = fault
        message = fault.message
        extra = [d for d in fault.details if d != fault.message]
        if extra:
            message = f"{message}: {'; '.join(extra)}" if message else "; ".join(extra)
        if fault.kind:
            message = f"{message} ({fault.kind})"
        super().__init__(message, code=fault.short_code, **kwargs)


class WorkdayAuthenticationFault(WorkdayFault, AuthenticationError):
    """``Client.authenticationError``: the integration user or password was refused."""


class WorkdayPermissionFault(WorkdayFault, PermissionDenied):
    """The integration user's security groups do not allow the task."""


class WorkdayValidationFault(WorkdayFault, InvalidRequest):
    """Workday refused what we sent (``Validation_Fault`` or another client fault)."""


class WorkdayProcessingFault(WorkdayFault, HostUnavailable):
    """``Server.processingError`` without a clearer cause: worth trying again later."""


def _fault_class(fault: soap.Fault) -> type[WorkdayFault]:
    code = fault.short_code.lower()
    words = " ".join((fault.message, *fault.details)).lower()
    if "authenticationerror" in code:
        return WorkdayAuthenticationFault
    if "not authorized" in words or "permission" in words:
        return WorkdayPermissionFault
    if fault.kind == "Validation_Fault" or code.startswith("client"):
        return WorkdayValidationFault
    return WorkdayProcessingFault


class WorkdayHttp(HttpClient):
    """HttpClient that reads SOAP faults (Workday answers them with HTTP 500) before the status."""

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        if response.status_code >= 400 or b"Fault" in response.content[:2000]:
            fault = soap.fault_of(response.content)
            if fault is not None:
                return _fault_class(fault)(
                    fault,
                    host=self.name,
                    call=call,
                    status=response.status_code,
                    request_id=self.request_id(response),
                )
        return super().error_for_response(response, call)


class WorkdayApi:
    """The Workday calls rm-plugin makes: SOAP operations by service, and one RaaS report."""

    def __init__(
        self,
        http: WorkdayHttp,
        *,
        tenant: str,
        version: str,
        username: str = "",
        password: Secret | None = None,
        oauth: WorkdayOAuth | None = None,
    ) -> None:
        self.http = http
        self.oauth = oauth
        self.tenant = tenant
        self.version = version
        self.username = username if "@" in username or not username else f"{username}@{tenant}"
        self.password = password

    def new_request(self, operation: str) -> ET.Element:
        return soap.request(operation, self.version)

    def call(self, service: str, body: ET.Element, *, idempotent: bool) -> ET.Element:
        """Send one SOAP operation and return its response element (faults are raised)."""
        operation = body.tag.rsplit("}", 1)[-1].removesuffix("_Request")
        if self.password is None:
            raise AuthenticationError(
                "no SOAP password configured (soap_password)", host=self.http.name, call=operation
            )
        message = soap.envelope(body, self.username, self.password.reveal())
        response = self.http.request(
            "POST",
            f"/ccx/service/{self.tenant}/{service}/{self.version}",
            data=message,
            headers={"Content-Type": 'text/xml; charset="utf-8"', "SOAPAction": ""},
            idempotent=idempotent,
            call_name=f"{service}/{operation}",
        )
        try:
            return soap.parse(response.content)
        except (ET.ParseError, ValueError):
            excerpt = self.http.excerpt(response)
            raise UnexpectedResponse(
                f"expected a SOAP response but got {response.headers.get('Content-Type')}: {excerpt}",
                host=self.http.name,
                call=f"{service}/{operation}",
                content_type=response.headers.get("Content-Type"),
                excerpt=excerpt,
                status=response.status_code,
            ) from None

    def report(self, owner: str, name: str, prompts: Mapping[str, str]) -> list[Mapping[str, Any]]:
        """The rows of a RaaS custom report in JSON (``Report_Entry``); one call, no paging."""
        call = f"RaaS {owner}/{name}"
        body = once_more_on_401(
            self.oauth,
            lambda: self.http.request_json(
                "GET",
                f"/ccx/service/customreport2/{self.tenant}/{owner}/{name}",
                params={**prompts, "format": "json"},
                call_name=call,
            ),
        )
        if not isinstance(body, Mapping) or not isinstance(body.get("Report_Entry", []), list):
            raise UnexpectedResponse(
                'the report did not answer {"Report_Entry": [...]}', host=self.http.name, call=call
            )
        return [row for row in body.get("Report_Entry", []) if isinstance(row, Mapping)]
