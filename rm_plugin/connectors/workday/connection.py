"""One configured Workday connection: the roster, pairs as mentorships, milestones, recognition."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

import requests

from rm_plugin import hookimpl
from rm_plugin.connections import Connection, ConnectionContext
from rm_plugin.connectors.workday import feedback, soap
from rm_plugin.connectors.workday.client import WorkdayApi, WorkdayHttp
from rm_plugin.connectors.workday.oauth import (
    BearerAuth,
    MemoryTokenStore,
    OAuthTokenHttp,
    RefreshTokenStore,
    StateTokenStore,
    WorkdayOAuth,
)
from rm_plugin.connectors.workday.rest import WorkdayRest, WorkdayRestHttp
from rm_plugin.connectors.workday.roster import DEFAULT_COLUMNS, RecordError, from_report_row, from_worker
from rm_plugin.connectors.workday.versions import SINGULAR, recipient_in_wsdl, verified_by_public_schema
from rm_plugin.domain.records import Delivery, HealthReport, PeopleBatch, Receipt, RowProblem
from rm_plugin.domain.roster import Located, check_roster
from rm_plugin.http import AuthenticationError, HostError, HttpClient, RetryPolicy, numbered_pages
from rm_plugin.secret import Secret

log = logging.getLogger(__name__)

#: Read-only SOAP operations, safe to repeat although every SOAP call is a POST.
READ_CALLS = frozenset({"Human_Resources/Get_Workers"})


class WorkdayConnection(Connection):
    """One ``connectors/<name>.toml`` of type ``workday``."""

    def __init__(
        self,
        context: ConnectionContext,
        config: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        token_store: RefreshTokenStore | None = None,
    ) -> None:
        super().__init__(context, config)
        self._session = session
        self._token_store = token_store
        self._oauth: WorkdayOAuth | None = None
        self._rest: WorkdayRest | None = None
        self._retry = retry or RetryPolicy(retryable_calls=READ_CALLS)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._soap: WorkdayApi | None = None
        self._raas: WorkdayApi | None = None

    @property
    def _file(self) -> str:
        return f"connectors/{self.name}.toml"

    def _http(self, cls: type[WorkdayHttp] | type[HttpClient] = WorkdayHttp, **kwargs: Any) -> Any:
        return cls(
            self.name,
            self.config["host"],
            session=self._session,
            retry=self._retry,
            timeout=(10.0, float(self.config.get("timeout", 120.0))),
            log=log,
            **kwargs,
        )

    @property
    def soap_api(self) -> WorkdayApi:
        if self._soap is None:
            password: Secret | None = self.config.get("soap_password")
            self._soap = WorkdayApi(
                self._http(secrets=[password] if password else []),
                tenant=self.config["tenant"],
                version=self.config.get("version", "v42.2"),
                username=self.config.get("soap_user", ""),
                password=password,
            )
        return self._soap

    @property
    def uses_oauth(self) -> bool:
        return bool(self.config.get("oauth_refresh_token"))

    @property
    def oauth(self) -> WorkdayOAuth:
        """Bearer tokens from the refresh-token grant; the rotated refresh token is kept in the state."""
        if self._oauth is None:
            secret: Secret = self.config["oauth_client_secret"]
            basic = self.config.get("oauth_client_auth", "body") == "basic"
            # Its own session: the token endpoint must never see another client's auth.
            http = OAuthTokenHttp(
                self.name,
                self.config["host"],
                auth=(self.config["oauth_client_id"], secret) if basic else None,
                secrets=[secret, self.config["oauth_refresh_token"]],
                retry=self._retry,
                timeout=(10.0, float(self.config.get("timeout", 120.0))),
                log=log,
            )
            store = self._token_store
            if store is None:
                state = self.context.state
                store = StateTokenStore(state) if state is not None else MemoryTokenStore()
                self._token_store = store
            self._oauth = WorkdayOAuth(
                http,
                tenant=self.config["tenant"],
                client_id=self.config["oauth_client_id"],
                client_secret=secret,
                refresh_token=self.config["oauth_refresh_token"],
                client_auth=self.config.get("oauth_client_auth", "body"),
                store=store,
                clock=self._clock,
            )
        return self._oauth

    @property
    def raas_auth(self) -> str:
        """How the report is fetched: a fixed bearer ``token``, ``basic``, or ``oauth``."""
        if self.config.get("raas_token") is not None:
            return "token"
        if self.config.get("raas_user") and self.config.get("raas_password") is not None:
            return "basic"
        return "oauth" if self.uses_oauth else "basic"

    @property
    def raas_api(self) -> WorkdayApi:
        if self._raas is None:
            oauth = None
            if self.raas_auth == "token":
                token: Secret = self.config["raas_token"]
                http = self._http(
                    headers={"Authorization": Secret(f"Bearer {token.reveal()}")}, secrets=[token]
                )
            elif self.raas_auth == "oauth":
                oauth = self.oauth
                http = self._http(auth=BearerAuth(oauth), redactor=oauth.http.redactor)
            else:
                password: Secret | None = self.config.get("raas_password")
                http = self._http(auth=(self.config.get("raas_user", ""), password or Secret("")))
            self._raas = WorkdayApi(
                http, tenant=self.config["tenant"], version=self.config.get("version", "v42.2"), oauth=oauth
            )
        return self._raas

    @property
    def rest_api(self) -> WorkdayRest:
        if self._rest is None:
            oauth = self.oauth
            http = self._http(WorkdayRestHttp, auth=BearerAuth(oauth), redactor=oauth.http.redactor)
            self._rest = WorkdayRest(http, oauth, tenant=self.config["tenant"])
        return self._rest

    # --- the roster ----------------------------------------------------------------------

    def fetch(self, since: str | None, today: dt.date | None = None) -> PeopleBatch | None:
        today = today or self._clock().date()
        route = self.config.get("roster", "raas")
        if route == "none":
            return None
        levels = self.config.get("job_levels", {})
        rows: list[Located] = []
        problems: list[RowProblem] = []
        cursor: str | None = None
        complete = True
        if route == "raas":
            columns = {**DEFAULT_COLUMNS, **self.config.get("columns", {})}
            entries = self.raas_api.report(
                self.config["raas_owner"], self.config["raas_report"], self.config.get("raas_prompts", {})
            )
            for index, row in enumerate(entries):
                where = f"Report_Entry[{index}]"
                try:
                    record = from_report_row(row, columns, levels, source=self.name, today=today)
                except RecordError as exc:
                    hr_id = row.get(columns["hr_id"])
                    problems.append(RowProblem(self.name, where, str(exc), str(hr_id) if hr_id else None))
                    continue
                rows.append(Located(record, where))
        else:
            now = self._clock().replace(microsecond=0)
            cursor = now.isoformat()
            complete = since is None
            for index, worker in enumerate(self.workers(now, since)):
                reference = soap.ref_id(soap.find(worker, "Worker_Reference"), "Employee_ID")
                where = f"Worker {reference or index}"
                try:
                    record = from_worker(worker, levels, source=self.name, today=today)
                except RecordError as exc:
                    problems.append(RowProblem(self.name, where, str(exc), reference or None))
                    continue
                rows.append(Located(record, where))
        if complete:
            rows, found = check_roster(rows)
            problems += found
        return PeopleBatch(self.name, tuple(r.record for r in rows), tuple(problems), complete, cursor)

    def get_workers_request(self, as_of: dt.datetime, since: str | None, page: int) -> Any:
        body = self.soap_api.new_request("Get_Workers")
        criteria = soap.add(body, "Request_Criteria")
        if since is not None:
            log_data = soap.add(criteria, "Transaction_Log_Criteria_Data")
            window = soap.add(log_data, "Transaction_Date_Range_Data")
            soap.add(window, "Updated_From", since)
            soap.add(window, "Updated_Through", as_of.isoformat())
        soap.add(criteria, "Exclude_Inactive_Workers", not self.config.get("include_inactive", True))
        response_filter = soap.add(body, "Response_Filter")
        soap.add(response_filter, "As_Of_Entry_DateTime", as_of.isoformat())
        soap.add(response_filter, "Page", page)
        soap.add(response_filter, "Count", int(self.config.get("page_size", 999)))
        group = soap.add(body, "Response_Group")
        for part in (
            "Include_Reference",
            "Include_Personal_Information",
            "Include_Employment_Information",
            "Include_Organizations",
            "Include_Management_Chain_Data",
        ):
            soap.add(group, part, True)
        return body

    def workers(self, as_of: dt.datetime, since: str | None) -> Any:
        """Every worker (or those changed since ``since``), page by page with a fixed as-of time."""

        def fetch(page: int) -> tuple[list[Any], int]:
            body = self.get_workers_request(as_of, since, page)
            response = self.soap_api.call("Human_Resources", body, idempotent=True)
            total = soap.text(response, "Response_Results/Total_Pages")
            return soap.findall(response, "Response_Data/Worker"), int(total or 0)

        return numbered_pages(fetch, host=self.name, call="Human_Resources/Get_Workers")

    @hookimpl
    def rm_fetch_people(self, connection: str | None, since: str | None) -> PeopleBatch | None:
        if not self.owns(connection):
            return None
        return self.fetch(since)

    # --- pairs as mentorships ------------------------------------------------------------

    def mentorship_id(self, pair_id: object) -> str:
        return f"{self.config.get('id_prefix', 'RM')}-PAIR-{pair_id}"

    def _bp(self, body: Any) -> None:
        if self.config.get("auto_complete"):
            soap.add(soap.add(body, "Business_Process_Parameters"), "Auto_Complete", True)

    def put_mentorship(self, payload: Mapping[str, Any], *, closing: bool) -> Receipt:
        """Upsert the pair as a mentorship: the junior is the mentor, the senior the mentee."""
        body = self.soap_api.new_request("Put_Mentorship")
        self._bp(body)
        data = soap.add(body, "Mentorship_Data")
        ours = self.mentorship_id(payload["pair_id"])
        soap.add(data, "ID", ours)
        soap.add_ref(data, "Mentor_Reference", "Employee_ID", str(payload["mentor"]))
        soap.add_ref(data, "Mentee_Reference", "Employee_ID", str(payload["mentee"]))
        if self.config.get("mentor_type"):
            soap.add_ref(data, "Mentor_Type_Reference", "Mentor_Type_ID", self.config["mentor_type"])
        if payload.get("start"):
            soap.add(data, "Mentorship_Start_Date", str(payload["start"])[:10])
        if payload.get("end"):
            soap.add(data, "Mentorship_End_Date", str(payload["end"])[:10])
        purpose = payload.get("purpose") or f"Reverse mentoring ({payload.get('programme', '')})"
        soap.add(data, "Mentorship_Purpose", purpose)
        if closing:
            soap.add_ref(data, "Mentorship_Reference", "Mentorship_ID", ours)
            if self.config.get("close_reason"):
                soap.add_ref(
                    data,
                    "Close_Mentorship_Reason_Reference",
                    "Close_Mentorship_Reason_ID",
                    self.config["close_reason"],
                )
        response = self.soap_api.call("Talent", body, idempotent=True)
        wid = soap.ref_id(soap.find(response, "Mentorship_Reference"), "WID")
        return Receipt(host_ref=f"Mentorship {ours}", data={"mentorship_id": ours, "wid": wid})

    @hookimpl
    def rm_enrol_pair(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        if not self.config.get("mentorships", True):
            return Receipt(skipped=True, data={"reason": f"mentorships = false in {self._file}"})
        return self.put_mentorship(delivery.payload, closing=False)

    @hookimpl
    def rm_close_pair(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        if not self.config.get("mentorships", True):
            return Receipt(skipped=True, data={"reason": f"mentorships = false in {self._file}"})
        return self.put_mentorship(delivery.payload, closing=True)

    # --- milestones ----------------------------------------------------------------------

    def milestone_id(self, payload: Mapping[str, Any]) -> str:
        """Deterministic, so that sending the same milestone again updates instead of adding."""
        parts = (
            payload.get("programme", ""),
            payload["milestone"],
            payload.get("pair_id", ""),
            payload["person"],
        )
        return "-".join([self.config.get("id_prefix", "RM"), *(str(p) for p in parts)])

    @hookimpl
    def rm_record_milestone(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        payload = delivery.payload
        mode = self.config.get("milestones", "off")
        milestone = str(payload["milestone"])
        ours = self.milestone_id(payload)
        reached = str(payload.get("reached_on") or self._clock().date().isoformat())[:10]
        if mode == "learning":
            content = self.config.get("learning_content", {}).get(milestone)
            if not content:
                return Receipt(
                    skipped=True,
                    data={"reason": f"milestone {milestone!r} has no [learning_content] in {self._file}"},
                )
            body = self.soap_api.new_request("Put_Learning_Enrollment")
            data = soap.add(body, "Learning_Enrollment_Data")
            soap.add(data, "ID", ours)
            soap.add_ref(
                data,
                "Learning_Content_Reference",
                self.config.get("learning_content_id_type", "Learning_Course_ID"),
                content,
            )
            soap.add_ref(data, "Learner_Reference", "Employee_ID", str(payload["person"]))
            soap.add(data, "Registered_Date", reached)
            soap.add(data, "Learning_Enrollment_Completion_Date", f"{reached}T00:00:00")
            response = self.soap_api.call("Learning", body, idempotent=True)
            wid = soap.ref_id(soap.find(response, "Learning_Enrollment_Reference"), "WID")
            return Receipt(host_ref=f"Learning_Enrollment {ours}", data={"id": ours, "wid": wid})
        if mode == "training":
            body = self.soap_api.new_request("Manage_Training")
            self._bp(body)
            data = soap.add(body, "Manage_Training_Data")
            soap.add_ref(data, "Worker_Reference", "Employee_ID", str(payload["person"]))
            training = soap.add(soap.add(data, "Training"), "Training_Data")
            soap.add(training, "Training_ID", ours)
            soap.add(training, "Training", f"Reverse mentoring: {milestone.replace('_', ' ')}")
            soap.add_ref(
                training, "Training_Type_Reference", "Training_Type_ID", self.config["training_type"]
            )
            soap.add(training, "Completion_Date", reached)
            self.soap_api.call("Talent", body, idempotent=True)
            return Receipt(host_ref=f"Training {ours}", data={"training_id": ours})
        return Receipt(skipped=True, data={"reason": f'milestones = "off" in {self._file}'})

    # --- recognition ---------------------------------------------------------------------

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        """Feedback with a badge, given at most once (see feedback.py for how a retry looks first)."""
        if not self.owns(delivery.connection):
            return None
        if delivery.previous_receipt:
            previous = delivery.previous_receipt
            return Receipt(host_ref=str(previous.get("host_ref", "")), data=dict(previous), skipped=True)
        payload = delivery.payload
        award = str(payload["award"])
        badge = self.config.get("badges", {}).get(award)
        if not badge:
            return Receipt(
                skipped=True, data={"reason": f"award {award!r} has no badge in [badges] of {self._file}"}
            )
        person = str(payload["person"])
        tag = feedback.reference(delivery.key)
        comment = feedback.tagged(
            str(
                payload.get("comment")
                or f"Recognised in the reverse mentoring programme {payload.get('programme', '')}"
            ),
            tag,
        )
        rest = self.config.get("feedback", "soap") == "rest"
        checking = self.config.get("feedback_check", True)
        if delivery.attempt > 1 and checking:
            earlier = self._earlier_feedback(person, tag, rest=rest)
            if earlier is not None:
                return earlier
        try:
            if rest:
                return self.give_feedback_rest(person, badge, comment, tag)
            return self.give_feedback_soap(person, badge, comment, tag)
        except HostError as exc:
            if exc.retryable and not checking:
                raise feedback.unverified(
                    self.name,
                    exc.call,
                    person,
                    tag,
                    f"the feedback may have been given although the call failed ({exc}), and "
                    f"feedback_check = false in {self._file}",
                ) from exc
            raise

    def _earlier_feedback(self, person: str, tag: str, *, rest: bool) -> Receipt | None:
        """A receipt for feedback an earlier try already gave, or None if Workday has none.

        A look-up that fails for good (no permission, an answer we cannot read) parks the row;
        one that may work later (a timeout, a 5xx) is raised as it is, and nothing was sent.
        """
        call = (
            "GET /performanceEnablement/v5/workers/{ID}/anytimeFeedbackEvents"
            if rest
            else "Human_Resources/Get_Workers (Include_Feedback_Received)"
        )
        try:
            if rest:
                worker = self.rest_api.worker_wid(person)
                event = feedback.found_over_rest(self.rest_api, worker, tag)
                data = {"event_id": event, "worker_wid": worker, "route": "rest"}
                host_ref = f"anytimeFeedbackEvent {event}"
            else:
                event = feedback.found_over_soap(self.soap_api, person, tag)
                data = {"received_on": event}
                host_ref = f"Give_Feedback [{tag}]"
        except HostError as exc:
            if exc.retryable:
                raise
            raise feedback.unverified(
                self.name,
                call,
                person,
                tag,
                f"an earlier try may have given this feedback and Workday could not be checked ({exc})",
            ) from exc
        if event is None:
            return None
        log.info("award for worker %s: an earlier try already gave it [%s]; not sent again", person, tag)
        return Receipt(
            host_ref=host_ref, data={**data, "reference": tag, "found_on_workday": True}, skipped=True
        )

    def give_feedback_soap(self, employee_id: str, badge: str, comment: str, tag: str) -> Receipt:
        """Give_Feedback with a badge, as the configured feedback_from worker."""
        body = self.soap_api.new_request("Give_Feedback")
        self._bp(body)
        data = soap.add(body, "Give_Feedback_Data")
        soap.add_ref(data, "From_Worker_Reference", "Employee_ID", self.config["feedback_from"])
        soap.add_ref(data, self.feedback_recipient_element, "Employee_ID", employee_id)
        soap.add_ref(data, "Badge_Reference", "Feedback_Badge_ID", badge)
        soap.add(data, "Comment", comment)
        soap.add(data, "Show_Name", True)
        response = self.soap_api.call("Talent", body, idempotent=False)
        event = soap.ref_id(soap.find(response, "Give_Feedback_Event_Reference"), "WID")
        return Receipt(
            host_ref=f"Give_Feedback {event}", data={"event_wid": event, "badge": badge, "reference": tag}
        )

    @property
    def feedback_recipient_element(self) -> str:
        """``To_Worker_Reference`` (the public schema's name) unless the config names the plural."""
        return str(self.config.get("feedback_to_element", SINGULAR))

    def give_feedback_rest(self, employee_id: str, badge: str, comment: str, tag: str = "") -> Receipt:
        """Anytime feedback with a badge over REST (the Give Feedback business process)."""
        worker = self.rest_api.worker_wid(employee_id)
        body: dict[str, Any] = {
            "toWorker": {"id": worker},
            "badge": {"id": self.rest_api.badge_wid(badge)},
            "comment": comment,
            "showFeedbackProviderName": True,
        }
        answer = self.rest_api.give_feedback(worker, body)
        event = str(answer.get("id") or "")
        return Receipt(
            host_ref=f"anytimeFeedbackEvent {event}",
            data={"event_id": event, "badge": badge, "worker_wid": worker, "route": "rest", "reference": tag},
        )

    # --- health --------------------------------------------------------------------------

    def health(self) -> HealthReport:
        problems: list[str] = []
        route = self.config.get("roster", "raas")
        if route == "raas":
            problems += self._check_report()
        rest_feedback = self.config.get("feedback", "soap") == "rest"
        if rest_feedback and self.config.get("badges"):
            problems += self._check_rest_badges()
        needs_soap = route == "soap" or self.config.get("mentorships")
        needs_soap = needs_soap or (self.config.get("badges") and not rest_feedback)
        if needs_soap:
            try:
                body = self.get_workers_request(self._clock().replace(microsecond=0), None, 1)
                soap.find(body, "Response_Filter/Count").text = "1"  # type: ignore[union-attr]
                self.soap_api.call("Human_Resources", body, idempotent=True)
            except AuthenticationError as exc:
                problems.append(f"{exc}; check soap_user and soap_password in {self._file}")
            except HostError as exc:
                problems.append(f"SOAP Get_Workers: {exc}")
        summary = f"(Workday tenant {self.config['tenant']}, {self.config.get('version', 'v42.2')})"
        if self.config.get("badges") and not rest_feedback:
            note, problem = self._check_feedback_element()
            summary = f"{summary}; {note}" if note else summary
            problems += [problem] if problem else []
        return HealthReport(self.name, summary=summary, problems=tuple(problems))

    def _check_feedback_element(self) -> tuple[str, str]:
        """(a note, a problem) about Give_Feedback's recipient element, from the tenant's WSDL.

        The element was renamed at some version after v30.1, the last public schema; which name
        a later version uses can only be read from the tenant. A WSDL that names the other one is
        a problem; one that cannot be read leaves the name unverified, which the note says.
        """
        version = self.config.get("version", "v42.2")
        sending = self.feedback_recipient_element
        path = f"/ccx/service/{self.config['tenant']}/Talent/{version}?wsdl"
        try:
            response = self.soap_api.http.request("GET", path, idempotent=True, call_name="Talent WSDL")
            declared = recipient_in_wsdl(response.content)
            why = "its answer names neither name for Give_Feedback, or is not a WSDL"
        except HostError as exc:
            declared, why = None, str(exc)
        if declared == sending:
            return f"Give_Feedback sends {sending}, as the tenant's Talent {version} WSDL names it", ""
        if declared is not None:
            return "", (
                f"the tenant's Talent {version} WSDL names Give_Feedback's recipient {declared}, "
                f'but rm-plugin would send {sending}: set feedback_to_element = "{declared}" in {self._file}'
            )
        if verified_by_public_schema(version):
            return "", ""
        url = f"{self.config['host'].rstrip('/')}{path}"
        return (
            f"Give_Feedback sends {sending}, unverified for {version} (the public Talent schema "
            f"ends at v30.1; the tenant's WSDL could not be read: {why}): open {url}, find "
            f"To_Worker_Reference or To_Workers_Reference under Give_Feedback_Data and set "
            f"feedback_to_element in {self._file} to that name",
            "",
        )

    def _credential_keys(self) -> str:
        return {
            "token": "raas_token",
            "basic": "raas_user and raas_password",
            "oauth": "oauth_client_id, oauth_client_secret and oauth_refresh_token",
        }[self.raas_auth]

    def _check_report(self) -> list[str]:
        """The report answers, and has the columns the roster needs (the job level above all)."""
        owner, report = self.config["raas_owner"], self.config["raas_report"]
        try:
            rows = self.raas_api.report(owner, report, self.config.get("raas_prompts", {}))
        except AuthenticationError as exc:
            return [f"{exc}; check {self._credential_keys()} in {self._file}"]
        except HostError as exc:
            hint = ""
            if exc.status == 404:
                hint = (
                    f"; no report {owner}/{report}: is raas_owner/raas_report right, is the report "
                    "enabled as a web service and shared with the integration user?"
                )
            return [f"report {owner}/{report}: {exc}{hint}"]
        if not rows:
            return []
        columns = {**DEFAULT_COLUMNS, **self.config.get("columns", {})}
        problems = []
        for field in ("hr_id", "email", "job_level"):
            column = columns[field]
            if not any(column in row for row in rows):
                problems.append(
                    f"report {owner}/{report} has no column {column!r} (our {field}); add it to the "
                    f"report with that XML alias, or map its alias in [columns] of {self._file}"
                )
        return problems

    def _check_rest_badges(self) -> list[str]:
        try:
            known = self.rest_api.badges()
        except AuthenticationError as exc:
            return [f"{exc}; check the oauth_* keys in {self._file}"]
        except HostError as exc:
            return [f"feedback badges: {exc}"]
        return [
            f"badges.{award} = {badge!r}: no active feedback badge with that ID or name in Workday"
            for award, badge in self.config.get("badges", {}).items()
            if badge not in known
        ]

    @hookimpl
    def rm_check_health(self, connection: str | None) -> HealthReport | None:
        if not self.owns(connection):
            return None
        return self.health()
