"""Reading a connector's exception: what is transient, what is permanent, what the host asked."""

from __future__ import annotations

from rm_plugin.sync.backoff import classify


class HostError(Exception):
    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


def test_an_error_that_says_it_is_retryable_is_believed() -> None:
    failure = classify(HostError("HTTP 429 from moodle", True, 30))
    assert (failure.retryable, failure.retry_after, failure.reason) == (True, 30.0, "HTTP 429 from moodle")
    assert classify(HostError("HTTP 403: token lacks capability", False)).retryable is False


def test_plain_connection_and_timeout_errors_are_transient_everything_else_permanent() -> None:
    assert classify(ConnectionError("refused")).retryable
    assert classify(TimeoutError()).retryable
    assert classify(TimeoutError()).reason == "TimeoutError"
    assert not classify(KeyError("person")).retryable
    assert not classify(ValueError("bad date")).retryable


def test_raw_requests_transport_errors_are_transient() -> None:
    import requests

    assert classify(requests.exceptions.ConnectionError("refused")).retryable
    assert classify(requests.exceptions.ReadTimeout("slow")).retryable
    assert not classify(requests.exceptions.InvalidURL("nonsense")).retryable


def test_a_nonsense_retry_after_is_ignored() -> None:
    assert classify(HostError("x", True, -5)).retry_after is None
    assert classify(HostError("x", True, "soon")).retry_after is None  # type: ignore[arg-type]
