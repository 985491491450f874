# A bare-script job as real launch scripts write them: it starts at the repository root,
# changes into its own folder and runs Python there.
set -euo pipefail
cd example-batch-job
python process.py
