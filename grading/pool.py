"""Run grading workers in parallel, each as a process the batch can kill, with a progress bar.

Every job runs :func:`grading.worker.main` in a process and session of its own: forked from
the batch on Linux (the heavy imports are done once, before forking), ``python -m
grading.worker JOB.json`` elsewhere. A worker that outlives
its hard limit (the notebook time limit plus a margin for kernel start-up and feedback) is
killed together with its kernel's process group, and its submission is reported as
``timeout``; a worker that crashes is reported as ``error`` with the last line of its log.
Neither stops the batch.

A forked worker holds the lesson's hidden tests, so it is not dumpable (no ptrace, no
``/proc/PID/mem`` for a kernel of the same user); it gets SIGTERM when the batch dies, adopts
what its kernel detaches, and kills every process under it before it exits
(:mod:`grading.processes`). When the batch is interrupted, each worker is asked to stop
(SIGTERM: it kills its kernel and whatever that started), then killed.
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
from typing import Any, TextIO

from grading import processes, report


class Progress:
    """A one-line progress bar on a terminal; one line per submission otherwise."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, quiet: bool = False) -> None:
        self.total, self.done, self.stream, self.quiet = total, 0, stream, quiet
        self.start = time.monotonic()
        self.counts: dict[str, int] = {}
        self.tty = stream.isatty()

    def update(self, result: dict[str, Any]) -> None:
        self.done += 1
        self.counts[result["status"]] = self.counts.get(result["status"], 0) + 1
        if self.quiet:
            return
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done)
        if self.tty:
            width = 24
            filled = int(width * self.done / max(self.total, 1))
            counts = " · ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))
            line = (
                f"\rgrading [{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total}"
                f" · {counts} · {clock(elapsed)} elapsed, ~{clock(left)} left "
            )
            self.stream.write(line)
            if self.done == self.total:
                self.stream.write("\n")
        else:
            score = result.get("score")
            shown = (
                ""
                if score is None
                else f" {float(score):g}/{float(result.get('max_score') or 0):g}"
            )
            self.stream.write(
                f"[{self.done}/{self.total}] {result['student']} {result['lesson']}: "
                f"{result['status']}{shown} ({result.get('seconds', 0):.0f} s; "
                f"~{clock(left)} left)\n"
            )
        self.stream.flush()


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kernel_group(job: dict[str, Any]) -> int | None:
    """The process group of the kernel a worker started (it has a session of its own)."""
    try:
        return int(Path(job["pgid_file"]).read_text())
    except (OSError, ValueError):
        return None


def kill_job(process: Any, job: dict[str, Any]) -> None:
    """Kill a worker and the kernel it started."""
    kill_group(process.pid)
    if (pgid := kernel_group(job)) is not None:
        kill_group(pgid)
    process.wait()


def stop_all(running: list[tuple[Any, dict[str, Any]]], grace: float = 5.0) -> None:
    """Ask every running worker to stop (SIGTERM: it kills its kernel and what that started),
    then kill those still there, with their kernels' groups."""
    for process, _job in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p.poll() is None for p, _ in running):
        time.sleep(0.05)
    for process, job in running:
        kill_job(process, job)


def failure(job: dict[str, Any], status: str, problem: str) -> dict[str, Any]:
    return report.new_result(job, status, problem)


def collect(process: Any, job: dict[str, Any], log: Path, killed: bool) -> dict:
    """The worker's result, or a failure that says why there is none."""
    if process.returncode != 0 and (pgid := kernel_group(job)) is not None:
        kill_group(pgid)  # a worker that died may have left its kernel behind
    if killed:
        limit = job["hard_limit"]
        return failure(job, "timeout", f"the grader stopped it after {limit} s")
    try:
        result = json.loads(Path(job["result"]).read_text())
    except (OSError, json.JSONDecodeError):
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {process.returncode}"
        return failure(job, "error", f"the grader crashed: {last[:300]}")
    for key, value in failure(job, "", "").items():
        result.setdefault(key, value)
    return result


class Forked:
    """A worker forked from this process (Linux): it starts without importing anything."""

    def __init__(self, job: dict[str, Any], env: dict[str, str]) -> None:
        self.returncode: int | None = None
        batch = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # the child: a session of its own, output to the job's log
            code = 1
            try:
                os.setsid()
                harden_worker(batch)
                log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(log, 1)
                os.dup2(log, 2)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.environ.clear()
                os.environ.update(env)
                from grading import worker

                code = worker.main([job["job_file"]])
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                processes.kill_descendants()  # whatever the kernel left behind
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


def harden_worker(batch: int) -> None:
    """In a forked worker: die with the batch (killing everything under it first), adopt
    what the kernel detaches, and keep the hidden tests in this process out of reach."""
    processes.undumpable()
    processes.become_subreaper()

    def stop(_signum: int, _frame: object) -> None:
        processes.kill_descendants()
        os._exit(143)

    signal.signal(signal.SIGTERM, stop)
    processes.die_with_parent(signal.SIGTERM, batch)


def can_fork() -> bool:
    """Fork workers where that is safe and cheap: Linux, from a process without threads."""
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def preload() -> None:
    """Import what every worker needs once, before forking (seconds saved per submission):
    nbgrader, and what the judge runs the lessons' set-up cells with (Keras, the helpers)."""
    import nbconvert.exporters.html  # noqa: F401
    import nbgrader.converters  # noqa: F401

    import grading.run  # noqa: F401
    import grading.sandbox  # noqa: F401
    import grading.worker  # noqa: F401
    from grading import zygote

    zygote.preload(zygote.JUDGE_PRELOAD)


def start(job: dict[str, Any], env: dict[str, str], fork: bool) -> Any:
    """Start one worker: forked from this process, or a new Python (elsewhere)."""
    if fork:
        return Forked(job, env)
    with open(job["log"], "w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "grading.worker", job["job_file"]],
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )


def run(
    jobs: list[dict[str, Any]], workers: int, progress: Progress, env: dict[str, str]
) -> list[dict[str, Any]]:
    """Run every job, ``workers`` at a time; results in the order of ``jobs``."""
    pending = list(jobs)
    running: dict[int, tuple[Any, float, dict, Path]] = {}
    results: dict[int, dict[str, Any]] = {}
    fork = can_fork()
    if fork:
        preload()
    try:
        while pending or running:
            while pending and len(running) < workers:
                job = pending.pop(0)
                running[job["index"]] = (
                    start(job, env, fork),
                    time.monotonic(),
                    job,
                    Path(job["log"]),
                )
            time.sleep(0.2)
            for index, (process, started, job, log) in list(running.items()):
                killed = False
                if process.poll() is None:
                    if time.monotonic() - started <= job["hard_limit"]:
                        continue
                    kill_job(process, job)
                    killed = True
                del running[index]
                results[index] = collect(process, job, log, killed)
                progress.update(results[index])
    except BaseException:
        stop_all([(process, job) for process, _, job, _ in running.values()])
        raise
    return [results[job["index"]] for job in jobs]
