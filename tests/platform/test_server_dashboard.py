"""The dashboard's security over real HTTP: nothing without a session, changes need the
session's CSRF token, the bearer-token routes are unchanged, and stored text is escaped."""

from __future__ import annotations

import json

import pytest

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HOSTED_FIELDS, HttpApi, PlatformFactory
from tests.helpers.dashboard import fetch, labels, sign_in

pytestmark = pytest.mark.integration

PAGES = ("/", "/ui/runs", "/ui/jobs", "/ui/runs/r1", "/ui/jobs/x")
APIS = ("/ui/api/overview", "/ui/api/runs", "/ui/api/jobs", "/ui/api/runs/r1", "/ui/api/jobs/x")


@pytest.fixture
def platform(platform_factory: PlatformFactory) -> LocalPlatform:
    return platform_factory(sim_duration="60:61")  # jobs stay unfinished: cancels count


def test_without_a_session_pages_are_only_the_sign_in_form_and_api_answers_401(
    platform: LocalPlatform,
) -> None:
    HttpApi(platform, HOSTED_FIELDS).create("p.yaml", labels("r1"), jobName="secret-name")
    for headers in ({}, {"Cookie": "orchestrator_session=forged"}, _bearer(platform)):
        for path in PAGES:
            reply = fetch(platform, path, headers=headers)
            assert reply.status == 200, (path, headers)
            assert 'id="sign-in"' in reply.text
            assert "secret-name" not in reply.text
        for path in APIS:
            assert fetch(platform, path, headers=headers).status == 401, (path, headers)


def test_the_session_cookie_is_http_only_strict_and_not_the_token(
    platform: LocalPlatform,
) -> None:
    signed = sign_in(platform)
    assert "HttpOnly" in signed.set_cookie
    assert "SameSite=Strict" in signed.set_cookie
    assert "Path=/" in signed.set_cookie
    assert platform.token not in signed.set_cookie
    page = fetch(platform, "/", headers=signed.headers(csrf=False))
    assert page.status == 200 and 'id="sign-out"' in page.text
    assert platform.token not in page.text
    assert platform.token not in platform.log_path().read_text()
    wrong = fetch(platform, "/ui/session", "POST", {"token": platform.token + "x"})
    assert wrong.status == 401
    assert "Set-Cookie" not in wrong.headers


def test_a_session_opens_nothing_of_the_bearer_token_routes(platform: LocalPlatform) -> None:
    signed = sign_in(platform)
    graphql = fetch(platform, "/graphql", "POST", {"query": "{ __typename }"}, signed.headers())
    assert graphql.status == 401
    assert fetch(platform, "/status", headers=signed.headers()).status == 401
    assert fetch(platform, "/logs/x", headers=signed.headers()).status == 401


def test_changes_need_the_session_and_its_csrf_token(platform: LocalPlatform) -> None:
    api = HttpApi(platform, HOSTED_FIELDS)
    ids = [api.create("p.yaml", labels("r1")) for _ in range(3)]
    signed = sign_in(platform)
    other = sign_in(platform)
    refused = [
        signed.headers(csrf=False),
        {"Cookie": signed.cookie, "X-CSRF-Token": other.csrf},  # another session's token
        {"Cookie": "orchestrator_session=forged", "X-CSRF-Token": signed.csrf},
        {"X-CSRF-Token": signed.csrf},
    ]
    for headers in refused:
        for path in ("/ui/api/runs/r1/cancel", f"/ui/api/jobs/{ids[0]}/cancel"):
            assert fetch(platform, path, "POST", {}, headers).status == 403, headers
    foreign = {**signed.headers(), "Origin": "http://evil.example"}
    assert fetch(platform, "/ui/api/runs/r1/cancel", "POST", {}, foreign).status == 403
    form = {**signed.headers(), "Content-Type": "application/x-www-form-urlencoded"}
    assert fetch(platform, "/ui/api/runs/r1/cancel", "POST", {}, form).status == 415
    assert {api.job(i)["status"] for i in ids} <= {"pending", "in progress"}

    one = fetch(platform, f"/ui/api/jobs/{ids[0]}/cancel", "POST", {}, signed.headers())
    assert one.status == 200 and json.loads(one.text)["cancelled"] == 1
    rest = fetch(platform, "/ui/api/runs/r1/cancel", "POST", {}, signed.headers())
    assert rest.status == 200 and json.loads(rest.text)["cancelled"] == 2
    assert {api.job(i)["status"] for i in ids} == {"cancelled"}


def test_signing_out_ends_the_session(platform: LocalPlatform) -> None:
    signed = sign_in(platform)
    assert fetch(platform, "/ui/session", "DELETE", {}, signed.headers(csrf=False)).status == 403
    assert fetch(platform, "/ui/session", "DELETE", {}, signed.headers()).status == 200
    assert 'id="sign-in"' in fetch(platform, "/", headers=signed.headers()).text
    assert fetch(platform, "/ui/api/overview", headers=signed.headers()).status == 401


def test_stored_text_is_escaped_and_unknown_ids_are_404_pages(platform: LocalPlatform) -> None:
    name = "<script>alert(1)</script>"
    job_id = HttpApi(platform, HOSTED_FIELDS).create("p.yaml", labels("r<b>"), jobName=name)
    signed = sign_in(platform)
    for path in (f"/ui/jobs/{job_id}", "/ui/jobs?q=script", "/", "/ui/runs"):
        page = fetch(platform, path, headers=signed.headers())
        assert page.status == 200
        assert "<script>alert" not in page.text and "<b>" not in page.text, path
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        in fetch(platform, f"/ui/jobs/{job_id}", headers=signed.headers()).text
    )
    for path in ("/ui/jobs/no-such-job", "/ui/runs/no-such-run"):
        page = fetch(platform, path, headers=signed.headers())
        assert page.status == 404
        assert "No such" in page.text and "Traceback" not in page.text


def test_auth_none_needs_no_sign_in_but_changes_still_need_the_csrf_token(
    platform_factory: PlatformFactory,
) -> None:
    open_platform = platform_factory(auth="none", token=None)
    page = fetch(open_platform, "/")
    assert page.status == 200 and "Overview" in page.text
    assert fetch(open_platform, "/ui/api/overview").status == 200
    assert fetch(open_platform, "/ui/api/runs/r1/cancel", "POST", {}).status == 403


def _bearer(platform: LocalPlatform) -> dict[str, str]:
    return {"Authorization": f"Bearer {platform.token}"}


def test_the_jobs_view_filters_sorts_and_pages_on_the_server(platform: LocalPlatform) -> None:
    api = HttpApi(platform, HOSTED_FIELDS)
    for name in ("b-job", "a-job", "c-100%"):
        api.create("p.yaml", labels("r1"), jobName=name)
    for number in range(55):
        api.create("p.yaml", labels("r2"), jobName=f"many-{number:02d}")
    signed = sign_in(platform)

    def names(query: str) -> list[str]:
        reply = fetch(platform, "/ui/api/jobs?" + query, headers=signed.headers())
        assert reply.status == 200, reply
        return [row[1] for row in json.loads(reply.text)["rows"]["jobs"]]

    assert names("run=r1&sort=name") == ["a-job", "b-job", "c-100%"]
    assert names("q=%25") == ["c-100%"]  # the text is matched as text, not a LIKE pattern
    assert names("q=_") == []
    first, second = names("run=r2&sort=oldest"), names("run=r2&sort=oldest&page=1")
    assert (len(first), len(second)) == (50, 5)
    assert first[0] == "many-00" and second[-1] == "many-54"
    assert names("page=99999999999999999999999") == []
    assert names("page=x&status=nonsense&sort=nonsense") == names("")
    assert names("status=done") == []
