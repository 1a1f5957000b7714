"""Synthetic submissions built from the released and solution notebooks.

A *submission* here is the student notebook from ``lessons/`` with some answer cells
filled in from ``solutions/``: all of them (a perfect student), none (an untouched
notebook) or a chosen subset (partly right). The grading round-trip test and the grading
benchmark use them.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import nbformat

COURSE = Path(__file__).resolve().parent.parent
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def lessons(course: Path = COURSE) -> list[str]:
    """The lesson ids (nbgrader assignment names) that have a solution notebook."""
    return sorted(
        p.parent.name for p in (course / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name
    )


def notebook_path(lesson: str, folder: str = "solutions", course: Path = COURSE) -> Path:
    """``solutions/<lesson>/<lesson>.ipynb`` or the same under ``lessons/``."""
    return course / folder / lesson / f"{lesson}.ipynb"


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    """A cell's nbgrader metadata (empty for ordinary cells)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell: nbformat.NotebookNode) -> bool:
    """An autograded answer cell: the student writes code here."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("solution")) and not meta.get("grade")


def is_test(cell: nbformat.NotebookNode) -> bool:
    """An autograded test cell: worth points, checks the answers above it."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def exercises(nb: nbformat.NotebookNode) -> dict[str, list[nbformat.NotebookNode]]:
    """Each answer cell's grade id mapped to the test cells that follow it (before the next answer)."""
    found: dict[str, list[nbformat.NotebookNode]] = {}
    current = None
    for cell in nb.cells:
        if is_answer(cell):
            current = nbgrader_meta(cell)["grade_id"]
            found[current] = []
        elif is_test(cell) and current is not None:
            found[current].append(cell)
    return found


def points(nb: nbformat.NotebookNode) -> dict[str, float]:
    """Points each exercise (keyed by its answer cell's grade id) is worth."""
    return {
        answer: float(sum(nbgrader_meta(t).get("points", 0) for t in tests))
        for answer, tests in exercises(nb).items()
    }


def without_markers(source: str) -> str:
    """A solution cell's source with the ``### BEGIN/END SOLUTION`` lines removed."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def make_submission(
    lesson: str, answered: Collection[str] | None = None, course: Path = COURSE
) -> nbformat.NotebookNode:
    """The student notebook with the answers ``answered`` filled in (``None``: all of them).

    ``course`` is a course folder with ``lessons/`` (the released notebooks) and
    ``solutions/``; by default this repository."""
    student = nbformat.read(notebook_path(lesson, "lessons", course), as_version=4)
    solution = nbformat.read(notebook_path(lesson, "solutions", course), as_version=4)
    solved = {nbgrader_meta(c)["grade_id"]: c.source for c in solution.cells if is_answer(c)}
    for cell in student.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if is_answer(cell) and (answered is None or grade_id in answered):
            cell.source = without_markers(solved[grade_id])
    return student


def write_class(
    folder: Path,
    students: dict[str, dict[str, Collection[str] | None]],
    course: Path = COURSE,
) -> None:
    """Write ``folder/<student>/<lesson>/<lesson>.ipynb`` for each student's answered exercises."""
    for student, per_lesson in students.items():
        for lesson, answered in per_lesson.items():
            target = folder / student / lesson / f"{lesson}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(make_submission(lesson, answered, course), str(target))
