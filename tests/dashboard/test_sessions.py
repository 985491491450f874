"""Dashboard sessions as pure logic on a fake clock: codes, expiry, the sign-in limit, CSRF."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request
from aiohttp.web import Request

from orchestrator.dashboard.sessions import (
    ABSOLUTE_SECONDS,
    ALL_FAILURES,
    CLIENT_FAILURES,
    CODE_SECONDS,
    COOKIE,
    CSRF_HEADER,
    IDLE_SECONDS,
    LIMIT_SECONDS,
    MAX_CODES,
    MAX_SESSIONS,
    Sessions,
)
from orchestrator.platform.server.token_check import TokenCheck

TOKEN = "the-platform-token"


class Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class CountingCheck(TokenCheck):
    """The platform's real token check, counting how often it is asked."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.asked = 0

    def accepts(self, authorization: str) -> bool:
        self.asked += 1
        return super().accepts(authorization)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def check() -> CountingCheck:
    return CountingCheck(TOKEN)


@pytest.fixture
def sessions(clock: Clock, check: CountingCheck) -> Sessions:
    return Sessions(check, now=clock)


def request(session_id: str | None, csrf: str | None = None, method: str = "GET") -> Request:
    headers = {}
    if session_id is not None:
        headers["Cookie"] = f"{COOKIE}={session_id}"
    if csrf is not None:
        headers[CSRF_HEADER] = csrf
    return make_mocked_request(method, "/ui/", headers=headers)


def signed_in(sessions: Sessions, session_id: str | None) -> bool:
    return sessions.session(request(session_id)) is not None


# -- token sign-in ------------------------------------------------------------------------------


def test_the_token_signs_in_and_a_wrong_one_does_not(sessions: Sessions) -> None:
    assert sessions.needs_sign_in and not sessions.codes_only
    session_id = sessions.sign_in(TOKEN).session_id
    assert session_id is not None and signed_in(sessions, session_id)
    assert sessions.sign_in("wrong").session_id is None
    assert not signed_in(sessions, None) and not signed_in(sessions, "made-up")


def test_each_sign_in_is_its_own_session(sessions: Sessions) -> None:
    first, second = sessions.sign_in(TOKEN).session_id, sessions.sign_in(TOKEN).session_id
    assert first != second
    sessions.sign_out(request(first))
    assert not signed_in(sessions, first) and signed_in(sessions, second)


def test_sign_in_result_tells_a_session_from_a_refusal(sessions: Sessions) -> None:
    good = sessions.sign_in(TOKEN, "10.0.0.1")
    assert good.session_id is not None and not good.limited
    bad = sessions.sign_in("wrong", "10.0.0.1")
    assert bad.session_id is None and not bad.limited and bad.retry_after == 0.0


def test_the_oldest_session_goes_beyond_the_bound(sessions: Sessions) -> None:
    ids = [sessions.sign_in(TOKEN).session_id for _ in range(MAX_SESSIONS + 1)]
    assert not signed_in(sessions, ids[0])
    assert signed_in(sessions, ids[1]) and signed_in(sessions, ids[-1])


# -- one-time codes -----------------------------------------------------------------------------


def test_a_code_signs_in_once(sessions: Sessions) -> None:
    code = sessions.issue_code()
    session_id = sessions.redeem(code).session_id
    assert session_id is not None and signed_in(sessions, session_id)
    assert sessions.redeem(code).session_id is None


def test_codes_are_random_url_safe_and_long(sessions: Sessions) -> None:
    codes = {sessions.issue_code() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert len(code) >= 22  # 22 base64 characters carry 128 bits
        assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_code_is_good_until_just_before_its_120_seconds(clock: Clock, sessions: Sessions) -> None:
    assert CODE_SECONDS == 120
    early, late = sessions.issue_code(), sessions.issue_code()
    clock.advance(CODE_SECONDS - 0.001)
    assert sessions.redeem(early).session_id is not None
    clock.advance(0.001)
    assert sessions.redeem(late).session_id is None


def test_an_unknown_code_is_refused(sessions: Sessions) -> None:
    sessions.issue_code()
    assert sessions.redeem("not-a-code").session_id is None
    assert sessions.redeem("").session_id is None
    assert (
        sessions.redeem("\udcff").session_id is None
    )  # a lone surrogate from JSON is no code either


def test_a_code_outlives_a_sign_out_once(sessions: Sessions) -> None:
    code = sessions.issue_code()
    first = sessions.sign_in(TOKEN).session_id
    sessions.sign_out(request(first))
    second = sessions.redeem(code).session_id
    assert second is not None and signed_in(sessions, second)
    sessions.sign_out(request(second))
    assert sessions.redeem(code).session_id is None


def test_codes_beyond_the_bound_drop_the_oldest(sessions: Sessions) -> None:
    codes = [sessions.issue_code() for _ in range(MAX_CODES + 1)]
    assert sessions.redeem(codes[0]).session_id is None
    assert (
        sessions.redeem(codes[1]).session_id is not None
        and sessions.redeem(codes[-1]).session_id is not None
    )


def test_only_a_hash_of_a_code_is_kept(sessions: Sessions) -> None:
    code = sessions.issue_code()
    kept = list(sessions._codes)
    assert len(kept) == 1 and len(kept[0]) == 32  # a SHA-256 digest
    assert code.encode() not in kept[0] and code not in repr(sessions._codes)


def test_codes_only_refuses_the_token_and_takes_codes(clock: Clock, check: CountingCheck) -> None:
    sessions = Sessions(check, codes_only=True, now=clock)
    assert sessions.needs_sign_in and sessions.codes_only
    refused = sessions.sign_in(TOKEN, "10.0.0.1")
    assert refused.session_id is None and not refused.limited
    assert check.asked == 0
    session_id = sessions.redeem(sessions.issue_code()).session_id
    assert session_id is not None and signed_in(sessions, session_id)


def test_codes_only_without_a_token_still_needs_sign_in(clock: Clock) -> None:
    sessions = Sessions(None, codes_only=True, now=clock)
    assert sessions.needs_sign_in
    assert not signed_in(sessions, None)
    assert sessions.sign_in(TOKEN).session_id is None
    session_id = sessions.redeem(sessions.issue_code()).session_id
    assert session_id is not None and signed_in(sessions, session_id)


def test_without_auth_everyone_is_in_and_codes_mean_nothing(clock: Clock) -> None:
    sessions = Sessions(None, now=clock)
    assert not sessions.needs_sign_in
    assert signed_in(sessions, None)
    assert (
        sessions.sign_in(TOKEN).session_id is None
        and sessions.redeem("anything").session_id is None
    )
    with pytest.raises(RuntimeError):
        sessions.issue_code()


# -- expiry -------------------------------------------------------------------------------------


def test_an_idle_session_ends(clock: Clock, sessions: Sessions) -> None:
    session_id = sessions.sign_in(TOKEN).session_id
    clock.advance(IDLE_SECONDS - 1)
    assert signed_in(sessions, session_id)  # used: the idle clock starts again
    clock.advance(IDLE_SECONDS - 1)
    assert signed_in(sessions, session_id)
    clock.advance(IDLE_SECONDS)
    assert not signed_in(sessions, session_id)
    clock.t -= IDLE_SECONDS  # forgotten, not merely hidden: back in time it is still gone
    assert not signed_in(sessions, session_id)


def test_a_used_session_still_ends_after_seven_days(clock: Clock, sessions: Sessions) -> None:
    assert ABSOLUTE_SECONDS == 7 * 24 * 3600
    session_id = sessions.sign_in(TOKEN).session_id
    hour = 3600.0
    for _ in range(int(ABSOLUTE_SECONDS / hour) - 1):
        clock.advance(hour)
        assert signed_in(sessions, session_id)
    clock.advance(hour - 0.001)
    assert signed_in(sessions, session_id)
    clock.advance(0.001)
    assert not signed_in(sessions, session_id)


def test_a_csrf_check_counts_as_use(clock: Clock, sessions: Sessions) -> None:
    session_id = sessions.sign_in(TOKEN).session_id
    csrf = sessions.session(request(session_id))
    assert csrf is not None
    clock.advance(IDLE_SECONDS - 1)
    assert sessions.may_change(request(session_id, csrf.csrf, "POST"))
    clock.advance(IDLE_SECONDS - 1)
    assert sessions.may_change(request(session_id, csrf.csrf, "POST"))
    clock.advance(IDLE_SECONDS)
    assert not sessions.may_change(request(session_id, csrf.csrf, "POST"))


# -- the sign-in limit --------------------------------------------------------------------------


def fail(sessions: Sessions, client: str, times: int) -> None:
    for _ in range(times):
        result = sessions.sign_in("wrong", client)
        assert result.session_id is None and not result.limited


def test_an_address_is_refused_unchecked_after_ten_failures(
    clock: Clock, sessions: Sessions, check: CountingCheck
) -> None:
    assert CLIENT_FAILURES == 10 and LIMIT_SECONDS == 60
    fail(sessions, "10.0.0.1", CLIENT_FAILURES)
    asked = check.asked
    clock.advance(20)
    limited = sessions.sign_in(TOKEN, "10.0.0.1")
    assert limited.session_id is None and limited.limited
    assert limited.retry_after == pytest.approx(LIMIT_SECONDS - 20)
    assert check.asked == asked  # the right token was not even looked at
    assert sessions.sign_in(TOKEN, "10.0.0.1").session_id is None
    assert (
        sessions.sign_in(TOKEN, "10.0.0.2").session_id is not None
    )  # another address is not limited


def test_failed_codes_count_and_a_limited_address_cannot_redeem(sessions: Sessions) -> None:
    for _ in range(CLIENT_FAILURES):
        assert not sessions.redeem("guess", "10.0.0.1").limited
    code = sessions.issue_code()
    assert sessions.redeem(code, "10.0.0.1").limited
    assert sessions.sign_in(TOKEN, "10.0.0.1").limited  # tokens and codes share the count
    assert (
        sessions.redeem(code, "10.0.0.2").session_id is not None
    )  # the refused attempt did not spend it


def test_a_success_does_not_count(sessions: Sessions) -> None:
    fail(sessions, "10.0.0.1", CLIENT_FAILURES - 1)
    for _ in range(20):
        assert sessions.sign_in(TOKEN, "10.0.0.1").session_id is not None
    fail(sessions, "10.0.0.1", 1)
    assert sessions.sign_in(TOKEN, "10.0.0.1").limited


def test_the_window_rolls_over(clock: Clock, sessions: Sessions) -> None:
    fail(sessions, "10.0.0.1", CLIENT_FAILURES)
    clock.advance(LIMIT_SECONDS - 0.001)
    assert sessions.sign_in(TOKEN, "10.0.0.1").limited
    clock.advance(0.001)
    assert sessions.sign_in(TOKEN, "10.0.0.1").session_id is not None
    fail(sessions, "10.0.0.1", CLIENT_FAILURES)  # a fresh window holds ten again
    assert sessions.sign_in(TOKEN, "10.0.0.1").limited


def test_failures_spread_over_windows_never_limit(clock: Clock, sessions: Sessions) -> None:
    for _ in range(5):
        fail(sessions, "10.0.0.1", CLIENT_FAILURES - 1)
        clock.advance(LIMIT_SECONDS)
    assert sessions.sign_in(TOKEN, "10.0.0.1").session_id is not None


def test_many_addresses_hit_the_overall_limit(
    clock: Clock, sessions: Sessions, check: CountingCheck
) -> None:
    assert ALL_FAILURES == 100
    for n in range(ALL_FAILURES):
        fail(sessions, f"10.0.{n // 256}.{n % 256}", 1)
    asked = check.asked
    clock.advance(30)
    result = sessions.sign_in(TOKEN, "192.168.1.1")  # a fresh address, the right token
    assert result.limited and result.retry_after == pytest.approx(LIMIT_SECONDS - 30)
    assert check.asked == asked
    clock.advance(30)
    assert sessions.sign_in(TOKEN, "192.168.1.1").session_id is not None


def test_without_an_address_every_attempt_shares_one(sessions: Sessions) -> None:
    fail(sessions, "", CLIENT_FAILURES)
    assert sessions.sign_in(TOKEN).session_id is None
    assert sessions.sign_in(TOKEN, "10.0.0.1").session_id is not None


def test_ten_thousand_addresses_are_not_all_remembered(clock: Clock, sessions: Sessions) -> None:
    most = 0
    for n in range(10_000):
        sessions.sign_in("wrong", f"addr-{n}")
        most = max(most, len(sessions._limit))
        clock.advance(0.1)
    assert most <= 2 * ALL_FAILURES
    assert most >= ALL_FAILURES  # the bound was reached, not the test too small to reach it
    clock.advance(LIMIT_SECONDS)
    assert sessions.sign_in(TOKEN, "addr-new").session_id is not None


def test_ten_thousand_addresses_at_once_are_not_all_remembered(sessions: Sessions) -> None:
    for n in range(10_000):
        sessions.sign_in("wrong", f"addr-{n}")
    assert len(sessions._limit) == ALL_FAILURES


# -- CSRF ---------------------------------------------------------------------------------------


def test_changes_need_the_sessions_own_csrf_token(sessions: Sessions) -> None:
    first, second = sessions.sign_in(TOKEN).session_id, sessions.sign_in(TOKEN).session_id
    own = sessions.session(request(first))
    other = sessions.session(request(second))
    assert own is not None and other is not None and own.csrf != other.csrf
    assert sessions.may_change(request(first, own.csrf, "POST"))
    assert not sessions.may_change(request(first, other.csrf, "POST"))
    assert not sessions.may_change(request(first, None, "POST"))
    assert not sessions.may_change(request(first, "", "POST"))
    assert not sessions.may_change(request(None, own.csrf, "POST"))
    sessions.sign_out(request(first))
    assert not sessions.may_change(request(first, own.csrf, "POST"))


def test_without_auth_changes_need_the_process_csrf_token(clock: Clock) -> None:
    sessions = Sessions(None, now=clock)
    everyone = sessions.session(request(None))
    assert everyone is not None
    assert sessions.may_change(request(None, everyone.csrf, "POST"))
    assert not sessions.may_change(request(None, "guess", "POST"))
    assert not sessions.may_change(request(None, None, "POST"))
