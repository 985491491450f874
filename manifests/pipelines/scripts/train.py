"""Pipeline step: pretend to train, with switches to demonstrate failures and retries."""

import os
import sys
import time


def parameter(key: str, default: str = "") -> str:
    return os.environ.get(f"HYPERPLANE_JOB_PARAMETER_{key}", default)


if parameter("FAIL"):
    print("train: FAIL is set, giving up", file=sys.stderr)
    sys.exit(3)
if parameter("FLAKY") and parameter("ORCHESTRATOR_ATTEMPT", "1") == "1":
    print(
        "train: FLAKY is set and this is attempt 1: failing so a retry can succeed", file=sys.stderr
    )
    sys.exit(75)

rate = float(parameter("LEARNING_RATE", "0.1"))
epochs = int(parameter("EPOCHS", "3"))
pause = float(parameter("WORK_SECONDS", "0.5")) / max(epochs, 1)
loss = 1.0
for epoch in range(1, epochs + 1):
    time.sleep(pause)
    loss *= 1.0 - min(rate, 0.9)
    print(f"train: epoch {epoch}/{epochs} loss {loss:.4f}", flush=True)
print(f"train: done, final loss {loss:.4f}")
