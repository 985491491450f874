"""Where a platform's dashboard is, and the link that signs a browser in to it."""

from __future__ import annotations

import pytest

from orchestrator.dashboard.links import dashboard_origin, sign_in_link


@pytest.mark.parametrize(
    ("endpoint", "origin"),
    [
        ("http://127.0.0.1:8080/graphql", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/graphql/", "http://127.0.0.1:8080"),
        ("https://platform.example/api/graphql?x=1#f", "https://platform.example/api"),
        ("http://[::1]:9000/graphql", "http://[::1]:9000"),
    ],
)
def test_the_dashboard_is_beside_the_graphql_path(endpoint: str, origin: str) -> None:
    assert dashboard_origin(endpoint) == origin


def test_a_code_goes_in_the_fragment_and_no_code_is_the_overview() -> None:
    assert sign_in_link("http://h:1", "abc-_9") == "http://h:1/ui/code#abc-_9"
    assert sign_in_link("http://h:1", None) == "http://h:1/"
