"""Process one input: the job's parameters arrive under their bare names."""

import os
import time

file_id = os.environ["FILE_ID"]
time.sleep(float(os.getenv("WORK_SECONDS", "0")))
print(f"processed file {file_id} in {os.getcwd()}")
