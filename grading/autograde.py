"""Autograde a class: every student's notebook for every lesson, in parallel and sandboxed.

Usage (or ``make grade SUBMISSIONS=<dir> OUT=<dir> [GRADE_ARGS=...]``)::

    python -m grading.autograde SUBMISSIONS OUT [--roster FILE] [--workers N]
        [--timeout S] [--cell-timeout S] [--memory MB] [--sandbox auto|namespaces|process|none]
        [--lessons ID ...] [--layout auto|nbgrader|flat] [--run-all] [--cold-kernels]
        [--scheduler tcp://HOST:PORT] [--resume]

``SUBMISSIONS`` is nbgrader's ``submitted/`` layout (``<student>/<lesson>/<notebook>.ipynb``)
or a flat LMS download (``<student>_<lesson>.ipynb`` files; give a ``--roster``), see
:mod:`grading.intake`. ``OUT`` receives ``grades.csv`` (one row per student × lesson, with a
status), ``exercises.csv``, ``feedback/<student>/<lesson>/<lesson>.html``, the graded
notebooks in ``autograded/``, ``score_distribution.png``, ``summary.txt`` and
``report.json`` (see :mod:`grading.report`).

How: the lessons are released once into a private master course (its gradebook knows every
lesson); then each submission is repaired and graded by its own worker process
(:mod:`grading.worker`) in a course folder of its own, with a copy of that gradebook, its
kernel in a sandbox (:mod:`grading.sandbox`) and its test cells in the worker itself
(:mod:`grading.judge`: the kernel only answers with data), at the quick profile, leaving
out the demonstration cells no graded cell depends on (:mod:`grading.slicing`; ``--run-all``
runs them too). Kernels are forked warm from one
server that has imported the heavy libraries (:mod:`grading.zygote`; ``--cold-kernels``
starts each from scratch). Neither the repository nor the submissions folder is written to.

With ``--scheduler`` the jobs are graded on the workers of a Dask cluster instead, each as
here (:mod:`grading.cluster`); without it Dask is not imported. Every finished row is
recorded in ``OUT/journal.jsonl`` as it comes in; ``--resume`` grades only what an
interrupted run had not finished (:mod:`grading.journal`).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

from grading import intake as intaking
from grading import journal, pool, processes, report, sandbox, slicing, zygote
from grading.run import is_setup

COURSE = Path(__file__).resolve().parent.parent
WORK_PREFIX = "cnn-grade-"  # the temporary folder of each grading run
HARD_LIMIT_MARGIN = 180  # seconds a worker may take beyond the notebook's limit


class GradingError(RuntimeError):
    """Raised for a submissions folder or course that cannot be graded at all."""


def course_lessons(course: Path) -> list[str]:
    """Lessons with a solution notebook ``solutions/<id>/<id>.ipynb``."""
    return sorted(
        p.parent.name for p in (course / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name
    )


def released_lessons(course: Path) -> list[str]:
    """The lessons students were given: those with a student version ``lessons/<id>/<id>.ipynb``
    (every lesson with a solution, for a course that has no ``lessons/`` folder yet)."""
    solved = course_lessons(course)
    if not (course / "lessons").is_dir():
        return solved
    return [
        lesson for lesson in solved if (course / "lessons" / lesson / f"{lesson}.ipynb").is_file()
    ]


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def tool_env() -> dict[str, str]:
    """This environment with the Python's own tools first on PATH (nbgrader runs ``alembic``),
    without the course's real gradebook."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("COURSE_GRADEBOOK", None)
    env.update(COURSE_PROFILE="quick", COURSE_OFFLINE="1", MPLBACKEND="Agg")
    return env


def alembic_head() -> str:
    """The gradebook schema's version, read in this process (nbgrader runs the ``alembic``
    command for it, seconds per new gradebook)."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def release(course: Path, master: Path, lessons: list[str]) -> dict[str, str]:
    """Generate the student versions and a gradebook that knows every lesson, in ``master``.

    Returns the lessons that could not be released, with the reason."""
    import logging

    import nbgrader.api
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
    from traitlets.log import get_logger

    master.mkdir(mode=0o700)
    shutil.copy2(course / "nbgrader_config.py", master / "nbgrader_config.py")
    for lesson in lessons:
        shutil.copytree(
            course / "solutions" / lesson,
            master / "solutions" / lesson,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.corrupt"),
        )
    nbgrader.api.get_alembic_version = alembic_head
    get_logger().setLevel(logging.WARNING)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(master)).load_config()
    extra = Config()
    extra.CourseDirectory.root = str(master)
    extra.CourseDirectory.db_url = f"sqlite:///{master / 'gradebook.db'}"
    config.merge(extra)
    failed = {}
    for lesson in lessons:
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = lesson
        app = GenerateAssignment(coursedir=coursedir, config=config)
        app.force = True
        app.create_assignment = True
        try:
            app.start()
        except Exception as error:  # a lesson being written may not release yet
            failed[lesson] = f"{type(error).__name__}: {error}"
    return failed


def warm_caches(work: Path, env: dict[str, str], sources: str) -> dict[str, str]:
    """Files each kernel's private home starts with, so that no kernel rebuilds them:
    matplotlib's font list and, for lessons that load MNIST (``sources`` mentions it), the
    course's parsed digits (the grader's own cache, or built once here)."""
    files: dict[str, str] = {}
    try:
        import matplotlib

        for path in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            files[f".matplotlib/{path.name}"] = str(path)
    except Exception:
        pass
    if "load_mnist" not in sources and "bundled_digits" not in sources:
        return files
    mine = Path(os.environ.get("COURSE_CACHE") or Path.home() / ".cache" / "cnn-course")
    digits = mine / "mnist_5k.npz"
    if not digits.is_file():
        digits = work / "cache" / "mnist_5k.npz"
        script = "from helpers import datasets; datasets.bundled_digits()"
        subprocess.run(
            [sys.executable, "-c", script],
            env=dict(env, COURSE_CACHE=str(digits.parent)),
            capture_output=True,
            check=False,
            timeout=300,
        )
    if digits.is_file():
        files[".cache/cnn-course/mnist_5k.npz"] = str(digits)
    return files


def max_score(nb: nbformat.NotebookNode) -> float:
    return float(
        sum(
            c.get("metadata", {}).get("nbgrader", {}).get("points", 0)
            for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")
        )
    )


def hidden_paths(
    course: Path, work: Path, submissions: Path, out: Path, extra: list[str]
) -> list[str]:
    """Folders a kernel must not see: the course, the work folder, submissions, output,
    the gradebook's folder and the grader's home."""
    paths = [course, work, submissions, out]
    gradebook = os.environ.get("COURSE_GRADEBOOK", "")
    if gradebook.startswith("sqlite:///"):
        paths.append(Path(gradebook[len("sqlite:///") :]).parent)
    home = Path.home()
    if str(home) not in ("/", ""):
        paths.append(home)
    paths += [Path(p) for p in extra]
    hidden = sorted({str(p.resolve()) for p in paths if p.resolve() != Path("/")})
    # every grading run's folder, this one's and any other's ("*" is a prefix)
    return [*hidden, str(Path(tempfile.gettempdir()).resolve() / WORK_PREFIX) + "*"]


def shared_data() -> dict[str, str]:
    """Data a kernel may read from the grader's account, by the name it gets in the kernel's
    home: the Keras caches (data sets, pretrained weights) an instructor pre-seeded."""
    keras = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    return {
        f".keras/{sub}": str(keras / sub)
        for sub in ("datasets", "models")
        if (keras / sub).is_dir()
    }


def kept_paths() -> list[str]:
    """What a kernel needs from inside hidden folders (mounted back read-only): this Python,
    ``helpers``, the shared data and ``COURSE_WEIGHTS_DIR``."""
    keep = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    keep.update(library_folders())
    keep.update(helpers_folders())
    keep.update(shared_data().values())
    weights = os.environ.get("COURSE_WEIGHTS_DIR", "")
    if weights and Path(weights).is_dir():
        keep.add(weights)
    # A link (a venv linked into an instructor's copy, say) is kept with what it points to:
    # the kernel's imports go to the real files.
    return sorted(keep | {str(Path(p).resolve()) for p in keep})


def library_folders() -> set[str]:
    """The folders of installed packages on this Python's path that lie outside its prefix
    (another environment's site-packages that a ``.pth`` file adds, say). Only package
    folders: a course or project folder on the path is never kept."""
    folders = set()
    for entry in sys.path:
        parts = Path(entry).resolve().parts if entry else ()
        if Path(entry).is_dir() and any(
            p in ("site-packages", "dist-packages") or re.fullmatch(r"python3\.\d+", p)
            for p in parts
        ):
            folders.add(entry)
    return folders


def helpers_folders() -> set[str]:
    """Every folder ``import helpers`` can come from: the one this process found (the
    course's, from its working folder) and the one each import hook would give a kernel,
    which starts elsewhere (an editable install's finder points at its own clone)."""
    folders = set()
    spec = importlib.util.find_spec("helpers")
    if spec and spec.origin:
        folders.add(str(Path(spec.origin).parent))
    for finder in sys.meta_path:
        with contextlib.suppress(Exception):
            spec = finder.find_spec("helpers", None)  # type: ignore[attr-defined]
            if spec and spec.origin:
                folders.add(str(Path(spec.origin).parent))
    return folders


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "submissions", type=Path, help="nbgrader submitted/ folder or a flat download"
    )
    parser.add_argument("out", type=Path, help="folder for grades.csv, feedback/ and the report")
    parser.add_argument("--roster", type=Path, help="CSV (student_id column) or one id a line")
    parser.add_argument(
        "--workers", type=int, default=cores(), help="parallel notebooks (default: cores)"
    )
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds per notebook (default 600)"
    )
    parser.add_argument(
        "--cell-timeout",
        type=int,
        default=0,
        help="seconds per cell (default: nbgrader_config.py's)",
    )
    parser.add_argument(
        "--memory", type=int, default=6144, help="memory cap per kernel, MiB (default 6144)"
    )
    parser.add_argument(
        "--output-mb",
        type=int,
        default=64,
        help="output a notebook may produce while graded, MiB (default 64; 16 per cell)",
    )
    parser.add_argument(
        "--sandbox",
        choices=sandbox.LEVELS,
        default="auto",
        help="isolation level (default: strongest available)",
    )
    parser.add_argument("--lessons", nargs="*", help="lessons to grade (default: those submitted)")
    parser.add_argument("--layout", choices=("auto", "nbgrader", "flat"), default="auto")
    parser.add_argument("--course", type=Path, default=COURSE, help=argparse.SUPPRESS)
    parser.add_argument(
        "--hide", action="append", default=[], help="another folder kernels must not see"
    )
    parser.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    parser.add_argument(
        "--run-all",
        action="store_true",
        help="also run the demonstration cells no graded cell depends on (slower, same grades)",
    )
    parser.add_argument(
        "--cold-kernels",
        action="store_true",
        help="start every kernel from scratch instead of forking it warm (grading.zygote)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on the workers of this Dask scheduler (tcp://HOST:PORT; see "
        "docs/grading-on-a-cluster.md)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep what OUT/journal.jsonl says an earlier run of the same notebooks finished",
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary work folder")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    return parser.parse_args(argv)


def kernel_settings(args: argparse.Namespace) -> dict[str, str]:
    """Environment every grading kernel gets on top of the sandbox's: its share of the cores."""
    threads = str(max(1, cores() // max(1, args.workers)))
    return {
        **(
            {"COURSE_WEIGHTS_DIR": os.environ["COURSE_WEIGHTS_DIR"]}
            if "COURSE_WEIGHTS_DIR" in os.environ
            else {}
        ),
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": "1" if args.workers > 1 else threads,
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
    }


def make_jobs(args: argparse.Namespace, found: list[intaking.Submission], ctx: dict) -> list[dict]:
    """One job description per submission that has a notebook to grade."""
    jobs = []
    settings = kernel_settings(args)
    for index, submission in enumerate(found):
        if submission.path is None:
            continue
        lesson = submission.lesson
        name = f"j{index:05d}"
        job = {
            "index": index,
            "student": submission.student,
            "lesson": lesson,
            "path": str(submission.path.resolve()),
            "intake_notes": submission.notes,
            "intake_info": submission.info,
            "timestamp": submission.timestamp,
            "release": ctx["release_paths"][lesson],
            "releases": ctx["detect_paths"],
            "setup": ctx["setup"][lesson],
            "demonstrations": ctx["demonstrations"][lesson],
            "run_all": args.run_all,
            "max_score": ctx["max_scores"][lesson],
            "lesson_files": ctx["lesson_files"][lesson],
            "course_dir": str(ctx["work"] / "courses" / name),
            "kernel_dir": str(ctx["work"] / "kernels" / secrets.token_hex(12)),
            "config_file": str(ctx["master"] / "nbgrader_config.py"),
            "gradebook": str(ctx["gradebook"]),
            "home_files": ctx["home_files"],
            "home_links": shared_data(),
            "timeout": args.timeout,
            "cell_timeout": args.cell_timeout,
            "hard_limit": args.timeout + HARD_LIMIT_MARGIN,
            "memory_mb": args.memory,
            "output_mb": args.output_mb,
            "sandbox": ctx["level"],
            "hide": ctx["hide"],
            "keep": ctx["keep"],
            "as_nobody": ctx["as_nobody"],
            "kernel_env": settings,
            "zygote": ctx["zygote"],
            "pgid_file": str(ctx["work"] / "jobs" / f"{name}.pgid"),
            "result": str(ctx["work"] / "jobs" / f"{name}.json"),
            "log": str(ctx["logs"] / f"{name}.log"),
            "job_file": str(ctx["work"] / "jobs" / f"{name}.job.json"),
            "out": str(args.out.resolve()),
            "feedback": not args.no_feedback,
        }
        Path(job["job_file"]).write_text(json.dumps(job))
        jobs.append(job)
    return jobs


def not_graded(submission: intaking.Submission, most: float) -> dict[str, Any]:
    """The result for a submission with nothing to grade (missing, invalid, or a file that
    could be someone else's: flagged, with no score until someone looks)."""
    return {
        "student": submission.student,
        "lesson": submission.lesson,
        "status": submission.status,
        "score": None if submission.status in ("error", "flagged") else 0.0,
        "max_score": most,
        "exercises": {},
        "repairs": [],
        "flags": list(submission.flags),
        "notes": submission.notes + submission.info,
        "problem": submission.problem,
    }


def with_intake_flags(result: dict[str, Any], submission: intaking.Submission) -> dict[str, Any]:
    """A graded result, flagged for review when intake found a file that may also be this
    student's (and was graded for no one)."""
    if submission.path is not None and submission.flags:
        result["flags"] = list(result.get("flags") or []) + submission.flags
        if result.get("status") in ("graded", "repaired"):
            result["status"] = "flagged"
    return result


def snapshot(found: intaking.Intake, folder: Path) -> None:
    """Copy every notebook to grade into ``folder``, read without following a link (so that
    nothing a student changes in the submissions folder from now on is graded); a notebook
    that cannot be read so is ``invalid``."""
    folder.mkdir(mode=0o700)
    for index, submission in enumerate(found.submissions):
        if submission.path is None:
            continue
        try:
            data = intaking.read_submission(found.root, submission.path)
        except OSError as error:
            submission.path, submission.status = None, "invalid"
            submission.problem = f"the notebook cannot be read: {error.strerror or error}"
            continue
        copy = folder / f"s{index:05d}.ipynb"
        copy.write_bytes(data)
        submission.path = copy


def grade_class(args: argparse.Namespace) -> tuple[Path, str]:
    """Grade everything; return the path of grades.csv and the summary."""
    started = time.perf_counter()
    processes.undumpable()  # this process holds every lesson's hidden tests
    processes.become_subreaper()  # whatever a kernel detaches ends up here at worst
    course = args.course.resolve()
    lessons = released_lessons(course)
    if not lessons:
        raise GradingError(f"{course} has no lessons (solutions/<id>/<id>.ipynb)")
    unknown = [lesson for lesson in args.lessons or [] if lesson not in lessons]
    if unknown:
        raise GradingError(f"not lessons of this course: {unknown}; choose from {lessons}")
    roster = intaking.read_roster(args.roster) if args.roster else None
    detect_paths = {
        lesson: str(course / "solutions" / lesson / f"{lesson}.ipynb") for lesson in lessons
    }
    found = intaking.collect(
        args.submissions.resolve(),
        lessons,
        roster,
        args.layout,
        {k: nbformat.read(v, as_version=4) for k, v in detect_paths.items()},
        args.lessons,
    )
    # the released lessons someone sent (or --lessons): a folder a student named is no lesson
    sent = {s.lesson for s in found.submissions if s.status != "missing"}
    graded_lessons = list(args.lessons or [lesson for lesson in lessons if lesson in sent])
    found.submissions = [s for s in found.submissions if s.lesson in graded_lessons]
    if not args.lessons and set(lessons) - sent:
        nobody = ", ".join(lesson for lesson in lessons if lesson not in sent)
        found.warnings.append(
            f"nobody sent {nobody}: not graded (--lessons {nobody.split(', ')[0]} grades it, "
            "as missing for everyone)"
        )
    for warning in found.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    # on a cluster each Dask worker resolves the level for itself
    level = args.sandbox if args.scheduler else sandbox.resolve_level(args.sandbox)
    if not args.scheduler:
        isolation = sandbox.isolation(level)
        if level == "process" and not isolation["kernels_apart"] and args.workers > 1:
            print(f"warning: {isolation['why_one_worker']}; grading with 1 worker", file=sys.stderr)
            args.workers = 1
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = tool_env()
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX))
    try:
        os.chmod(work, 0o711)
        for sub, mode in (("courses", 0o700), ("kernels", 0o711), ("jobs", 0o700), ("logs", 0o700)):
            (work / sub).mkdir(mode=mode)
        snapshot(found, work / "intake")
        master = work / "master"
        broken = release(course, master, graded_lessons)
        for lesson, why in broken.items():
            print(f"warning: lesson {lesson} could not be released: {why}", file=sys.stderr)
        gradebook = master / "gradebook.db"
        for submission in found.submissions:
            if submission.lesson in broken and submission.path is not None:
                submission.path, submission.status = None, "error"
                submission.problem = (
                    f"the lesson could not be released: {broken[submission.lesson]}"
                )
        graded_lessons = [lsn for lsn in graded_lessons if lsn not in broken]
        release_paths = {
            lsn: str(master / "lessons" / lsn / f"{lsn}.ipynb") for lsn in graded_lessons
        }
        releases = {lsn: nbformat.read(p, as_version=4) for lsn, p in release_paths.items()}
        detect_paths.update(release_paths)
        ctx = {
            "work": work,
            "master": master,
            "gradebook": gradebook,
            "logs": work / "logs",
            "release_paths": release_paths,
            "detect_paths": detect_paths,
            "setup": {
                lsn: [c.source for c in nb.cells if is_setup(c)] for lsn, nb in releases.items()
            },
            "demonstrations": {
                lsn: sorted(slicing.demonstration_sources(nb)) for lsn, nb in releases.items()
            },
            "max_scores": {lsn: max_score(nb) for lsn, nb in releases.items()},
            "lesson_files": {
                lsn: [str(p) for p in (master / "lessons" / lsn).iterdir() if p.suffix != ".ipynb"]
                for lsn in graded_lessons
            },
            "home_files": {}
            if args.scheduler
            else warm_caches(
                work,
                env,
                "".join(
                    (course / "solutions" / lsn / f"{lsn}.ipynb").read_text()
                    for lsn in graded_lessons
                ),
            ),
            "level": level,
            "hide": hidden_paths(course, work, args.submissions, out, args.hide),
            "keep": kept_paths(),
            "as_nobody": level != "none" and sandbox.nobody_can_run_python(),
        }
        warm = zygote.Server(
            work / "zygote", sandbox.kernel_env(env, work / "zygote", kernel_settings(args))
        )
        with contextlib.ExitStack() as stack:
            records = stack.enter_context(journal.Journal(out, args.resume, args.sandbox))
            local = level != "none" and not args.scheduler
            cgroup = stack.enter_context(processes.batch_cgroup()) if local else ""
            env[processes.CGROUP_ENV] = cgroup  # each kernel's pids cgroup goes in there
            cold = level == "none" or args.cold_kernels or bool(args.scheduler)
            ctx["zygote"] = "" if cold else stack.enter_context(warm)
            kernels = "warm (forked from a preloaded server)" if ctx["zygote"] else "cold"
            if ctx["zygote"]:
                env[zygote.TOKEN_ENV] = warm.token  # for the workers' kernel managers only
            if warm.problem:
                print(f"warning: {warm.problem}; kernels start cold", file=sys.stderr)
            jobs = make_jobs(args, found.submissions, ctx)
            graded = {job["index"]: r for job in jobs if (r := records.done(job)) is not None}
            todo = [job for job in jobs if job["index"] not in graded]
            progress = records.recording(pool.Progress(len(todo), quiet=args.quiet))
            if not args.quiet:
                where = (
                    f"on {args.scheduler}" if args.scheduler else f"with {args.workers} worker(s)"
                )
                print(
                    f"Grading {len(todo)} notebook(s) of {len({s.student for s in found.submissions})} "
                    f"student(s) {where}; sandbox: {level}"
                    + (f" ({len(graded)} graded before: --resume)" if graded else ""),
                    file=sys.stderr,
                )
            if args.scheduler:
                from grading import cluster

                ran, on_cluster = cluster.run(todo, ctx, args, progress)
            else:
                ran = pool.run(todo, args.workers, progress, env)
            graded.update({job["index"]: r for job, r in zip(todo, ran, strict=True)})
        results = [
            with_intake_flags(graded[i], s)
            if i in graded
            else not_graded(s, ctx["max_scores"].get(s.lesson, 0.0))
            for i, s in enumerate(found.submissions)
        ]
        failed_logs = [job for job in todo if graded[job["index"]]["status"] == "error"]
        if failed_logs:
            (out / "logs").mkdir(exist_ok=True)
            for job in failed_logs:
                shutil.copy2(job["log"], out / "logs" / f"{job['student']}--{job['lesson']}.log")
    finally:
        processes.kill_descendants()  # a process a kernel detached, adopted by this one
        if args.keep_work:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    run = {
        "seconds": time.perf_counter() - started,
        **(
            on_cluster
            if args.scheduler
            else {
                "workers": args.workers,
                "sandbox": sandbox.describe(level),
                "isolation": sandbox.isolation_lines(
                    level, ctx["as_nobody"], bool(cgroup), args.workers
                ),
                "kernels": kernels,
            }
        ),
        "layout": found.layout,
        "timeout": args.timeout,
        "memory_mb": args.memory,
        "warnings": found.warnings,
    }
    csv_path = report.write_csv(results, out)
    report.write_report(results, out, run)
    report.write_notices(results, out)
    report.plot(results, out / "score_distribution.png")
    text = report.summary(results, run)
    (out / "summary.txt").write_text(text + "\n")
    return csv_path, text


def grade(submissions: Path, out: Path, *options: str) -> Path:
    """Autograde ``submissions`` into ``out``; return the path of grades.csv."""
    return grade_class(parse_args([str(submissions), str(out), *options]))[0]


def summarize(csv_path: Path) -> str:
    """One line per row of grades.csv: student, lesson, status, score / max."""
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return "\n".join(
        f"{r['student_id']:>20}  {r['assignment']:<24} {r['status']:<9} {r['score'] or '-':>6} / {r['max_score']}"
        for r in rows
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        csv_path, text = grade_class(args)
    except (GradingError, intaking.IntakeError, RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(text)
    print(f"Grades: {csv_path}\nFeedback: {args.out / 'feedback'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
