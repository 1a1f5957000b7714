"""Grading on a Dask cluster (``--scheduler``): a scheduler and worker processes on 127.0.0.1.

One class (the tiny test course's two lessons, solution and blank notebooks, and lesson 01's
solution and blank notebooks) is graded twice: locally with two workers, and on a Dask
cluster of two single-threaded workers, one of which is killed with SIGKILL while it grades
(a new one is started). Every row must be there once, with the local run's scores, and
nothing the killed worker started may survive it. Then, with the scheduler told to give up
on a task at the first worker death, a worker is killed again: its submission's row is an
``error`` that says why, and ``--resume`` grades only that one.
"""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from dask_processes import DaskProcesses
from hostile.course import make_course

from grading import autograde, journal, synthetic

pytestmark = pytest.mark.slow

TINY = ["00-tiny", "00-other"]
REAL = "01-convolution"
RUN_TIMEOUT = 1800


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The tiny course plus lesson 01, released (student versions beside the solutions)."""
    root = make_course(tmp_path_factory.mktemp("course") / "course", keras=False)
    shutil.copytree(synthetic.COURSE / "solutions" / REAL, root / "solutions" / REAL)
    lessons = [*TINY, REAL]
    master = root.parent / "master"
    assert autograde.release(root, master, lessons) == {}
    for lesson in lessons:
        (root / "lessons" / lesson).mkdir(parents=True)
        (master / "lessons" / lesson / f"{lesson}.ipynb").rename(
            root / "lessons" / lesson / f"{lesson}.ipynb"
        )
    return root


def write_class(course: Path, folder: Path, students: int, real: bool) -> None:
    """Students alternately hand in the solution and the untouched notebook."""
    plan = {f"s{n}": {lesson: [None, set()][n % 2] for lesson in TINY} for n in range(students)}
    if real:
        plan["s0"][REAL], plan["s1"][REAL] = None, set()
    synthetic.write_class(folder, plan, course)


def grade_command(course: Path, submissions: Path, out: Path, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "grading.autograde",
        str(submissions),
        str(out),
        "--course",
        str(course),
        "--timeout",
        "300",
        *options,
    ]


def rows(out: Path, name: str = "grades.csv") -> list[dict]:
    with open(out / name, newline="") as handle:
        return sorted(csv.DictReader(handle), key=lambda r: tuple(r.values()))


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting until {what}")


def grade_and_kill(dask: DaskProcesses, command: list[str], out: Path, replacement: str) -> dict:
    """Run ``command`` (a grading run on ``dask``); once a row is in and a worker is grading,
    SIGKILL that worker and start ``replacement``. What happened, for the checks."""
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    victim, tree, commands, site = None, [], [], None
    try:

        def busy_worker() -> bool:
            nonlocal victim
            if run.poll() is not None or not (out / journal.NAME).is_file():
                return run.poll() is not None
            if not (out / journal.NAME).read_text().strip():
                return False
            victim = next((w for w in list(dask.processes) if dask.grading_now(w)), None)
            return victim is not None

        wait_until(busy_worker, RUN_TIMEOUT, "a row is graded and a worker is grading another")
        assert victim is not None, "the run ended before a worker could be killed"
        tree = dask.tree(victim)
        commands = []
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):
                commands.append(" ".join(process.cmdline()))
        host = next(c for c in commands if "grading.cluster host" in c)
        site = Path(host.split()[-1]).parents[1]
        dask.kill(victim)
        dask.start_worker(replacement)
        output, _ = run.communicate(timeout=RUN_TIMEOUT)
    finally:
        if run.poll() is None:
            run.kill()
    return {
        "returncode": run.returncode,
        "output": output,
        "victim": victim,
        "tree": tree,
        "commands": commands,
        "site": site,
    }


@pytest.fixture(scope="module")
def runs(course, tmp_path_factory):
    """The class graded locally, then on the cluster with a worker killed mid-run."""
    root = tmp_path_factory.mktemp("cluster")
    submissions = root / "submitted"
    write_class(course, submissions, 6, real=True)
    local = subprocess.run(
        grade_command(course, submissions, root / "local", "--workers", "2"),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert local.returncode == 0, local.stdout + local.stderr
    again = subprocess.run(
        grade_command(course, submissions, root / "local", "--workers", "2", "--resume"),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    with DaskProcesses(root / "dask") as dask:
        dask.start_scheduler()
        dask.start_worker("w1")
        dask.start_worker("w2")
        command = grade_command(course, submissions, root / "remote", "--scheduler", dask.address)
        killed = grade_and_kill(dask, command, root / "remote", "w3")
        # a scheduler that gives a task up at its first worker death
        from distributed import Client

        with Client(dask.address, timeout=30) as client:
            client.run_on_scheduler(
                lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", 0)
            )
        small = root / "small"
        write_class(course, small, 4, real=False)
        command = grade_command(course, small, root / "bounded", "--scheduler", dask.address)
        bounded = grade_and_kill(dask, command, root / "bounded", "w4")
        bounded["rows"] = rows(root / "bounded")  # before --resume rewrites them
        resumed = subprocess.run(
            [*command, "--resume"], capture_output=True, text=True, timeout=RUN_TIMEOUT
        )
    return {
        "root": root,
        "local_again": again,
        "killed": killed,
        "bounded": bounded,
        "resumed": resumed,
        "small": small,
        "course": course,
    }


def test_the_cluster_grades_as_local_grading_does_with_a_worker_killed(runs):
    root, killed = runs["root"], runs["killed"]
    assert killed["returncode"] == 0, killed["output"]
    local, remote = rows(root / "local"), rows(root / "remote")
    assert remote == local
    assert rows(root / "remote", "exercises.csv") == rows(root / "local", "exercises.csv")
    keys = [(r["student_id"], r["assignment"]) for r in remote]
    assert len(keys) == len(set(keys)) == 6 * (len(TINY) + 1)  # every student × lesson, once
    assert sum(r["status"] == "missing" for r in remote) == 4  # s2..s5 sent no lesson 01
    scores = {(r["student_id"], r["assignment"]): r for r in remote}
    assert scores[("s0", REAL)]["status"] == "graded"
    assert float(scores[("s0", REAL)]["score"]) == float(scores[("s0", REAL)]["max_score"]) > 0
    assert float(scores[("s1", REAL)]["score"]) == 0
    for student, lesson in keys:
        if scores[(student, lesson)]["status"] == "graded":
            for page in (
                root / "remote" / "feedback" / student / lesson / f"{lesson}.html",
                root / "remote" / "autograded" / student / lesson / f"{lesson}.ipynb",
            ):
                assert page.is_file(), page
    nb = nbformat.read(root / "remote" / "autograded" / "s0" / REAL / f"{REAL}.ipynb", 4)
    local_nb = nbformat.read(root / "local" / "autograded" / "s0" / REAL / f"{REAL}.ipynb", 4)
    assert [c.source for c in nb.cells] == [c.source for c in local_nb.cells]
    report = json.loads((root / "remote" / "report.json").read_text())
    assert report["run"]["scheduler"].startswith("tcp://127.0.0.1:")
    assert all(r["graded_on"]["sandbox"] for r in report["results"] if "graded_on" in r)
    assert "kernels: warm (on the Dask cluster" in (root / "remote" / "summary.txt").read_text()


def test_nothing_the_killed_worker_started_survives_it(runs):
    killed = runs["killed"]
    commands = killed["commands"]
    # the host, a supervisor and its grading worker (forks of the host); the warm-kernel
    # server, a keeper and the kernel (forks of the server); the kernel's client
    assert sum("grading.cluster host" in c for c in commands) >= 3, commands
    assert sum("grading.zygote serve" in c for c in commands) >= 3, commands
    assert any("grading.zygote connect" in c for c in commands), commands

    def all_gone() -> bool:
        alive = []
        for process in killed["tree"]:
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
            except psutil.NoSuchProcess:
                pass
        return not alive

    wait_until(all_gone, 60, "every process the killed worker started has exited")
    wait_until(lambda: not killed["site"].exists(), 60, "the killed worker's folder is deleted")


def test_a_task_whose_worker_dies_too_often_is_an_error_row_and_resume_grades_only_it(runs):
    bounded, resumed, root = runs["bounded"], runs["resumed"], runs["root"]
    assert bounded["returncode"] == 0, bounded["output"]
    first = {(r["student_id"], r["assignment"]): r for r in bounded["rows"]}
    assert len(first) == 4 * len(TINY)
    errors = [r for r in first.values() if r["status"] == "error"]
    # the task it was running, and one the scheduler had queued there (Dask counts both)
    assert 1 <= len(errors) <= 2, first
    for row in errors:
        assert "the Dask workers grading it died 1 time (last: tcp://" in row["detail"], row
        log = root / "bounded" / "logs" / f"{row['student_id']}--{row['assignment']}.log"
        assert "died 1 time" in log.read_text()
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"Grading {len(errors)} notebook(s)" in resumed.stderr
    assert f"({len(first) - len(errors)} graded before: --resume)" in resumed.stderr
    after = {(r["student_id"], r["assignment"]): r for r in rows(root / "bounded")}
    assert set(after) == set(first)
    for key, row in after.items():
        n = int(key[0][1:])
        assert row["status"] == "graded", row
        assert float(row["score"]) == (float(row["max_score"]) if n % 2 == 0 else 0.0)
        if first[key]["status"] != "error":
            assert row == first[key]


def test_resume_after_a_finished_local_run_grades_nothing_again(runs):
    again = runs["local_again"]
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Grading 0 notebook(s)" in again.stderr
    assert "(14 graded before: --resume)" in again.stderr
    assert "14 graded" in again.stdout and "4 missing" in again.stdout
