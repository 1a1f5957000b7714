"""Return ``make grade``'s feedback to students through nbgrader's exchange.

    make return-feedback OUT=<dir>           # after make grade SUBMISSIONS=submitted OUT=<dir>
    python -m grading.handback OUT [--lessons ID ...]

``nbgrader collect`` puts each submission in ``submitted/<student>/<lesson>/`` with nbgrader's
``timestamp.txt`` and ``submission_secret.txt``; ``make grade`` writes the feedback page of
each to ``OUT/feedback/<student>/<lesson>/<lesson>.html``. nbgrader's ``release_feedback``
publishes ``feedback/<student>/<lesson>/`` of the course under a name made from that secret,
which only the student's own *Fetch Feedback* can compute. This copies each page, with the
two files of its submission, into the course's ``feedback/`` and runs ``nbgrader
release_feedback`` for every lesson it touched. A page whose submission did not come
through the exchange (no secret: an LMS download) is listed and left alone.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

COURSE = Path(__file__).resolve().parent.parent
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")


@dataclass
class Handback:
    """What :func:`stage` did: pages staged per lesson, and pages it could not return."""

    staged: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def stage(out: Path, course: Path = COURSE, lessons: list[str] | None = None) -> Handback:
    """Copy ``out``'s feedback pages into ``course/feedback`` beside their submission's files."""
    done = Handback()
    for page in sorted((out / "feedback").glob("*/*/*.html")):
        lesson, student = page.parent.name, page.parent.parent.name
        if lessons and lesson not in lessons:
            continue
        submitted = course / "submitted" / student / lesson
        if not all((submitted / name).is_file() for name in NBGRADER_FILES):
            done.skipped.append(f"{student}/{lesson}: not collected through nbgrader's exchange")
            continue
        target = course / "feedback" / student / lesson
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(page, target / page.name)
        for name in NBGRADER_FILES:
            shutil.copy2(submitted / name, target / name)
        done.staged.setdefault(lesson, []).append(student)
    return done


def release(lessons: list[str], course: Path = COURSE) -> None:
    """``nbgrader release_feedback`` for each lesson, from the course folder."""
    for lesson in lessons:
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "release_feedback", lesson, "--log-level=WARN"],
            cwd=course,
            check=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m grading.handback OUT [--lessons ID ...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the OUT folder of make grade")
    parser.add_argument("--lessons", nargs="*", help="only these lessons (default: all graded)")
    args = parser.parse_args(argv)
    if not (args.out / "feedback").is_dir():
        print(
            f"{args.out}/feedback not found: run make grade OUT={args.out} first", file=sys.stderr
        )
        return 1
    done = stage(args.out, COURSE, args.lessons)
    for line in done.skipped:
        print(f"not returned: {line}")
    try:
        release(sorted(done.staged), COURSE)
    except subprocess.CalledProcessError as error:
        print(f"nbgrader release_feedback failed (exit {error.returncode})", file=sys.stderr)
        return 1
    for lesson, students in sorted(done.staged.items()):
        print(f"{lesson}: feedback released to {len(students)} student(s): {', '.join(students)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
