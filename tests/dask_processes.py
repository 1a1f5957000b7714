"""A Dask cluster of separate processes on 127.0.0.1, started as docs/grading-on-a-cluster.md
starts one (``dask scheduler``, ``dask worker``): for the cluster tests and the benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil


class DaskProcesses:
    """A scheduler and its workers, each a process of its own (``with DaskProcesses(folder)``)."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        self.folder, self.env = folder, dict(env or os.environ)
        self.processes: dict[str, subprocess.Popen] = {}
        self.address = ""

    def __enter__(self) -> DaskProcesses:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *_exc: object) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.folder,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def _wait_for(self, name: str, text: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        log = self.folder / f"{name}.log"
        while time.monotonic() < deadline:
            if text in log.read_bytes():
                return
            if self.processes[name].poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not start: {log.read_bytes()[-2000:].decode()}")

    def start_scheduler(self, timeout: float = 120) -> str:
        """Start ``dask scheduler`` on 127.0.0.1 (a free port); return its address."""
        file = self.folder / "scheduler.json"
        self._start(
            "scheduler",
            [
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(file),
            ],
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not file.is_file():
            time.sleep(0.2)
        self._wait_for("scheduler", b"Scheduler at:", timeout)
        self.address = json.loads(file.read_text())["address"]
        return self.address

    def start_worker(self, name: str, nthreads: int = 1, timeout: float = 180) -> int:
        """Start a ``dask worker`` (no nanny: a killed worker stays dead); return its pid."""
        process = self._start(
            name,
            [
                "distributed.cli.dask_worker",
                self.address,
                "--name",
                name,
                "--nthreads",
                str(nthreads),
                "--no-nanny",
                "--no-dashboard",
                "--local-directory",
                str(self.folder / name),
            ],
        )
        self._wait_for(name, b"Registered to:", timeout)
        return process.pid

    def kill(self, name: str) -> None:
        """SIGKILL one worker process, and only it: what it started must go by itself."""
        self.processes[name].kill()
        self.processes[name].wait()

    def stop(self, name: str) -> None:
        """Stop a process and everything in its session (the test's own clean-up)."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def grading_now(self, name: str) -> bool:
        """Whether a worker is in the middle of grading: a supervisor of its grading host
        is running a grading worker whose kernel has started."""
        commands = []
        try:
            for process in psutil.Process(self.processes[name].pid).children(recursive=True):
                if process.status() != psutil.STATUS_ZOMBIE:
                    commands.append(" ".join(process.cmdline()))
        except psutil.NoSuchProcess:
            return False
        # a kernel's client, and the warm-kernel server with a keeper and a kernel (forks)
        return any("grading.zygote connect" in c for c in commands) and (
            sum("grading.zygote serve" in c for c in commands) >= 3
        )

    def tree(self, name: str) -> list[psutil.Process]:
        """Every process a worker started, directly or not."""
        return psutil.Process(self.processes[name].pid).children(recursive=True)
