"""Pipeline step: runs after both fetches finished."""

import os

print(f"merge: job {os.environ.get('HYPERPLANE_JOB_ID', '?')} merging both fetches")
