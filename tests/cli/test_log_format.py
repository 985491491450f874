"""Every command renders structlog events as console text, or as JSON lines on request."""

import json
from collections.abc import Iterator

import pytest
import structlog

from orchestrator.cli.log_config import LOG_FORMAT_VARIABLE, configure_logging


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_json_format_writes_one_object_per_event(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(LOG_FORMAT_VARIABLE, "json")
    configure_logging("info")
    structlog.get_logger("t").bind(run="r1").info("job.finished", attempt=2)
    record = json.loads(capsys.readouterr().err.strip())
    assert record["event"] == "job.finished"
    assert record["run"] == "r1"
    assert record["attempt"] == 2
    assert record["level"] == "info"


def test_console_format_is_the_default_and_filters_below_the_level(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(LOG_FORMAT_VARIABLE, raising=False)
    configure_logging("warning")
    log = structlog.get_logger("t")
    log.info("quiet")
    log.warning("loud", key="value")
    err = capsys.readouterr().err
    assert "quiet" not in err
    assert "loud" in err and "key=value" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err)
