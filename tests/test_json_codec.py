"""The fast JSON codec: what it writes for requests and for the ledger's stored specs."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import pytest

from orchestrator import json_codec


def test_request_text_reads_back_as_the_standard_library_reads_it() -> None:
    value = {"b": [1, 2.5, None, True], "a": "ünïcode \u2603", "c": {"nested": "x"}}
    assert json.loads(json_codec.dumps(value)) == value


def test_a_value_json_cannot_hold_is_refused_in_a_request() -> None:
    with pytest.raises(TypeError):
        json_codec.dumps({"pinned": {1, 2}})
    with pytest.raises(TypeError):
        json_codec.dumps({"big": 2**64})


def test_stored_text_is_sorted_and_writes_odd_values_as_text() -> None:
    text = json_codec.dumps_sorted({"b": 1, "a": {"d": PurePosixPath("x/y"), "c": 2}})
    assert text == '{"a":{"c":2,"d":"x/y"},"b":1}'


def test_loads_reads_text_and_bytes() -> None:
    assert json_codec.loads('{"a": [1]}') == json_codec.loads(b'{"a": [1]}') == {"a": [1]}
