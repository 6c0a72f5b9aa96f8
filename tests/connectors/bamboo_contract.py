"""BambooHR's own OpenAPI spec as the judge of what the connector sends and what tests answer.

The spec is the one BambooHR publishes (OpenAPI 3.1), read from ``shared/reference/contracts/``
beside the project, or from the folder named by ``RM_PLUGIN_CONTRACTS``; where it is absent the
contract checks skip with that reason. openapi-core validates each request (path, method, query
styles, headers, body) and each answer (status, body) against it. Three things are handled here,
each for a stated reason, and nothing else is relaxed:

- The spec contradicts itself on ``GET /api/v1/employees``'s ``page[after]``/``page[before]``:
  ``EmployeeCursorPaginationQueryObject`` is ``allOf`` a schema that types them as strings and
  one that types them as integers, so no value satisfies both. The cursors the same operation
  hands out (``meta.page.nextCursor``) are strings, and its example cursor is base64 text, so
  the integer override is dropped. Its ``limit`` keeps both maxima (100 and 2500): at most 100.
- openapi-core reads each member of a ``deepObject`` parameter once, so the documented repeated
  ``filter[ids][]=1&filter[ids][]=2`` would lose all but one id; keys ending in ``[]`` are handed
  to it as one list. The comma form ``filter[ids]=1,2`` stays a violation (the spec calls it
  backward compatibility, not the documented form).
- BambooHR's documentation says any request may be throttled (503 today, 429 from September
  2026) although most operations in the spec list neither status: an error status the operation
  does not list is accepted; any status it does list is checked.
"""

from __future__ import annotations

import copy
import functools
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

ROOT = Path(__file__).parents[2]
ENV = "RM_PLUGIN_CONTRACTS"
SPEC_FILE = "bamboohr-openapi.yaml"
#: Where the spec is looked for, as the skip reason names it.
DEFAULT_DIR = "../shared/reference/contracts"
#: The spec's server is ``https://{companyDomain}.bamboohr.com``; a local stand-in is checked as one.
STANDIN_HOST = "https://standin.bamboohr.com"


def contracts_dir() -> Path:
    return Path(os.environ.get(ENV) or ROOT / DEFAULT_DIR)


def missing_reason() -> str | None:
    """Why the contract checks cannot run here, or None when they can."""
    path = contracts_dir() / SPEC_FILE
    if path.is_file():
        return None
    return f"BambooHR's OpenAPI spec is not at {DEFAULT_DIR}/{SPEC_FILE} (or ${ENV}); contract checks skipped"


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and, when there was one, its answer, in plain values."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None
    status: int | None = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: bytes = b""

    @property
    def name(self) -> str:
        return f"{self.method} {urlsplit(self.url).path}"


class BambooContract:
    """openapi-core over BambooHR's spec, with the corrections the module docstring lists."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        from jsonschema_path import SchemaPath
        from openapi_core import Config, OpenAPI

        self.spec = _corrected(spec)
        # The spec as published does not pass openapi-spec-validator's every rule; the requests
        # and answers are what is judged here, so the document's own check is not run.
        self.openapi = OpenAPI(SchemaPath.from_dict(self.spec), config=Config(spec_validator_cls=None))

    def check(self, exchange: Exchange) -> list[str]:
        """Every way ``exchange`` breaks the spec, as lines naming the call; [] when it conforms."""
        request = _Request.of(exchange)
        problems: list[str] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openapi-core cannot check OAuth2 schemes, and says so
            result = self.openapi.unmarshal_request(request)
            problems += [f"{exchange.name}: request: {_describe(e)}" for e in result.errors]
            if exchange.status is not None:
                answer = self.openapi.unmarshal_response(request, _Response.of(exchange))
                problems += [
                    f"{exchange.name}: answer {exchange.status}: {_describe(e)}"
                    for e in answer.errors
                    if not (exchange.status >= 400 and type(e).__name__ == "ResponseNotFound")
                ]
        return problems

    def check_all(self, exchanges: Iterable[Exchange]) -> list[str]:
        return [line for exchange in exchanges for line in self.check(exchange)]


@functools.cache
def load() -> BambooContract:
    """The spec, read once per test session (a few seconds)."""
    import yaml

    path = contracts_dir() / SPEC_FILE
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return BambooContract(yaml.load(handle, Loader=loader))


def assert_conforms(calls: Iterable[Any], host: str | None = None, *, answers: bool = True) -> None:
    """Fail the test if any call a ``responses`` mock answered breaks the spec (when it is here).

    ``answers=False`` checks only the requests, for a test whose host misbehaves on purpose.
    """
    if missing_reason() is not None:
        return
    exchanges = from_responses_calls(calls, host)
    if not answers:
        exchanges = [replace(e, status=None) for e in exchanges]
    problems = load().check_all(exchanges)
    if problems:
        pytest.fail("BambooHR's OpenAPI spec says otherwise:\n" + "\n".join(problems), pytrace=False)


def from_responses_calls(calls: Iterable[Any], host: str | None = None) -> list[Exchange]:
    """The calls a ``responses`` mock answered (optionally only those to ``host``)."""
    exchanges = []
    for call in calls:
        request = call.request
        if host and not str(request.url).startswith(host):
            continue
        body = request.body.encode() if isinstance(request.body, str) else request.body
        response = call.response
        answered = not isinstance(response, BaseException) and response is not None
        exchanges.append(
            Exchange(
                request.method,
                request.url,
                dict(request.headers),
                body,
                response.status_code if answered else None,
                dict(response.headers) if answered else {},
                response.content if answered else b"",
            )
        )
    return exchanges


class CheckedApp:
    """A WSGI middleware that checks every request to, and answer from, a BambooHR stand-in."""

    def __init__(self, app: Callable[..., Iterable[bytes]], contract: BambooContract) -> None:
        self.app = app
        self.contract = contract
        self.checked = 0
        self.problems: list[str] = []

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        from io import BytesIO

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = BytesIO(body)
        headers = {
            key[5:].replace("_", "-").title(): value for key, value in environ.items() if key[:5] == "HTTP_"
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        url = f"{STANDIN_HOST}{environ['PATH_INFO']}" + (f"?{query}" if query else "")
        answered: dict[str, Any] = {}

        def recording_start(status: str, response_headers: list[tuple[str, str]], *args: Any) -> Any:
            answered["status"], answered["headers"] = int(status.split()[0]), dict(response_headers)
            return start(status, response_headers, *args)

        chunks = list(self.app(environ, recording_start))
        exchange = Exchange(
            environ["REQUEST_METHOD"],
            url,
            headers,
            body or None,
            answered["status"],
            answered["headers"],
            b"".join(chunks),
        )
        self.checked += 1
        self.problems += self.contract.check(exchange)
        return chunks


# --- openapi-core's request and response protocols over plain values -------------------------


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    parameters: Any
    content_type: str
    body: bytes | None

    @classmethod
    def of(cls, exchange: Exchange) -> _Request:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        parts = urlsplit(exchange.url)
        host = f"{parts.scheme}://{parts.netloc}"
        if parts.hostname in ("127.0.0.1", "localhost"):
            host = STANDIN_HOST
        pairs: list[tuple[str, Any]] = []
        lists: dict[str, list[str]] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key.endswith("[]"):  # one deepObject array member, repeated: see the module docstring
                lists.setdefault(key, []).append(value)
            else:
                pairs.append((key, value))
        pairs += list(lists.items())
        headers = Headers(dict(exchange.headers))
        content_type = headers.get("Content-Type") or headers.get("Accept") or ""
        return cls(
            host,
            parts.path,
            exchange.method.lower(),
            RequestParameters(query=ImmutableMultiDict(pairs), header=headers, cookie=ImmutableMultiDict()),
            content_type,
            exchange.body,
        )


@dataclass
class _Response:
    status_code: int
    content_type: str
    headers: Any
    data: bytes

    @classmethod
    def of(cls, exchange: Exchange) -> _Response:
        from werkzeug.datastructures import Headers

        headers = Headers(dict(exchange.response_headers))
        return cls(exchange.status or 0, headers.get("Content-Type", ""), headers, exchange.response_body)


def _describe(error: BaseException) -> str:
    """The error and the schema messages underneath it, on one line."""
    details = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for schema_error in getattr(current, "schema_errors", ()) or ():
            details.append(getattr(schema_error, "message", str(schema_error)))
        current = current.__cause__ or current.__context__
    text = str(error)
    return f"{text} ({'; '.join(dict.fromkeys(details))})" if details else text


def _corrected(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with list-employees' ``page`` schema resolved as the module docstring says.

    ``allOf`` of two object schemas is one object whose properties meet both: ``limit`` an
    integer of at most min(100, 2500), ``after``/``before`` the strings the cursors are. Written
    out as one schema, also because openapi-core does not cast a ``deepObject`` member through
    ``allOf`` (every ``page[limit]`` would stay text and fail as "not an integer").
    """
    fixed = copy.deepcopy(dict(spec))
    schemas = fixed["components"]["schemas"]
    parts = [
        schemas["CursorPaginationQueryObject"],
        *schemas["EmployeeCursorPaginationQueryObject"]["allOf"][1:],
    ]
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for name, rules in part.get("properties", {}).items():
            if name in merged and rules.get("type") != merged[name].get("type"):
                continue  # the contradiction: the first part's string type stands
            combined = {**merged.get(name, {}), **rules}
            if "maximum" in merged.get(name, {}):
                combined["maximum"] = min(
                    merged[name]["maximum"], rules.get("maximum", merged[name]["maximum"])
                )
            merged[name] = combined
    schemas["EmployeeCursorPaginationQueryObject"] = {"type": "object", "properties": merged}
    return fixed
