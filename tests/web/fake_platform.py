"""A fake LTI 1.3 platform made in the tests: its own RSA key and JWKS, the OIDC endpoints' shapes,
dynamic registration, a token endpoint and grade services, all served through ``responses``.

Shapes follow what a real Moodle 4.4 sends and answers (host-apis §1.7 and §1.7b).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from rm_plugin.lti import claims as c
from rm_plugin.lti import jose


@dataclass
class FakePlatform:
    issuer: str = "https://lms.example"
    client_id: str = "kF3ZpW8qL2sVb9T"
    deployment_id: str = "3"
    keys: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    jwks_fetches: int = 0
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    registration_headers: list[dict[str, str]] = field(default_factory=list)
    line_items: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    last_score_stamp: float = 0.0
    registration_status: int = 200

    def __post_init__(self) -> None:
        if not self.keys:
            self.rotate()

    # --- endpoints ----------------------------------------------------------------------------

    @property
    def auth_url(self) -> str:
        return f"{self.issuer}/mod/lti/auth.php"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/mod/lti/certs.php"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/mod/lti/token.php"

    @property
    def configuration_url(self) -> str:
        return f"{self.issuer}/mod/lti/openid-configuration.php"

    @property
    def registration_url(self) -> str:
        return f"{self.issuer}/mod/lti/openid-registration.php"

    def lineitems_url(self, course: str = "2") -> str:
        return f"{self.issuer}/mod/lti/services.php/{course}/lineitems?type_id={self.deployment_id}"

    def rotate(self) -> str:
        pem, public = jose.new_rsa_key()
        self.keys.append((pem, public))
        return str(public["kid"])

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public for _, public in self.keys]}

    def configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "token_endpoint": self.token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": self.jwks_url,
            "authorization_endpoint": self.auth_url,
            "registration_endpoint": self.registration_url,
            "scopes_supported": [c.AGS_SCOPE_LINEITEM, c.AGS_SCOPE_SCORE, "openid"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            c.PLATFORM_CONFIG: {
                "product_family_code": "moodle",
                "version": "4.4.3+ (Build: 20240903)",
                "messages_supported": [
                    {"type": c.RESOURCE_LINK_REQUEST},
                    {"type": c.DEEP_LINKING_REQUEST, "placements": ["ContentArea"]},
                ],
            },
        }

    def serve(self, mock: responses.RequestsMock) -> None:
        """Answer this platform's URLs on ``mock`` (a ``responses.RequestsMock``)."""
        mock.add_callback(responses.GET, self.jwks_url, callback=self._jwks)
        mock.add_callback(responses.GET, self.configuration_url, callback=self._configuration)
        mock.add_callback(responses.POST, self.registration_url, callback=self._register)
        mock.add_callback(responses.POST, self.token_url, callback=self._token)
        services = f"{self.issuer}/mod/lti/services.php/"
        import re

        mock.add_callback(
            responses.GET, re.compile(re.escape(services) + r"\d+/lineitems.*"), callback=self._items
        )
        mock.add_callback(
            responses.POST, re.compile(re.escape(services) + r"\d+/lineitems\?.*"), callback=self._new_item
        )
        mock.add_callback(
            responses.POST,
            re.compile(re.escape(services) + r"\d+/lineitems/\d+/lineitem/scores.*"),
            callback=self._score,
        )

    def _jwks(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.jwks_fetches += 1
        return 200, {"Content-Type": "application/json"}, json.dumps(self.jwks())

    def _configuration(self, request: Any) -> tuple[int, dict[str, str], str]:
        return 200, {"Content-Type": "application/json"}, json.dumps(self.configuration())

    def _register(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.registrations.append(json.loads(request.body))
        self.registration_headers.append(dict(request.headers))
        if self.registration_status != 200:
            return self.registration_status, {"Content-Type": "text/plain"}, "domain_targetlinkuri_mismatch"
        answer = dict(self.registrations[-1])
        answer["client_id"] = self.client_id
        answer[c.REGISTRATION_CONFIG] = dict(answer[c.REGISTRATION_CONFIG], deployment_id=self.deployment_id)
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    def _token(self, request: Any) -> tuple[int, dict[str, str], str]:
        form = parse_qs(request.body)
        self.token_requests.append(form)
        body = {
            "access_token": uuid.uuid4().hex,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": form["scope"][0],
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    def _items(self, request: Any) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        found = [i for i in self.line_items if "tag" not in query or i.get("tag") == query["tag"][0]]
        return (
            200,
            {"Content-Type": c.AGS_SCOPE_LINEITEM and "application/vnd.ims.lis.v2.lineitemcontainer+json"},
            json.dumps(found),
        )

    def _new_item(self, request: Any) -> tuple[int, dict[str, str], str]:
        item = json.loads(request.body)
        base = request.url.split("?")[0]
        query = urlsplit(request.url).query
        item["id"] = f"{base}/{len(self.line_items) + 7}/lineitem?{query}"
        self.line_items.append(item)
        return 201, {"Content-Type": "application/vnd.ims.lis.v2.lineitem+json"}, json.dumps(item)

    def _score(self, request: Any) -> tuple[int, dict[str, str], str]:
        score = json.loads(request.body)
        from datetime import datetime

        stamp = datetime.fromisoformat(score["timestamp"]).timestamp()
        if int(stamp) <= int(self.last_score_stamp):
            return 409, {"Content-Type": "text/plain"}, "Refusing score with an earlier timestamp for item"
        self.last_score_stamp = stamp
        self.scores.append({"url": request.url, **score})
        return 200, {"Content-Type": "application/json"}, "{}"

    # --- messages -----------------------------------------------------------------------------

    def id_token(
        self, nonce: str, *, key_index: int = -1, sign_with: str | None = None, **overrides: Any
    ) -> str:
        """A signed id_token like Moodle's for a student's resource link launch."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "7",
            "exp": now + 60,
            "iat": now,
            "nonce": nonce,
            c.DEPLOYMENT_ID: self.deployment_id,
            c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
            c.VERSION: c.LTI_VERSION,
            c.TARGET_LINK_URI: "https://tool.example/lti/launch",
            c.RESOURCE_LINK: {"id": "4", "title": "Reverse mentoring"},
            c.ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            c.CONTEXT: {"id": "2", "label": "rm-2026", "title": "Reverse mentoring 2026"},
            c.LIS: {"person_sourcedid": "E1001", "course_section_sourcedid": "rm-2026"},
            c.LAUNCH_PRESENTATION: {"locale": "en", "document_target": "iframe", "return_url": self.issuer},
            "name": "Ada Lovelace",
            "email": "ada.lovelace@example.com",
        }
        for key, value in overrides.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        pem, public = self.keys[key_index]
        return jose.sign(body, sign_with or pem, str(public["kid"]))
