"""Pipeline step: show what the job was given (its parameters arrive as environment variables)."""

import os

PREFIX = "HYPERPLANE_JOB_PARAMETER_"

print(f"job {os.environ.get('HYPERPLANE_JOB_ID', '?')}: preparing")
for name in sorted(os.environ):
    if name.startswith(PREFIX):
        print(f"  {name.removeprefix(PREFIX)} = {os.environ[name]}")
