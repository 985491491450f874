"""Which failures are transient or permanent, and whether a failed create may have run."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from gql.transport.exceptions import TransportConnectionFailed, TransportProtocolError

from orchestrator.api.classify import (
    FailureKind,
    Reply,
    batch_indices,
    classify,
    classify_graphql_error,
    classify_graphql_errors,
    classify_status,
    graphql_message,
    never_reached_server,
    parse_retry_after,
    rolled_back,
)


def _refused() -> TransportConnectionFailed:
    cause = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None),
        ConnectionRefusedError(111, "Connection refused"),
    )
    error = TransportConnectionFailed("Cannot connect to host 127.0.0.1:1")
    error.__cause__ = cause
    return error


def _disconnected() -> TransportConnectionFailed:
    error = TransportConnectionFailed("Server disconnected")
    error.__cause__ = aiohttp.ServerDisconnectedError()
    return error


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, None),
        (204, None),
        (400, FailureKind.PERMANENT),
        (404, FailureKind.PERMANENT),
        (422, FailureKind.PERMANENT),
        (401, FailureKind.AUTHENTICATION),
        (403, FailureKind.AUTHENTICATION),
        (413, FailureKind.TOO_LARGE),
        (408, FailureKind.TRANSIENT),
        (429, FailureKind.TRANSIENT),
        (500, FailureKind.TRANSIENT),
        (502, FailureKind.TRANSIENT),
        (503, FailureKind.TRANSIENT),
        (504, FailureKind.TRANSIENT),
        (599, FailureKind.TRANSIENT),
    ],
)
def test_status_codes_map_to_kinds(status: int, kind: FailureKind | None) -> None:
    assert classify_status(status) is kind


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"message": "Cannot query field 'nope' on type 'PipelineJob'."}, FailureKind.PERMANENT),
        ({"message": "x", "extensions": {"code": "BAD_USER_INPUT"}}, FailureKind.PERMANENT),
        ({"message": "x", "extensions": {"code": "unauthenticated"}}, FailureKind.AUTHENTICATION),
        ({"message": "x", "extensions": {"code": "FORBIDDEN"}}, FailureKind.AUTHENTICATION),
        ({"message": "slow down", "extensions": {"code": "RATE_LIMITED"}}, FailureKind.TRANSIENT),
        ({"message": "x", "extensions": {"code": "SERVICE_UNAVAILABLE"}}, FailureKind.TRANSIENT),
        ({"message": "Too many root fields: 80 > 64"}, FailureKind.TOO_LARGE),
        ({"message": "query is too complex"}, FailureKind.TOO_LARGE),
        ({"message": "maximum of 64 root fields exceeded"}, FailureKind.TOO_LARGE),
        ({"message": "x", "extensions": {"code": "TOO_MANY_ROOT_FIELDS"}}, FailureKind.TOO_LARGE),
        (
            {
                "message": "operation CreateJobs has 80 root fields (aliases included); "
                "the limit is 64: split it into several requests"
            },
            FailureKind.TOO_LARGE,
        ),
        (
            {"message": "operation Q nests 20 levels deep; the limit is 12"},
            FailureKind.PERMANENT,
        ),
        ({"message": "x", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}, FailureKind.TRANSIENT),
        ({"message": "x", "extensions": {"code": "TOO_MANY_TOKENS"}}, FailureKind.TOO_LARGE),
        ({"message": "x", "extensions": {"code": "TOO_DEEP"}}, FailureKind.PERMANENT),
        ({"message": "x", "extensions": {"code": "NOT_FOUND"}}, FailureKind.PERMANENT),
        ({"message": "x", "extensions": {"code": "FINAL_STATUS"}}, FailureKind.PERMANENT),
        # A known code decides; the message is read only without one (other servers).
        (
            {"message": "too many root fields", "extensions": {"code": "BAD_USER_INPUT"}},
            FailureKind.PERMANENT,
        ),
        (
            {"message": "too many root fields", "extensions": {"code": "SOMETHING_ELSE"}},
            FailureKind.TOO_LARGE,
        ),
    ],
)
def test_graphql_errors_map_to_kinds(error: dict[str, object], kind: FailureKind) -> None:
    assert classify_graphql_error(error) is kind


def test_most_drastic_graphql_error_wins() -> None:
    transient = {"message": "x", "extensions": {"code": "RATE_LIMITED"}}
    permanent = {"message": "Unknown argument 'foo'."}
    auth = {"message": "x", "extensions": {"code": "UNAUTHENTICATED"}}
    assert classify_graphql_errors([transient, permanent]) is FailureKind.PERMANENT
    assert classify_graphql_errors([permanent, auth]) is FailureKind.AUTHENTICATION
    assert classify_graphql_errors([transient]) is FailureKind.TRANSIENT


def test_success_is_not_a_failure() -> None:
    assert classify(Reply(status=200)) is None


def test_connection_refused_is_transient_and_certainly_not_executed() -> None:
    failure = classify(Reply(exception=_refused(), sent=True))
    assert failure is not None
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.executed_possibly is False
    assert never_reached_server(_refused())


def test_disconnect_after_sending_is_transient_and_may_have_executed() -> None:
    failure = classify(Reply(exception=_disconnected(), sent=True))
    assert failure is not None
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.executed_possibly is True
    assert not never_reached_server(_disconnected())


def test_failure_before_headers_were_sent_certainly_did_not_execute() -> None:
    failure = classify(Reply(exception=_disconnected(), sent=False))
    assert failure is not None and failure.executed_possibly is False


def test_a_value_json_cannot_encode_is_permanent_and_never_sent() -> None:
    error = TransportConnectionFailed("Object of type set is not JSON serializable")
    error.__cause__ = TypeError("Object of type set is not JSON serializable")
    failure = classify(Reply(exception=error, sent=False))
    assert failure is not None
    assert failure.kind is FailureKind.PERMANENT
    assert not failure.executed_possibly
    assert "JSON" in failure.message


def test_timeout_is_transient_and_may_have_executed() -> None:
    failure = classify(Reply(exception=TimeoutError(), sent=True))
    assert failure is not None
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.executed_possibly is True
    assert failure.message == "request timed out"


def test_garbled_answer_is_transient_and_may_have_executed() -> None:
    failure = classify(Reply(status=200, exception=TransportProtocolError("not JSON")))
    assert failure is not None
    assert failure.kind is FailureKind.TRANSIENT and failure.executed_possibly


def test_throttled_request_is_retryable_even_for_creates_and_keeps_retry_after() -> None:
    failure = classify(
        Reply(status=429, retry_after="3", errors=({"message": "rate limit exceeded"},))
    )
    assert failure is not None
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.retry_after == 3.0
    assert failure.executed_possibly is False
    assert failure.retryable


def test_graphql_throttling_in_a_200_did_not_execute_but_unavailable_may_have() -> None:
    throttled = classify(
        Reply(status=200, errors=({"message": "slow", "extensions": {"code": "THROTTLED"}},))
    )
    unavailable = classify(
        Reply(status=200, errors=({"message": "x", "extensions": {"code": "TIMEOUT"}},))
    )
    assert throttled is not None and unavailable is not None
    assert throttled.retryable and not throttled.executed_possibly
    assert unavailable.retryable and unavailable.executed_possibly


def test_server_error_with_body_is_transient_and_may_have_executed() -> None:
    failure = classify(Reply(status=503, errors=({"message": "injected failure"},)))
    assert failure is not None
    assert failure.kind is FailureKind.TRANSIENT and failure.executed_possibly


INTERNAL = {"message": "internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
ROLLED_BACK = {
    "message": "internal server error; its changes were rolled back",
    "extensions": {"code": "INTERNAL_SERVER_ERROR", "rolledBack": True},
}


@pytest.mark.parametrize("status", [200, 500])
def test_an_internal_error_is_transient_and_may_have_executed(status: int) -> None:
    failure = classify(Reply(status=status, errors=(INTERNAL,)))
    assert failure is not None
    assert failure.kind is FailureKind.TRANSIENT and failure.retryable
    assert failure.executed_possibly  # a create's outcome is unknown


def test_an_internal_error_the_server_rolled_back_certainly_did_not_execute() -> None:
    failure = classify(Reply(status=500, errors=(ROLLED_BACK,)))
    assert failure is not None
    assert failure.kind is FailureKind.TRANSIENT and failure.retryable
    assert not failure.executed_possibly  # a create may be sent again
    assert rolled_back([ROLLED_BACK]) and not rolled_back([INTERNAL])


def test_a_request_stopped_by_the_servers_time_budget_and_rolled_back_did_not_execute() -> None:
    timed_out = {"message": "x", "extensions": {"code": "TIMEOUT", "rolledBack": True}}
    failure = classify(Reply(status=200, errors=(timed_out,)))
    assert failure is not None and failure.retryable
    assert not failure.executed_possibly


def test_only_a_server_failure_can_claim_a_rollback() -> None:
    claim = {"message": "x", "extensions": {"code": "SERVICE_UNAVAILABLE", "rolledBack": True}}
    assert not rolled_back([claim])
    failure = classify(Reply(status=200, errors=(claim,)))
    assert failure is not None and failure.executed_possibly


def test_unauthorised_status_wins_over_body() -> None:
    failure = classify(Reply(status=401, errors=({"message": "invalid token"},)))
    assert failure is not None
    assert failure.kind is FailureKind.AUTHENTICATION
    assert failure.message == "invalid token"
    assert failure.executed_possibly is False


def test_bad_request_uses_the_servers_message_and_did_not_execute() -> None:
    error = {"message": "Field 'nope' is not defined by type 'PipelineJobCreateInput'."}
    failure = classify(Reply(status=400, errors=(error,)))
    assert failure is not None
    assert failure.kind is FailureKind.PERMANENT
    assert "nope" in failure.message
    assert not failure.retryable and not failure.executed_possibly


def test_payload_too_large_status_wins_over_its_body() -> None:
    failure = classify(Reply(status=413, errors=({"message": "request body over 8 bytes"},)))
    assert failure is not None and failure.kind is FailureKind.TOO_LARGE
    assert not failure.executed_possibly


def test_too_large_body_beats_bare_400() -> None:
    failure = classify(Reply(status=400, errors=({"message": "too many root fields (100)"},)))
    assert failure is not None and failure.kind is FailureKind.TOO_LARGE


def test_graphql_message_names_the_failing_alias() -> None:
    text = graphql_message([{"message": "bad cron", "path": ["j3"]}, {"message": "other"}])
    assert text == "j3: bad cron; other"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("5", 5.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("soon", None),
        ("Tue, 24 Nov 2026 08:00:10 GMT", 10.0),
        ("Tue, 24 Nov 2026 07:59:00 GMT", 0.0),
    ],
)
def test_retry_after_accepts_seconds_and_http_dates(
    value: str | None, seconds: float | None
) -> None:
    now = datetime(2026, 11, 24, 8, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now) == seconds


def test_batch_indices_come_from_alias_paths_and_variable_names() -> None:
    errors = [
        {"message": "Variable '$d1' has invalid value: unknown field 'colour'"},
        {"message": "bad cron", "path": ["j3"]},
        {"message": "Variable '$d2' has invalid value at .timeout"},
        {"message": "Variable '$d99' is out of this batch"},
        {"message": "no index here", "path": ["pipelineJobs", 0]},
    ]
    assert batch_indices(errors, 10) == [1, 2, 3]
