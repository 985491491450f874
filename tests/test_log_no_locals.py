"""No traceback written to a log shows local variables (the platform logs to platform.log).

The attack: on a full disk the simulate executor logged rich tracebacks, whose default
shows every frame's locals, into ``platform.log``: job parameters, tokens, whatever the
frames held. Each format is configured as the platform process configures it
(``configure_logging``), in a fresh interpreter, and logs an exception raised in a function
whose local holds a secret.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from orchestrator.cli.log_config import LOG_FORMAT_VARIABLE

SECRET = "s3cr3t-token-value"

CODE = f"""
from orchestrator.cli.log_config import configure_logging
from orchestrator.library_logging import get_logger

configure_logging("info")
log = get_logger("orchestrator.platform.executor.simulate")

def write_status(job_id):
    token = "{SECRET[:6]}" + "{SECRET[6:]}"  # the value is in no source line
    raise OSError(28, "No space left on device")

try:
    write_status("j1")
except OSError:
    log.exception("simulate.step_failed")
"""


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_a_logged_traceback_names_the_error_but_no_local(log_format: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != LOG_FORMAT_VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CODE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**env, LOG_FORMAT_VARIABLE: log_format, "COLUMNS": "200"},
    )
    assert "simulate.step_failed" in done.stderr
    assert "write_status" in done.stderr and "No space left on device" in done.stderr
    assert SECRET not in done.stderr
