"""`python -m orchestrator` is the same as the `orchestrator` command."""

from orchestrator.cli import main

main(prog_name="orchestrator")  # same usage lines and completion variable as the script
