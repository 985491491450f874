"""A real Dask cluster for tests: a ``dask scheduler`` and ``dask worker`` processes from the
project's environment on 127.0.0.1, started as subprocesses of the test."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.wait import wait_for

distributed = pytest.importorskip("distributed")

BIN = Path(sys.executable).parent
START_WITHIN = 60.0  # a loaded CI machine starts Python processes slowly


@dataclass
class Cluster:
    """A scheduler and its workers, as subprocesses of the test."""

    directory: Path
    address: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        with (self.directory / log).open("ab") as out:
            process = subprocess.Popen(
                [str(BIN / "dask"), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.directory,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def start_scheduler(self) -> None:
        scheduler_file = self.directory / "scheduler.json"
        self.spawn(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            "127.0.0.1:0",
            "--scheduler-file",
            str(scheduler_file),
            log="scheduler.log",
        )
        wait_for(scheduler_file.exists, timeout=START_WITHIN)
        wait_for(lambda: bool(scheduler_file.read_text().strip()), timeout=START_WITHIN)
        self.address = json.loads(scheduler_file.read_text())["address"]

    def start_worker(self, name: str, slots: int) -> None:
        self.workers[name] = self.spawn(
            "worker",
            self.address,
            "--host",
            "127.0.0.1",
            "--no-dashboard",
            "--no-nanny",  # the worker process is the tasks' parent: its pid is theirs
            "--nthreads",
            str(slots),
            "--resources",
            f"job-slots={slots}",
            "--name",
            name,
            "--local-directory",
            str(self.directory / name),
            log=f"{name}.log",
        )

    def wait_for_workers(self, count: int) -> None:
        with distributed.Client(self.address, timeout=START_WITHIN) as client:
            client.wait_for_workers(count, timeout=START_WITHIN)

    def pids(self) -> dict[int, str]:
        return {process.pid: name for name, process in self.workers.items()}

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_cluster(directory: Path, slots: int, workers: int = 2) -> Cluster:
    directory.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(directory)
    try:
        cluster.start_scheduler()
        for number in range(1, workers + 1):
            cluster.start_worker(f"w{number}", slots)
        cluster.wait_for_workers(workers)
    except BaseException:
        cluster.stop()
        raise
    return cluster
