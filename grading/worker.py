"""Grade one submission in a course folder of its own: ``python -m grading.worker JOB.json``.

The batch (:mod:`grading.autograde`) starts one worker process per submission, several at a
time, and kills it if it overruns. A worker

1. repairs the notebook against the released lesson (:mod:`grading.repair`);
2. builds a private course folder (``nbgrader_config.py``, a copy of the gradebook that
   already knows the lesson, the repaired notebook as ``submitted/<student>/<lesson>/``) and a
   private kernel folder;
3. runs nbgrader's ``autograde`` converter with :class:`grading.run.JudgedExecute` (the
   notebook in the sandboxed kernel of :mod:`grading.sandbox`, the test cells in this
   process, :mod:`grading.judge`), then ``generate_feedback``;
4. reads the scores back from its gradebook copy and writes ``result.json``: status, score,
   per-exercise scores, repairs, findings, seconds, peak memory.

Nothing a student sent other than the notebook itself reaches the kernel, and no test code
does either: this process holds the hidden tests, so it is not dumpable (no ptrace, no
``/proc/PID/mem`` for a kernel of the same user).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import nbformat

from grading import repair as repairing
from grading import report
from grading.run import is_test
from grading.zygote import kernel_peak_kb

JUDGE_MEMORY_MB = 2048  # the worker's address space beyond the kernel's cap
STATUS_ORDER = ("error", "invalid", "missing", "timeout", "flagged", "repaired", "graded")


def exercises(release: nbformat.NotebookNode) -> dict[str, list[str]]:
    """Each answer cell's grade id -> the grade ids of the test cells after it."""
    found: dict[str, list[str]] = {}
    current = None
    for cell in release.cells:
        meta = repairing.meta(cell)
        if repairing.kind(cell) == "answer":
            current = meta["grade_id"]
            found[current] = []
        elif is_test(cell) and current is not None:
            found[current].append(meta["grade_id"])
    return found


def read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def nbgrader_config(job: dict, course: Path, kernel_dir: Path) -> Any:
    """The course's nbgrader configuration with this worker's pipeline and limits."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    c = Config()
    c.CourseDirectory.root = str(course)
    c.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    c.Autograde.autograde_preprocessors = [
        "grading.run.JudgedExecute",
        "nbgrader.preprocessors.IgnorePattern",
        "nbconvert.preprocessors.ClearMetadataPreprocessor",
        "nbgrader.preprocessors.LimitOutput",
        "grading.run.GradePolicy",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
        "grading.feedback.SanitizeGraded",
    ]
    g = c.JudgedExecute
    g.kernel_manager_class = "grading.sandbox.SandboxKernelManager"
    if job.get("cell_timeout"):
        g.timeout = job["cell_timeout"]
    g.notebook_timeout = job["timeout"]
    g.iopub_timeout = 30  # nbgrader's 4 s fails cells on a busy machine
    g.max_notebook_output_mb = job.get("output_mb", 64)
    g.max_output_mb = min(16, g.max_notebook_output_mb)
    g.setup_sources = job["setup"]
    g.wire_dir = str(kernel_dir / "wire")
    g.events_file = str(course / "events.jsonl")
    g.demonstration_sources = job.get("demonstrations", [])
    g.run_all = job.get("run_all", False)
    k = c.SandboxKernelManager
    k.level = job["sandbox"]
    k.kernel_dir = str(kernel_dir)
    k.hide = job["hide"]
    k.keep = job["keep"]
    k.memory_mb = job["memory_mb"]
    k.pgid_file = job["pgid_file"]
    k.as_nobody = job["as_nobody"]
    k.env_extra = job["kernel_env"]
    k.zygote = job.get("zygote", "")
    config.merge(c)
    return config


def prepare_course(job: dict, nb: nbformat.NotebookNode) -> tuple[Path, Path]:
    """The private course folder (with the repaired notebook) and the kernel's folder."""
    from grading.sandbox import prepare_kernel_dir

    course = Path(job["course_dir"])
    course.mkdir(parents=True, mode=0o700)
    shutil.copy2(job["config_file"], course / "nbgrader_config.py")
    shutil.copy2(job["gradebook"], course / "gradebook.db")
    lesson, student = job["lesson"], job["student"]
    source = course / "solutions" / lesson
    source.mkdir(parents=True)
    for extra in job["lesson_files"]:  # data files the lesson ships, never student files
        target = source / Path(extra).name
        (shutil.copytree if Path(extra).is_dir() else shutil.copy2)(extra, target)
    submitted = course / "submitted" / student / lesson
    submitted.mkdir(parents=True)
    nbformat.write(nb, str(submitted / f"{lesson}.ipynb"))
    if job.get("timestamp"):
        (submitted / "timestamp.txt").write_text(job["timestamp"])
    kernel_dir = Path(job["kernel_dir"])
    prepare_kernel_dir(
        kernel_dir,
        [Path(p) for p in job["lesson_files"]],
        {k: Path(v) for k, v in job["home_files"].items()},
        {k: Path(v) for k, v in job.get("home_links", {}).items()},
    )
    return course, kernel_dir


def run_nbgrader(job: dict, course: Path, kernel_dir: Path, phases: dict) -> None:
    """nbgrader autograde, then generate_feedback, in this process (seconds in ``phases``)."""
    started = time.perf_counter()
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(job, course, kernel_dir)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = job["lesson"]
    coursedir.student_id = job["student"]
    app = Autograde(coursedir=coursedir, config=config)
    if not any(getattr(h, "name", "") == "grading" for h in app.log.handlers):
        # nbgrader logs why a notebook failed (then raises a bare "see the above traceback")
        # to a logger with no output of its own: into this job's log with it.
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name("grading")
        handler.setLevel(logging.ERROR)
        app.log.addHandler(handler)
    app.force = True
    app.create_student = True
    app.start()
    phases["autograde"] = round(time.perf_counter() - started, 1)
    if job.get("feedback", True):
        config.HTMLExporter.template_name = "feedback"
        feedback = GenerateFeedback(coursedir=coursedir, config=config)
        feedback.force = True
        feedback.start()
        phases["feedback"] = round(time.perf_counter() - started - phases["autograde"], 1)


def scores(job: dict, release: nbformat.NotebookNode) -> dict[str, Any]:
    """Score, max score and per-exercise scores from this worker's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(job['course_dir']) / 'gradebook.db'}") as gb:
        submission = gb.find_submission(job["lesson"], job["student"])
        by_cell = {}
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                by_cell[grade.name] = (grade.score, grade.max_score)
        total, most = submission.score, submission.max_score
    per_exercise = {
        answer: [
            sum(by_cell.get(t, (0, 0))[0] or 0 for t in tests),
            sum(by_cell.get(t, (0, 0))[1] or 0 for t in tests),
        ]
        for answer, tests in exercises(release).items()
    }
    return {"score": total, "max_score": most, "exercises": per_exercise}


def summarize_events(events: list[dict]) -> tuple[list[str], bool]:
    """(notes, timed_out) from what the execute step reported."""
    notes, timed_out = [], False
    for event in events:
        kind, data = event["kind"], event["data"]
        if kind == "restart":
            notes.append(f"cell {data['cell'] + 1}: {data['why']}; the kernel was restarted")
        elif kind == "gave_up":
            notes.append(
                f"cell {data['cell'] + 1}: {data['why']}; the rest of the notebook was not run"
            )
        elif kind == "not_run":
            timed_out = timed_out or "time limit" in data["reason"]
    return notes, timed_out


def grade(job: dict) -> dict[str, Any]:
    """Grade the submission described by ``job`` (see :func:`grading.autograde.make_job`)."""
    started = time.perf_counter()
    result = report.new_result(job)
    release = nbformat.read(job["release"], as_version=4)
    releases = {name: nbformat.read(path, as_version=4) for name, path in job["releases"].items()}
    repaired = repairing.repair(Path(job["path"]), job["lesson"], releases)
    result["repairs"] += repaired.notes
    if repaired.problem:
        result.update(status="invalid", score=0.0, problem=repaired.problem)
        return finish(result, started, job)
    course, kernel_dir = prepare_course(job, repaired.nb)
    result["phases"] = {"prepare": round(time.perf_counter() - started, 1)}
    try:
        run_nbgrader(job, course, kernel_dir, result["phases"])
    except Exception as error:  # nbgrader failed for this notebook only
        result.update(status="error", problem=f"nbgrader failed: {type(error).__name__}: {error}")
        traceback.print_exc()
        return finish(result, started, job)
    notes, timed_out = summarize_events(read_events(course / "events.jsonl"))
    result["notes"] += notes
    result.update(scores(job, release))
    if timed_out:
        result["status"] = "timeout"
        result["problem"] = f"the notebook's time limit ({job['timeout']} s) was reached"
    elif result["flags"]:
        result["status"] = "flagged"
    elif result["repairs"]:
        result["status"] = "repaired"
    out = Path(job["out"])
    lesson, student = job["lesson"], job["student"]
    for folder, suffix in (("feedback", ".html"), ("autograded", ".ipynb")):
        made = course / folder / student / lesson / f"{lesson}{suffix}"
        if made.exists():
            target = out / folder / student / lesson
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(made, target / made.name)
    return finish(result, started, job)


def finish(result: dict[str, Any], started: float, job: dict) -> dict[str, Any]:
    result["seconds"] = round(time.perf_counter() - started, 1)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    warm = kernel_peak_kb(Path(job["kernel_dir"]))  # a kernel forked by grading.zygote
    result["kernel_peak_mb"] = round(max(children, warm) / 1024)
    result["worker_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def not_dumpable() -> None:
    """Keep a kernel of the same user from attaching to this process or reading its memory
    (it holds the hidden tests): Linux's PR_SET_DUMPABLE, off."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space: what the judge rebuilds from a kernel's answer (a
    Keras config that asks for billions of weights, say) fails here, not on the machine."""
    cap = megabytes * 2**20
    with contextlib.suppress(ValueError, OSError):  # not every platform enforces it
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def main(argv: list[str] | None = None) -> int:
    not_dumpable()
    argv = sys.argv[1:] if argv is None else argv
    job_file = Path(argv[0])
    job = json.loads(job_file.read_text())
    limit_memory(job["memory_mb"] + JUDGE_MEMORY_MB)
    os.environ.pop("COURSE_GRADEBOOK", None)  # never the course's real gradebook
    try:
        result = grade(job)
    except Exception as error:
        traceback.print_exc()
        result = {
            "student": job["student"],
            "lesson": job["lesson"],
            "status": "error",
            "problem": f"the grader failed: {type(error).__name__}: {error}",
        }
    Path(job["result"]).write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
