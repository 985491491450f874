"""Library loggers: structlog is imported when an event is emitted, and renders as configured.

Each case runs in a fresh interpreter: what is under test is what a process imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from orchestrator.cli.log_config import LOG_FORMAT_VARIABLE


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    prelude = "import sys\nfrom orchestrator.library_logging import get_logger\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**{k: v for k, v in os.environ.items() if k != LOG_FORMAT_VARIABLE}, **env},
    )


def test_events_below_the_cli_level_do_not_import_structlog() -> None:
    done = _run(
        """
        from orchestrator.cli.log_config import configure_logging
        log = get_logger("orchestrator.t").bind(run="r1")
        configure_logging("warning")
        log.debug("quiet")
        log.info("quiet")
        print("structlog" in sys.modules)
        log.warning("loud", key="value")
        print("structlog" in sys.modules)
        """
    )
    assert done.stdout.split() == ["False", "True"]
    assert "quiet" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "loud" in line and "key=value" in line and "run=r1" in line and "warning" in line


def test_json_format_applies_when_structlog_is_imported_later() -> None:
    done = _run(
        """
        from orchestrator.cli.log_config import configure_logging
        configure_logging("info")
        get_logger("t").bind(run="r1").info("job.finished", attempt=2)
        """,
        **{LOG_FORMAT_VARIABLE: "json"},
    )
    record = json.loads(done.stderr.strip())
    assert (record["event"], record["run"], record["attempt"]) == ("job.finished", "r1", 2)
    assert record["level"] == "info"


def test_cli_configuration_waits_for_structlog_imported_by_other_code() -> None:
    done = _run(
        """
        from orchestrator.cli.log_config import configure_logging
        configure_logging("info")
        import structlog
        structlog.get_logger("t").info("direct", n=1)
        """,
        **{LOG_FORMAT_VARIABLE: "json"},
    )
    assert json.loads(done.stderr.strip())["event"] == "direct"


@pytest.mark.parametrize("configured", [False, True])
def test_a_library_caller_gets_events_only_through_stdlib_logging(configured: bool) -> None:
    done = _run(
        f"""
        import logging
        import orchestrator
        if {configured}:
            logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
        log = get_logger("orchestrator.t").bind(run="r1")
        log.debug("never")
        log.info("maybe", key="value")
        print("structlog" in sys.modules)
        """
    )
    assert done.stdout.split() == [str(configured)]
    if configured:
        name, *fields = done.stderr.split()
        assert name == "orchestrator.t"
        assert {"event='maybe'", "key='value'", "run='r1'"} <= set(fields)
    else:
        assert done.stderr == ""
    assert "never" not in done.stderr


def test_once_structlog_is_imported_get_logger_is_structlogs() -> None:
    done = _run(
        """
        import structlog
        print(type(get_logger("t")) is type(structlog.get_logger("t")))
        """
    )
    assert done.stdout.split() == ["True"]
