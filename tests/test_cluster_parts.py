"""The parts of cluster grading that need no cluster: what travels to a Dask worker, a worker
with another grader, the resume journal, the Slurm/PBS job scripts and the Kubernetes
manifest of docs/grading-on-a-cluster.md. (tests/test_cluster.py runs a real cluster.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hostile.course import make_course

from grading import autograde, cluster, journal

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The tiny course with 00-tiny released into a master course, as a run makes it."""
    course = make_course(tmp_path_factory.mktemp("course") / "course", keras=False)
    master = course.parent / "master"
    assert autograde.release(course, master, ["00-tiny"]) == {}
    tiny = str(master / "lessons" / "00-tiny" / "00-tiny.ipynb")
    ctx = {
        "master": master,
        "gradebook": master / "gradebook.db",
        "release_paths": {"00-tiny": tiny},
        "detect_paths": {
            "00-tiny": tiny,
            "00-other": str(course / "solutions" / "00-other" / "00-other.ipynb"),
        },
        "setup": {"00-tiny": ["import numpy as np"]},
        "demonstrations": {"00-tiny": []},
        "max_scores": {"00-tiny": 5.0},
        "hide": ["/somewhere/the/instructor/keeps/submissions"],
    }
    return course, ctx


def test_what_travels_is_the_release_and_never_a_solution(released):
    course, ctx = released
    args = autograde.parse_args(
        ["in", "out", "--scheduler", "tcp://127.0.0.1:1", "--course", str(course)]
    )
    files, manifest = cluster.bundle(ctx, args)
    assert sorted(files) == [
        "detect/00-other.ipynb",
        "gradebook.db",
        "lessons/00-tiny/00-tiny.ipynb",
        "nbgrader_config.py",
    ]
    for name, data in files.items():
        if name.endswith(".ipynb"):
            assert b"BEGIN SOLUTION" not in data and b"return 2 * x" not in data, name
            assert b"return np.asarray(a) + np.asarray(b)" not in data, name
            assert b"BEGIN HIDDEN TESTS" not in data and b"secret-ex" not in data, name
    other = json.loads(files["detect/00-other.ipynb"])
    assert any("def double" in "".join(c["source"]) for c in other["cells"])
    assert manifest["fingerprint"] == cluster.code_fingerprint()
    assert manifest["hide"] == ctx["hide"] and manifest["sandbox"] == "auto"


class FakeWorker:
    address = "tcp://127.0.0.1:9"
    state = SimpleNamespace(nthreads=1)

    def __init__(self, folder: Path) -> None:
        self.local_directory = str(folder)


def test_a_worker_with_another_grader_grades_nothing_and_says_so(released, tmp_path):
    course, ctx = released
    args = autograde.parse_args(
        ["in", "out", "--scheduler", "tcp://127.0.0.1:1", "--course", str(course)]
    )
    files, manifest = cluster.bundle(ctx, args)
    site = cluster.Site("run", files, {**manifest, "fingerprint": "not this grader"})
    site.setup(FakeWorker(tmp_path))
    task = {
        "index": 3,
        "student": "ada",
        "lesson": "00-tiny",
        "intake_notes": [],
        "intake_info": [],
        "max_score": 5.0,
        "slots": {},
    }
    try:
        reply = site.grade(task)
        assert (site.folder / "master" / "lessons" / "00-tiny" / "00-tiny.ipynb").is_file()
    finally:
        site.close()
    assert not site.folder.exists()
    result = reply["result"]
    assert (result["student"], result["lesson"], result["status"]) == ("ada", "00-tiny", "error")
    assert result["score"] is None and result["max_score"] == 5.0
    assert "runs another version of the grader" in result["problem"]
    assert result["problem"] in reply["log"]


def test_the_journal_keeps_whole_records_and_survives_a_torn_last_line(tmp_path):
    notebook = tmp_path / "ada.ipynb"
    notebook.write_text('{"cells": []}')
    release = tmp_path / "release.ipynb"
    release.write_text("{}")
    jobs = [
        {"student": s, "lesson": "00-tiny", "path": str(notebook), "release": str(release)}
        for s in ("ada", "bob", "cyd")
    ]

    def result(job, status="graded"):
        return {"student": job["student"], "lesson": job["lesson"], "status": status, "score": 5}

    for job in jobs:
        for folder in ("autograded", "feedback"):
            suffix = ".ipynb" if folder == "autograded" else ".html"
            page = tmp_path / folder / job["student"] / "00-tiny" / f"00-tiny{suffix}"
            page.parent.mkdir(parents=True)
            page.write_text("x")
    with journal.Journal(tmp_path, False, "auto") as first:
        assert [first.done(job) for job in jobs] == [None, None, None]
        first.record(result(jobs[0]))
        first.record(result(jobs[1]))
        first.record(result(jobs[2], "error"))
        with pytest.raises(journal.JournalBusy), journal.Journal(tmp_path, True, "auto"):
            pass
    path = tmp_path / journal.NAME
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines) + lines[1][:40])  # a run killed while writing
    with journal.Journal(tmp_path, True, "auto") as second:
        assert second.done(jobs[0]) == result(jobs[0])
        assert second.done(jobs[1]) == result(jobs[1])
        assert second.done(jobs[2]) is None  # an error is graded again
        second.record(result(jobs[2]))
    # the torn line is gone, and the record after it is whole
    assert [json.loads(line)["result"] for line in path.read_bytes().splitlines()] == [
        result(jobs[0]),
        result(jobs[1]),
        result(jobs[2], "error"),
        result(jobs[2]),
    ]
    with journal.Journal(tmp_path, True, "auto") as third:
        assert all(third.done(job) for job in jobs)
        (tmp_path / "feedback" / "bob" / "00-tiny" / "00-tiny.html").unlink()
        assert third.done(jobs[1]) is None  # its feedback is gone: graded again
        notebook.write_text('{"cells": [], "metadata": {}}')
        assert third.done(jobs[0]) is None  # the student sent another notebook
    with journal.Journal(tmp_path, False, "auto") as fresh:
        assert fresh.done(jobs[2]) is None  # without --resume, everything is graded
    assert path.read_bytes() == b""


@pytest.mark.parametrize(
    ("system", "marks"),
    [
        ("slurm", ["#SBATCH -J cnn-grade", "#SBATCH --cpus-per-task=2", "#SBATCH -A course-42"]),
        ("pbs", ["#PBS -N cnn-grade", "#PBS -l select=1:ncpus=2", "#PBS -A course-42"]),
    ],
)
def test_the_jobqueue_example_writes_the_job_script(system, marks):
    python = "/shared/cnn-course/.venv/bin/python"
    done = subprocess.run(
        [sys.executable, str(REPO / "docs" / "cluster" / "jobqueue.py"), system]
        + ["--print-job-script", "--python", python, "--account", "course-42"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    script = done.stdout
    for mark in marks:
        assert mark in script, script
    worker = next(line for line in script.splitlines() if "dask_worker" in line)
    assert worker.startswith(f"{python} -m distributed.cli.dask_worker tcp://")
    for option in ("--nthreads 1", "--nworkers 2", "--local-directory $TMPDIR"):
        assert option in worker, worker
    assert "export COURSE_PROFILE=quick COURSE_OFFLINE=1" in script


def test_the_kubernetes_manifest_runs_single_threaded_grading_workers():
    manifest = yaml.safe_load((REPO / "docs" / "cluster" / "dask-cluster.yaml").read_text())
    assert manifest["apiVersion"] == "kubernetes.dask.org/v1"
    assert manifest["kind"] == "DaskCluster"
    assert manifest["spec"]["worker"]["spec"]["automountServiceAccountToken"] is False
    worker = manifest["spec"]["worker"]["spec"]["containers"][0]
    args = worker["args"]
    assert args[:2] == ["dask", "worker"] and args[args.index("--nthreads") + 1] == "1"
    assert worker["resources"]["limits"]["cpu"] == worker["resources"]["requests"]["cpu"] == "1"
    scheduler = manifest["spec"]["scheduler"]
    assert scheduler["spec"]["containers"][0]["image"] == worker["image"]
    assert worker["image"].endswith("cnn-course-grader:2026.12")  # the wheel's image
    assert {p["port"] for p in scheduler["service"]["ports"]} >= {8786}
