"""Autograde a folder of submissions and write grades.csv plus per-student feedback HTML.

Usage (or ``make grade SUBMISSIONS=<dir> OUT=<dir>``)::

    python -m grading.autograde SUBMISSIONS OUT

``SUBMISSIONS`` is laid out like nbgrader's ``submitted/`` folder::

    SUBMISSIONS/<student>/<lesson>/<notebook>.ipynb

Grading happens in a temporary copy of the course, so the repository and the submissions
folder are never written to. Notebooks run at the quick profile (nbgrader sets
``NBGRADER_EXECUTION``) with the network-dependent loaders switched off.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

COURSE = Path(__file__).resolve().parent.parent


class GradingError(RuntimeError):
    """Raised for a submissions folder that cannot be graded at all."""


def find_submissions(submissions: Path, lessons: set[str]) -> dict[str, list[str]]:
    """Map each lesson to the students who submitted it; reject a folder that is laid out wrongly."""
    if not submissions.is_dir():
        raise GradingError(f"{submissions} is not a folder of submissions")
    found: dict[str, list[str]] = {}
    unknown: set[str] = set()
    for student in sorted(
        p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        for lesson in sorted(
            p for p in student.iterdir() if p.is_dir() and not p.name.startswith(".")
        ):
            if lesson.name not in lessons:
                unknown.add(lesson.name)
                continue
            found.setdefault(lesson.name, []).append(student.name)
    if not found:
        raise GradingError(
            f"no submissions in {submissions}: expected <student>/<lesson>/<notebook>.ipynb "
            f"with a lesson among {sorted(lessons)}"
            + (f" (found folders {sorted(unknown)})" if unknown else "")
        )
    for name in sorted(unknown):
        print(f"warning: {name!r} is not a lesson of this course; skipped.", file=sys.stderr)
    return found


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one nbgrader command in the temporary course folder."""
    # nbgrader runs `alembic` by name when it creates a gradebook: put this Python's bin first.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = dict(os.environ, PATH=path, COURSE_OFFLINE="1", MPLBACKEND="Agg", COURSE_PROFILE="quick")
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def prepare_course(work: Path) -> None:
    """Copy what nbgrader needs (config, sources, releases) into ``work``."""
    shutil.copy2(COURSE / "nbgrader_config.py", work / "nbgrader_config.py")
    for folder in ("solutions", "lessons"):
        shutil.copytree(
            COURSE / folder,
            work / folder,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )


def grade(submissions: Path, out: Path) -> Path:
    """Autograde every submission; return the path of the grades CSV."""
    lessons = {p.name for p in (COURSE / "solutions").iterdir() if p.is_dir()}
    found = find_submissions(submissions, lessons)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cnn-grade-") as tmp:
        work = Path(tmp)
        prepare_course(work)
        shutil.copytree(
            submissions,
            work / "submitted",
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
        for lesson, students in sorted(found.items()):
            steps = [
                ("generate_assignment", lesson, "--force"),
                ("autograde", lesson, "--create", "--force"),
                ("generate_feedback", lesson, "--force"),
            ]
            for step in steps:
                result = nbgrader(work, *step)
                if result.returncode != 0:
                    print(result.stdout + result.stderr, file=sys.stderr)
                    if step[0] != "autograde":  # one bad notebook must not stop the others
                        raise GradingError(
                            f"nbgrader {step[0]} {lesson} failed (exit {result.returncode})"
                        )
            print(f"{lesson}: graded {len(students)} submission(s)")
        csv_path = out / "grades.csv"
        result = nbgrader(work, "export", "--to", str(csv_path.resolve()))
        if result.returncode != 0:
            raise GradingError("nbgrader export failed:\n" + result.stdout + result.stderr)
        if (work / "feedback").exists():
            shutil.copytree(work / "feedback", out / "feedback", dirs_exist_ok=True)
    return csv_path


def summarize(csv_path: Path) -> str:
    """One line per submission: student, lesson, score / max."""
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    lines = [
        f"{r['student_id']:>20}  {r['assignment']:<24} {float(r['score']):6.1f} / "
        f"{float(r['max_score']):.1f}"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "submissions", type=Path, help="folder laid out <student>/<lesson>/<notebook>.ipynb"
    )
    parser.add_argument("out", type=Path, help="folder for grades.csv and feedback/")
    args = parser.parse_args(argv)
    try:
        csv_path = grade(args.submissions, args.out)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summarize(csv_path))
    print(f"Grades: {csv_path}\nFeedback: {args.out / 'feedback'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
