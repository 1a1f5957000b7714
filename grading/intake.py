"""Find each student's notebook for each lesson, in the layouts instructors receive.

* **nbgrader** layout: ``SUBMISSIONS/<student>/<lesson>/<lesson>.ipynb`` (a ``submitted/``
  folder, or a course folder that holds one). A lesson folder with one notebook under
  another name (``01-convolution-Copy1.ipynb``) is matched; with several and none of the
  lesson's name, nothing is guessed. Every other file in the folder is ignored and noted.
* **flat** layout (an LMS download): ``.ipynb`` files anywhere under ``SUBMISSIONS``, each
  named by student id and lesson (``ada_01-convolution.ipynb``,
  ``ada_12345_assignsubmission_file_01-convolution.ipynb``, ``01-convolution/ada.ipynb``).
  The student is the roster id found in the name (without a roster: what is left of the name
  once the lesson is taken out); the lesson is the lesson id found in the name, else the one
  whose cells the notebook holds. Two files for one student and lesson: the newest counts.

With a roster, every student on it appears in the result for every lesson, those who sent
nothing with a ``missing`` entry. Students who are not on the roster are graded and noted.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading import repair

IGNORED_DIRS = {".ipynb_checkpoints", "__pycache__", "__MACOSX", ".git"}
# What nbgrader itself keeps beside a submission (submit and collect write both).
NBGRADER_FILES = {"timestamp.txt", "submission_secret.txt"}


class IntakeError(RuntimeError):
    """The submissions folder cannot be read as a class at all."""


@dataclass
class Submission:
    """One student's notebook for one lesson, or why there is none."""

    student: str
    lesson: str
    path: Path | None = None
    notes: list[str] = field(default_factory=list)  # what had to be fixed to find it
    info: list[str] = field(default_factory=list)  # remarks that are not repairs
    status: str | None = None  # "missing" or "invalid" when there is nothing to grade
    problem: str | None = None
    timestamp: str | None = None


@dataclass
class Intake:
    """What :func:`collect` found: submissions, and files or folders it could not place."""

    layout: str
    submissions: list[Submission]
    warnings: list[str] = field(default_factory=list)


def read_roster(path: Path) -> list[str]:
    """Student ids from a CSV with a header (``student_id``, ``id``, ``username``, ``login``
    or ``email`` column, else the first) or a plain list, one id a line."""
    text = path.read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines:
        return []
    if "," in lines[0] or ";" in lines[0] or "\t" in lines[0]:
        dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
        rows = list(csv.reader(lines, dialect))
        header = [h.strip().lower() for h in rows[0]]
        for name in ("student_id", "id", "username", "login", "email"):
            if name in header:
                column = header.index(name)
                break
        else:
            column = 0
        ids = [row[column].strip() for row in rows[1:] if len(row) > column]
    else:
        ids = [line.strip() for line in lines]
    seen: dict[str, None] = {}
    for student in ids:
        if student:
            seen.setdefault(student, None)
    return list(seen)


def notebooks_under(folder: Path) -> list[Path]:
    """Every ``.ipynb`` under ``folder``, outside checkpoint and hidden folders."""
    return sorted(
        p
        for p in folder.rglob("*.ipynb")
        if not (IGNORED_DIRS & set(p.relative_to(folder).parts[:-1]))
        and not p.name.startswith(".")
        and p.is_file()
    )


def detect_layout(folder: Path, lessons: list[str]) -> tuple[str, Path]:
    """('nbgrader' or 'flat', the folder to read)."""
    if (folder / "submitted").is_dir():
        return "nbgrader", folder / "submitted"
    for student in folder.iterdir():
        if student.is_dir() and not student.name.startswith("."):
            if any(child.is_dir() and child.name in lessons for child in student.iterdir()):
                return "nbgrader", folder
    if any(p.parent == folder for p in notebooks_under(folder)):
        return "flat", folder
    if any(folder.rglob("*.ipynb")) and not any(
        (d / lesson).is_dir() for d in folder.iterdir() if d.is_dir() for lesson in lessons
    ):
        return "flat", folder
    return "nbgrader", folder


def collect(
    folder: Path,
    lessons: list[str],
    roster: list[str] | None = None,
    layout: str = "auto",
    releases: dict[str, nbformat.NotebookNode] | None = None,
    only: list[str] | None = None,
) -> Intake:
    """All submissions in ``folder`` (see the module docstring).

    ``lessons`` are the course's lessons; ``only`` restricts grading to some of them (default:
    the lessons anyone submitted); ``releases`` lets a flat file be recognised by its cells.
    """
    if not folder.is_dir():
        raise IntakeError(f"{folder} is not a folder of submissions")
    if layout == "auto":
        layout, folder = detect_layout(folder, lessons)
    elif layout == "nbgrader" and (folder / "submitted").is_dir():
        folder = folder / "submitted"
    if layout == "nbgrader":
        found, warnings = from_nbgrader(folder, lessons)
    else:
        found, warnings = from_flat(folder, lessons, roster, releases or {})
    graded_lessons = list(only) if only else sorted({s.lesson for s in found})
    found = [s for s in found if s.lesson in graded_lessons]
    if not found and not roster:
        raise IntakeError(
            f"no submissions in {folder}: expected <student>/<lesson>/<notebook>.ipynb "
            f"(nbgrader's layout) or <student>_<lesson>.ipynb files, with a lesson among "
            f"{lessons}" + (f" ({'; '.join(warnings)})" if warnings else "")
        )
    students = list(roster or [])
    for submission in found:
        if submission.student not in students:
            students.append(submission.student)
            if roster is not None:
                submission.info.append("not on the roster")
    by_key = {(s.student, s.lesson): s for s in found}
    result = []
    for student in students:
        for lesson in graded_lessons:
            submission = by_key.get((student, lesson))
            if submission is None:
                submission = Submission(student, lesson, status="missing", problem="no submission")
            result.append(submission)
    return Intake(layout, result, warnings)


def from_nbgrader(folder: Path, lessons: list[str]) -> tuple[list[Submission], list[str]]:
    """Submissions laid out ``<student>/<lesson>/<notebook>.ipynb``."""
    found, unknown = [], set()
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if student_dir.name.startswith(".") or student_dir.name in IGNORED_DIRS:
            continue
        for lesson_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if lesson_dir.name.startswith(".") or lesson_dir.name in IGNORED_DIRS:
                continue
            if lesson_dir.name not in lessons:
                unknown.add(lesson_dir.name)
                continue
            found.append(pick_notebook(student_dir.name, lesson_dir.name, lesson_dir))
    warnings = [f"{name!r} is not a lesson of this course: skipped" for name in sorted(unknown)]
    return found, warnings


def pick_notebook(student: str, lesson: str, folder: Path) -> Submission:
    """The notebook in one ``<student>/<lesson>/`` folder, and notes on everything else."""
    submission = Submission(student, lesson)
    notebooks = notebooks_under(folder)
    exact = folder / f"{lesson}.ipynb"
    if exact in notebooks:
        submission.path = exact
        others = [p.relative_to(folder).as_posix() for p in notebooks if p != exact]
        if others:
            submission.notes.append(
                f"ignored {len(others)} other notebook(s): {', '.join(others[:5])}"
            )
    elif len(notebooks) == 1:
        submission.path = notebooks[0]
        submission.notes.append(f"graded the renamed notebook {notebooks[0].name}")
    elif not notebooks:
        submission.status, submission.problem = "missing", "the lesson folder holds no notebook"
    else:
        names = ", ".join(p.name for p in notebooks[:5])
        submission.status = "invalid"
        submission.problem = f"{len(notebooks)} notebooks and none named {lesson}.ipynb ({names})"
    stray = [
        p.relative_to(folder).as_posix()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and p != submission.path
        and p not in notebooks
        and p.name not in NBGRADER_FILES
        and not (IGNORED_DIRS & set(p.relative_to(folder).parts[:-1]))
    ]
    if stray:
        shown = ", ".join(stray[:5]) + (" ..." if len(stray) > 5 else "")
        submission.notes.append(f"ignored {len(stray)} other file(s): {shown}")
    stamp = folder / "timestamp.txt"
    if stamp.is_file():
        submission.timestamp = stamp.read_text().strip()[:64]
    return submission


def token_pattern(text: str) -> re.Pattern[str]:
    """``text`` as a whole token (not inside a longer id), case-insensitive."""
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(text) + r"(?![A-Za-z0-9])", re.I)


def lesson_in_name(name: str, lessons: list[str]) -> str | None:
    """The lesson id a file name contains (``01-convolution``, ``01_convolution``)."""
    for lesson in sorted(lessons, key=len, reverse=True):
        variants = {lesson, lesson.replace("-", "_"), lesson.replace("-", " ")}
        if any(token_pattern(v).search(name) for v in variants):
            return lesson
    return None


def from_flat(
    folder: Path,
    lessons: list[str],
    roster: list[str] | None,
    releases: dict[str, nbformat.NotebookNode],
) -> tuple[list[Submission], list[str]]:
    """Submissions as loose files named by student and lesson."""
    warnings: list[str] = []
    chosen: dict[tuple[str, str], Submission] = {}
    count: dict[tuple[str, str], int] = {}
    for path in notebooks_under(folder):
        name = path.relative_to(folder).as_posix()
        lesson = lesson_in_name(name, lessons) or lesson_by_content(path, releases)
        if lesson is None:
            warnings.append(f"{name}: no lesson in its name or cells; not graded")
            continue
        student = student_in_name(name, lesson, roster)
        if student is None:
            warnings.append(f"{name}: no student on the roster in its name; not graded")
            continue
        key = (student, lesson)
        count[key] = count.get(key, 0) + 1
        if key not in chosen or path.stat().st_mtime > chosen[key].path.stat().st_mtime:
            chosen[key] = Submission(student, lesson, path)
    for key, n in count.items():
        if n > 1:
            newest = chosen[key].path.name
            chosen[key].notes.append(f"{n} files for this lesson: graded the newest ({newest})")
    return list(chosen.values()), warnings


def student_in_name(name: str, lesson: str, roster: list[str] | None) -> str | None:
    """The student a flat file belongs to (see the module docstring)."""
    if roster:
        hits = [s for s in roster if token_pattern(s).search(name)]
        return max(hits, key=len) if hits else None
    stem = Path(name).with_suffix("").as_posix()
    for variant in (lesson, lesson.replace("-", "_")):
        stem = re.sub(re.escape(variant), " ", stem, flags=re.I)
    stem = re.sub(r"[-_ /.]+", " ", stem).strip()
    return stem.split(" ")[0] if stem else None


def lesson_by_content(path: Path, releases: dict[str, nbformat.NotebookNode]) -> str | None:
    """The lesson whose tracked cells a notebook holds most of (None if unclear)."""
    nb, _, problem = repair.read(path)
    if problem or not releases:
        return None
    scores = repair.detect_lesson(nb, releases)
    best = max(scores.items(), key=lambda item: item[1], default=(None, 0))
    return best[0] if best[1] >= 0.5 else None
