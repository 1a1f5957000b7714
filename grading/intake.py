"""Find each student's notebook for each lesson, in the layouts instructors receive.

* **nbgrader** layout: ``SUBMISSIONS/<student>/<lesson>/<lesson>.ipynb`` (a ``submitted/``
  folder, or a course folder that holds one). A lesson folder with one notebook under
  another name (``01-convolution-Copy1.ipynb``) is matched; with several and none of the
  lesson's name, nothing is guessed. Every other file in the folder is ignored and noted.
* **flat** layout (an LMS download): ``.ipynb`` files under ``SUBMISSIONS``. A file belongs
  to the student the LMS named in it, read by that LMS's own naming rule, never to whichever
  roster id happens to occur somewhere in the name (the part after the LMS's prefix is the
  student's own file name, which anyone can choose):

  ==============  =====================================================  =================
  LMS             name (or name of the top folder)                       the student
  ==============  =====================================================  =================
  Moodle          ``Full Name_12345_assignsubmission_file_<file>``       ``12345`` or the
                                                                         full name
  Canvas          ``login[_LATE]_12345_67890_<file>``                    ``login`` or
                                                                         ``12345``
  Blackboard      ``<assignment>_<login>_attempt_<YYYY-MM-DD-HH-MM-SS>``  ``<login>``
                  ``[_<file>]``
  this course     ``<id>_<lesson>[...].ipynb`` (``_``, ``-`` or a space),  ``<id>``
                  ``<lesson>/<id>.ipynb``, ``<id>/<any name>.ipynb``
  ==============  =====================================================  =================

  With a roster, the student is the roster id equal (ignoring case) to one of those fields;
  without one, the first field named. The course's own rules are read only when no LMS rule
  matches. A file whose name could belong to two students (the Moodle name is one student's
  id, the number another's; a Blackboard login that ends another login) is graded for
  neither and ``flagged`` for review on both rows. The lesson is the lesson id in the name,
  else the one whose cells the notebook holds: that look is bounded (the first
  :data:`DETECT_CELLS` cells, :data:`DETECT_CHARS` characters of each, exact matches only),
  so a huge notebook cannot stall the batch. Of two files for one student and lesson, the
  newest counts.

A symbolic link is never followed: a student folder, lesson folder or notebook that is a
link (a folder that leads into another student's, a notebook that is another student's or a
system file) makes the submission ``invalid``, with the reason. Notebooks are read through
:func:`read_submission`, which refuses a link in any part of the path and files over
:data:`MAX_NOTEBOOK_BYTES`.

The lessons graded are the course's released lessons, or those given with ``--lessons``;
never folder or file names a student chose (a folder ``99-fake`` is ignored and noted).
With a roster, every student on it appears in the result for every lesson, those who sent
nothing with a ``missing`` entry. Students who are not on the roster are graded and noted.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

IGNORED_DIRS = {".ipynb_checkpoints", "__pycache__", "__MACOSX", ".git"}
# What nbgrader itself keeps beside a submission (submit and collect write both).
NBGRADER_FILES = {"timestamp.txt", "submission_secret.txt"}
MAX_NOTEBOOK_BYTES = 64 * 2**20  # a lesson's notebook with its figures is a few MB
DETECT_CELLS = 400  # cells looked at to recognize the lesson of a renamed notebook
DETECT_CHARS = 4000  # characters of each of those cells compared


class IntakeError(RuntimeError):
    """The submissions folder cannot be read as a class at all."""


class UnsafePath(OSError):
    """A submission that cannot be read safely (a symbolic link, not a file, too large)."""


@dataclass
class Submission:
    """One student's notebook for one lesson, or why there is none."""

    student: str
    lesson: str
    path: Path | None = None
    notes: list[str] = field(default_factory=list)  # what had to be fixed to find it
    info: list[str] = field(default_factory=list)  # remarks that are not repairs
    status: str | None = None  # "missing", "invalid" or "flagged" when nothing is graded
    problem: str | None = None
    timestamp: str | None = None
    flags: list[str] = field(default_factory=list)  # for review, even if graded


@dataclass
class Intake:
    """What :func:`collect` found: submissions, and files or folders it could not place."""

    layout: str
    submissions: list[Submission]
    warnings: list[str] = field(default_factory=list)
    root: Path | None = None  # the folder the submissions' paths are under


# --------------------------------------------------------------------------- reading safely


def read_submission(root: Path, path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The bytes of ``path`` (under ``root``), opened one component at a time without
    following a symbolic link anywhere below ``root``; :class:`UnsafePath` otherwise."""
    parts = path.relative_to(root).parts
    if not parts or ".." in parts:
        raise UnsafePath(errno.EINVAL, f"{path} is not under {root}")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            try:
                child = os.open(part, flags | (0 if last else os.O_DIRECTORY), dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    where = "/".join(parts[: index + 1])
                    raise UnsafePath(
                        errno.ELOOP, f"{where} is a symbolic link (links are not followed)"
                    ) from None
                raise
            os.close(fd)
            fd = child
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePath(errno.EINVAL, f"{'/'.join(parts)} is not a regular file")
        if info.st_size > limit:
            raise UnsafePath(
                errno.EFBIG, f"the file is larger than {limit // 2**20} MB ({info.st_size} bytes)"
            )
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise UnsafePath(errno.EFBIG, f"the file is larger than {limit // 2**20} MB")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def link_in_path(root: Path, path: Path) -> str | None:
    """The first part of ``path`` below ``root`` that is a symbolic link, as text, or None."""
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            return f"{current.relative_to(root).as_posix()} is a symbolic link"
    return None


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
    """Every ``.ipynb`` under ``folder`` (files and links to anything), outside checkpoint and
    hidden folders; folders that are links are not entered."""
    found = []
    for current, dirs, files in os.walk(folder):  # os.walk does not enter linked folders
        relative = Path(current).relative_to(folder).parts
        if IGNORED_DIRS & set(relative):
            dirs[:] = []
            continue
        found += [
            Path(current) / name
            for name in files + [d for d in dirs if (Path(current) / d).is_symlink()]
            if name.endswith(".ipynb") and not name.startswith(".")
        ]
    return sorted(found)


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
    releases: dict | None = None,
    only: list[str] | None = None,
) -> Intake:
    """All submissions in ``folder`` (see the module docstring).

    ``lessons`` are the course's released lessons, all of them graded unless ``only`` names
    some; ``releases`` (lesson -> released notebook) lets a flat file be recognized by its
    cells.
    """
    if not folder.is_dir():
        raise IntakeError(f"{folder} is not a folder of submissions")
    if layout == "auto":
        layout, folder = detect_layout(folder, lessons)
    elif layout == "nbgrader" and (folder / "submitted").is_dir():
        folder = folder / "submitted"
    if layout == "nbgrader":
        found, warnings, whole = from_nbgrader(folder, lessons)
    else:
        found, warnings, whole = from_flat(folder, lessons, roster, releases or {})
    graded_lessons = list(only) if only else list(lessons)
    found = [s for s in found if s.lesson in graded_lessons]
    if not found and not whole and not roster:
        raise IntakeError(
            f"no submissions in {folder}: expected <student>/<lesson>/<notebook>.ipynb "
            f"(nbgrader's layout) or <student>_<lesson>.ipynb files, with a lesson among "
            f"{lessons}" + (f" ({'; '.join(warnings)})" if warnings else "")
        )
    students = list(roster or [])
    for student in [s.student for s in found] + list(whole):
        if student not in students:
            students.append(student)
            if roster is not None:
                for submission in found:
                    if submission.student == student:
                        submission.info.append("not on the roster")
    by_key: dict[tuple[str, str], Submission] = {}
    for submission in found:
        key = (submission.student, submission.lesson)
        if key in by_key:  # a flag on a lesson the student also sent a file for
            by_key[key].flags += submission.flags
        else:
            by_key[key] = submission
    result = []
    for student in students:
        for lesson in graded_lessons:
            submission = by_key.get((student, lesson))
            if student in whole:
                submission = Submission(student, lesson, status="invalid", problem=whole[student])
            elif submission is None:
                submission = Submission(student, lesson, status="missing", problem="no submission")
            result.append(submission)
    return Intake(layout, result, warnings, folder)


# --------------------------------------------------------------------------- nbgrader layout


def from_nbgrader(
    folder: Path, lessons: list[str]
) -> tuple[list[Submission], list[str], dict[str, str]]:
    """Submissions laid out ``<student>/<lesson>/<notebook>.ipynb``; also the students whose
    whole folder is refused (a link), with the reason."""
    found, unknown, whole = [], set(), {}
    for student_dir in sorted(os.scandir(folder), key=lambda e: e.name):
        if student_dir.name.startswith(".") or student_dir.name in IGNORED_DIRS:
            continue
        if student_dir.is_symlink():
            if student_dir.is_dir():  # a link to a folder: to someone else's, perhaps
                whole[student_dir.name] = (
                    f"the folder {student_dir.name}/ is a symbolic link (links are not followed)"
                )
            continue
        if not student_dir.is_dir(follow_symlinks=False):
            continue
        for lesson_dir in sorted(os.scandir(student_dir.path), key=lambda e: e.name):
            if lesson_dir.name.startswith(".") or lesson_dir.name in IGNORED_DIRS:
                continue
            if not lesson_dir.is_dir():
                continue
            if lesson_dir.name not in lessons:
                unknown.add(lesson_dir.name)
                continue
            if lesson_dir.is_symlink():
                found.append(
                    Submission(
                        student_dir.name,
                        lesson_dir.name,
                        status="invalid",
                        problem=f"the folder {student_dir.name}/{lesson_dir.name}/ is a "
                        "symbolic link (links are not followed)",
                    )
                )
                continue
            found.append(pick_notebook(student_dir.name, lesson_dir.name, Path(lesson_dir.path)))
    warnings = [f"{name!r} is not a lesson of this course: skipped" for name in sorted(unknown)]
    return found, warnings, whole


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
    if submission.path is not None and (link := link_in_path(folder, submission.path)):
        submission.path, submission.status = None, "invalid"
        submission.problem = f"{lesson}/{link} (links are not followed)"
    stray = [
        p.relative_to(folder).as_posix()
        for p in sorted(folder.rglob("*"))
        if (p.is_file() or p.is_symlink())
        and p != submission.path
        and p not in notebooks
        and p.name not in NBGRADER_FILES
        and not (IGNORED_DIRS & set(p.relative_to(folder).parts[:-1]))
    ]
    if stray:
        shown = ", ".join(stray[:5]) + (" ..." if len(stray) > 5 else "")
        submission.notes.append(f"ignored {len(stray)} other file(s): {shown}")
    try:
        stamp = read_submission(folder, folder / "timestamp.txt", limit=4096)
        submission.timestamp = stamp.decode("utf-8", "replace").strip()[:64]
    except OSError:
        pass  # none, or not a plain file
    return submission


# --------------------------------------------------------------------------- flat layout


def token_pattern(text: str) -> re.Pattern[str]:
    """``text`` as a whole token (not inside a longer id), case-insensitive."""
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(text) + r"(?![A-Za-z0-9])", re.I)


def lesson_variants(lesson: str) -> list[str]:
    return [lesson, lesson.replace("-", "_"), lesson.replace("-", " ")]


def lesson_in_name(name: str, lessons: list[str]) -> str | None:
    """The lesson id a file name contains (``01-convolution``, ``01_convolution``)."""
    for lesson in sorted(lessons, key=len, reverse=True):
        if any(token_pattern(v).search(name) for v in lesson_variants(lesson)):
            return lesson
    return None


MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$", re.I)
CANVAS = re.compile(r"^(?P<login>[^_/]+)(?:_late)?_(?P<id>\d+)_\d+_(?P<file>.+)$", re.I)
BLACKBOARD = re.compile(r"^(?P<head>.+)_attempt_\d{4}(?:-\d\d){5}(?:_(?P<file>.*))?$")


def lms_fields(name: str) -> tuple[str, list[list[str]], str] | None:
    """For a name an LMS made: (the LMS, the fields that may name the student, each as a list
    of alternatives in order of preference, the student's own file name); None otherwise."""
    stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    if match := MOODLE.match(stem):
        return "Moodle", [[match["id"], match["name"]]], match["file"]
    if match := CANVAS.match(stem):
        return "Canvas", [[match["login"], match["id"]]], match["file"]
    if match := BLACKBOARD.match(stem):
        head = match["head"]  # "<assignment>_<login>": the login may hold "_" too
        segments = head.split("_")
        tails = ["_".join(segments[i:]) for i in range(len(segments) - 1, 0, -1)]
        return "Blackboard", [tails], match["file"] or ""
    return None


def course_fields(relative: str, lessons: list[str]) -> list[str]:
    """The student a file name gives by the course's own rules (see the module docstring)."""
    parts = relative.split("/")
    stem = parts[-1][: -len(".ipynb")]
    found = []
    for lesson in sorted(lessons, key=len, reverse=True):
        for variant in lesson_variants(lesson):
            pattern = re.compile(
                r"^(?P<id>.+?)[_\- ]" + re.escape(variant) + r"(?![A-Za-z0-9])", re.I
            )
            if len(parts) == 1 and (match := pattern.match(stem)):
                found.append(match["id"])
        if len(parts) == 2 and parts[0].lower() in {v.lower() for v in lesson_variants(lesson)}:
            found.append(stem)  # <lesson>/<id>.ipynb
    if len(parts) == 2 and not found and lesson_in_name(parts[0], lessons) is None:
        found.append(parts[0])  # <id>/<any name>.ipynb
    return found


def owners(relative: str, lessons: list[str], roster: list[str] | None) -> tuple[set[str], str]:
    """The students a flat file may belong to (one, or several when the name is ambiguous)
    and the rule that said so."""
    top = relative.split("/")[0]
    lms = lms_fields(top if "/" in relative else relative)
    if lms is not None:
        rule, fields, _ = lms
        alternatives = [value for options in fields for value in options]
    else:
        rule, alternatives = "the course's naming", course_fields(relative, lessons)
    if roster is None:
        return ({alternatives[0]} if alternatives else set()), rule
    by_key = {student.casefold(): student for student in roster}
    return {by_key[a.casefold()] for a in alternatives if a.casefold() in by_key}, rule


def from_flat(
    folder: Path,
    lessons: list[str],
    roster: list[str] | None,
    releases: dict,
) -> tuple[list[Submission], list[str], dict[str, str]]:
    """Submissions as loose files named by student and lesson (see the module docstring)."""
    warnings: list[str] = []
    chosen: dict[tuple[str, str], Submission] = {}
    count: dict[tuple[str, str], int] = {}
    flagged: list[Submission] = []
    for path in notebooks_under(folder):
        name = path.relative_to(folder).as_posix()
        students, rule = owners(name, lessons, roster)
        if not students:
            where = "on the roster " if roster else ""
            warnings.append(f"{name}: names no student {where}by any LMS's rule; not graded")
            continue
        link = link_in_path(folder, path)
        lms = lms_fields(name.split("/")[0] if "/" in name else name)
        own_name = lms[2] if lms else name
        lesson = (
            lesson_in_name(own_name, lessons)
            or lesson_in_name(name, lessons)
            or (None if link else lesson_by_content(folder, path, releases))
        )
        if lesson is None:
            warnings.append(f"{name}: no lesson in its name or cells; not graded")
            continue
        if len(students) > 1:
            others = " or ".join(sorted(students))
            why = f"the file {name} could be {others}'s ({rule}): not graded; review it"
            flagged += [
                Submission(s, lesson, status="flagged", problem=why, flags=[why])
                for s in sorted(students)
            ]
            continue
        (student,) = students
        key = (student, lesson)
        count[key] = count.get(key, 0) + 1
        if link:
            chosen[key] = Submission(
                student, lesson, status="invalid", problem=f"{link} (links are not followed)"
            )
            count[key] = 1_000_000  # a link is never outdone by an older regular file
            continue
        current = chosen.get(key)
        if current is None or (
            current.path is not None and path.stat().st_mtime > current.path.stat().st_mtime
        ):
            chosen[key] = Submission(student, lesson, path)
    for key, n in count.items():
        if 1 < n < 1_000_000 and chosen[key].path is not None:
            newest = chosen[key].path.name
            chosen[key].notes.append(f"{n} files for this lesson: graded the newest ({newest})")
    found = list(chosen.values())
    for submission in flagged:
        key = (submission.student, submission.lesson)
        if key in chosen:
            chosen[key].flags += submission.flags
        else:
            found.append(submission)
    return found, warnings, {}


def lesson_by_content(folder: Path, path: Path, releases: dict) -> str | None:
    """The lesson whose tracked cells a notebook holds most of (None if unclear).

    Bounded work: the file is read once (at most :data:`MAX_NOTEBOOK_BYTES`), only its first
    :data:`DETECT_CELLS` cells are looked at, each by grade id or by an exact match of its
    first :data:`DETECT_CHARS` characters, in a set: linear in what is read, whatever the
    notebook holds.
    """
    if not releases:
        return None
    try:
        data = json.loads(read_submission(folder, path).decode("utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return None
    ids, sources = set(), set()
    for cell in cells[:DETECT_CELLS]:
        if not isinstance(cell, dict):
            continue
        grade_id = _grade_id(cell)
        if grade_id:
            ids.add(grade_id)
        sources.add(_source_key(cell.get("source", "")))
    best, best_score = None, 0.0
    for lesson, release in releases.items():
        tracked = [c for c in release.cells if _grade_id(c)]
        if not tracked:
            continue
        # grade ids recur across lessons ("setup", "ex1-tests"): an answer counts by its id,
        # any other cell by its text (and its id, where the notebook kept them)
        hits = sum(
            1
            for c in tracked
            if (_is_answer(c) and _grade_id(c) in ids)
            or (_source_key(c.get("source", "")) in sources and (not ids or _grade_id(c) in ids))
        )
        score = hits / len(tracked)
        if score > best_score:
            best, best_score = lesson, score
    return best if best_score >= 0.5 else None


def _grade_id(cell: dict) -> str:
    meta = cell.get("metadata", {})
    nbgrader = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    grade_id = nbgrader.get("grade_id", "") if isinstance(nbgrader, dict) else ""
    return grade_id if isinstance(grade_id, str) else ""


def _is_answer(cell: dict) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return isinstance(meta, dict) and bool(meta.get("solution"))


def _source_key(source: object) -> str:
    text = "".join(source) if isinstance(source, list) else str(source)
    return "\n".join(line.strip() for line in text[:DETECT_CHARS].strip().splitlines())
