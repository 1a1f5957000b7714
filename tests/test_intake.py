"""Intake that cannot be gamed (grading.intake), without kernels.

A file belongs to the student its LMS named, by that LMS's rule; a file that could be two
students' is flagged, never given to one; a symbolic link is never followed; recognizing the
lesson of a renamed file is bounded work; only released lessons are graded. The batch-level
cases (links in nbgrader's layout, a 15 MB notebook) are in tests/hostile/cases.py.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from hostile import cases as hostile
from hostile.course import make_course

from grading import autograde, intake

LESSONS = ["00-other", "00-tiny"]


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("course") / "course", keras=False)
    master = root.parent / "master"
    assert autograde.release(root, master, LESSONS) == {}
    return {
        lesson: nbformat.read(master / "lessons" / lesson / f"{lesson}.ipynb", as_version=4)
        for lesson in LESSONS
    }


def write(folder: Path, files: dict[str, nbformat.NotebookNode | str]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.symlink_to(content)
        else:
            nbformat.write(content, str(path))


def owners(found: intake.Intake) -> dict[tuple[str, str], intake.Submission]:
    return {(s.student, s.lesson): s for s in found.submissions}


@pytest.mark.parametrize(
    "name, student",
    [
        ("Ada Lovelace_12345_assignsubmission_file_00-tiny.ipynb", "12345"),
        ("lovelaceada_12345_67890_00-tiny.ipynb", "lovelaceada"),
        ("lovelaceada_LATE_12345_67890_00-tiny.ipynb", "lovelaceada"),
        ("Homework 0_ada_attempt_2025-01-31-10-15-00_00-tiny.ipynb", "ada"),
        ("ada_00-tiny.ipynb", "ada"),
        ("ada-00_tiny (1).ipynb", "ada"),
    ],
)
def test_each_lms_rule_names_the_student(name, student):
    students, _ = intake.owners(name, LESSONS, None)
    assert students == {student}


def test_a_file_belongs_to_the_student_the_lms_named_not_to_an_id_in_its_name(tmp_path, releases):
    """Eve names her upload after Ada (and adds Ada's Moodle number): the LMS's prefix still
    says Eve, so Ada's grade is Ada's own notebook's."""
    right, wrong = hostile.answered(releases["00-tiny"]), releases["00-tiny"]
    write(
        tmp_path,
        {
            "ada_111_901_00-tiny.ipynb": right,  # Canvas: ada, user 111
            "eve_222_902_ada_111_00-tiny.ipynb": wrong,  # Canvas: eve, whatever follows
            "bob_333_903_ada-00-tiny.ipynb": wrong,
        },
    )
    found = owners(intake.collect(tmp_path, LESSONS, ["ada", "bob", "eve"], "flat", releases))
    assert found[("ada", "00-tiny")].path.name == "ada_111_901_00-tiny.ipynb"
    assert found[("eve", "00-tiny")].path.name.startswith("eve_")
    assert found[("bob", "00-tiny")].path.name.startswith("bob_")
    assert not found[("ada", "00-tiny")].flags


def test_a_file_that_could_be_two_students_is_flagged_for_both(tmp_path, releases):
    """A Moodle file whose full name is one student's id and whose number is another's."""
    nb = hostile.answered(releases["00-tiny"])
    write(tmp_path, {"ada_4242_assignsubmission_file_00-tiny.ipynb": nb})
    found = owners(intake.collect(tmp_path, LESSONS, ["ada", "4242"], "flat", releases))
    for student in ("ada", "4242"):
        submission = found[(student, "00-tiny")]
        assert submission.status == "flagged" and submission.path is None
        assert "could be 4242 or ada's" in submission.problem
    row = autograde.not_graded(found[("ada", "00-tiny")], 5.0)
    assert row["score"] is None and row["flags"], "not a silent 0, not a grade"


def test_an_ambiguous_file_flags_a_student_who_also_sent_their_own(tmp_path, releases):
    nb = hostile.answered(releases["00-tiny"])
    write(
        tmp_path,
        {
            "ada_1_2_00-tiny.ipynb": nb,  # Canvas: ada's own
            "HW_jane_doe_attempt_2025-01-31-10-15-00_00-tiny.ipynb": nb,  # Blackboard
        },
    )
    found = owners(intake.collect(tmp_path, LESSONS, ["ada", "doe", "jane_doe"], "flat", releases))
    for student in ("doe", "jane_doe"):
        assert found[(student, "00-tiny")].status == "flagged"
    assert found[("ada", "00-tiny")].path is not None and not found[("ada", "00-tiny")].flags
    graded = {"status": "graded", "flags": []}
    flagged = intake.Submission("x", "00-tiny", Path("x"), flags=["could be x or y's"])
    assert autograde.with_intake_flags(graded, flagged)["status"] == "flagged"


def test_the_roster_id_must_be_a_field_of_the_rule_not_a_word_of_the_name(tmp_path, releases):
    nb = hostile.answered(releases["00-tiny"])
    write(tmp_path, {"notes about ada and 00-tiny.ipynb": nb})
    found = intake.collect(tmp_path, LESSONS, ["ada"], "flat", releases)
    assert owners(found)[("ada", "00-tiny")].status == "missing"
    assert any("names no student" in w for w in found.warnings)


def test_a_link_in_a_flat_download_is_invalid_not_followed(tmp_path, releases):
    outside = tmp_path / "outside.ipynb"
    nbformat.write(hostile.answered(releases["00-tiny"]), str(outside))
    folder = tmp_path / "download"
    write(folder, {"ada_00-tiny.ipynb": str(outside)})
    found = owners(intake.collect(folder, LESSONS, ["ada"], "flat", releases))
    assert found[("ada", "00-tiny")].status == "invalid"
    assert "symbolic link" in found[("ada", "00-tiny")].problem


@pytest.mark.parametrize("where", ["notebook", "lesson folder", "student folder"])
def test_a_link_anywhere_in_a_students_path_makes_the_submission_invalid(tmp_path, releases, where):
    nb = hostile.answered(releases["00-tiny"])
    submitted = tmp_path / "submitted"
    write(submitted, {"ada/00-tiny/00-tiny.ipynb": nb})
    if where == "notebook":
        write(submitted, {"eve/00-tiny/00-tiny.ipynb": "../../ada/00-tiny/00-tiny.ipynb"})
    elif where == "lesson folder":
        (submitted / "eve").mkdir()
        (submitted / "eve" / "00-tiny").symlink_to("../ada/00-tiny")
    else:
        (submitted / "eve").symlink_to("ada")
    found = owners(intake.collect(submitted, LESSONS, ["ada", "eve"], "nbgrader", only=["00-tiny"]))
    assert found[("ada", "00-tiny")].path is not None
    eve = found[("eve", "00-tiny")]
    assert eve.status == "invalid" and eve.path is None
    assert "symbolic link" in eve.problem


def test_the_grader_reads_a_submission_without_following_a_link(tmp_path):
    """What the batch grades is a copy read one path component at a time: a link put in
    place after intake (a folder swapped for a link) is refused, not followed."""
    folder = tmp_path / "submitted" / "eve" / "00-tiny"
    folder.mkdir(parents=True)
    (folder / "00-tiny.ipynb").write_text("{}")
    root = tmp_path / "submitted"
    assert intake.read_submission(root, folder / "00-tiny.ipynb") == b"{}"
    (tmp_path / "secret.txt").write_text("root:x:0:0")
    os.rename(folder, tmp_path / "moved")
    folder.symlink_to(tmp_path / "moved")
    with pytest.raises(intake.UnsafePath, match="symbolic link"):
        intake.read_submission(root, folder / "00-tiny.ipynb")
    (tmp_path / "moved" / "00-tiny.ipynb").unlink()
    (tmp_path / "moved" / "00-tiny.ipynb").symlink_to(tmp_path / "secret.txt")
    folder.unlink()
    os.rename(tmp_path / "moved", folder)
    with pytest.raises(intake.UnsafePath, match="symbolic link"):
        intake.read_submission(root, folder / "00-tiny.ipynb")
    (folder / "00-tiny.ipynb").unlink()
    (folder / "00-tiny.ipynb").write_bytes(b"x" * 100)
    with pytest.raises(intake.UnsafePath, match="larger than"):
        intake.read_submission(root, folder / "00-tiny.ipynb", limit=10)


def test_a_lesson_comes_from_the_release_not_from_a_folder_name(tmp_path, releases):
    nb = hostile.answered(releases["00-tiny"])
    submitted = tmp_path / "submitted"
    write(submitted, {"ada/00-tiny/00-tiny.ipynb": nb, "ada/99-fake/00-tiny.ipynb": nb})
    write(submitted, {"eve/..x/00-tiny.ipynb": nb})
    found = intake.collect(submitted, ["00-tiny"], ["ada", "eve"], "nbgrader")
    assert {s.lesson for s in found.submissions} == {"00-tiny"}
    assert any("99-fake" in w for w in found.warnings)
    # the graded lessons are the released ones even when nobody sent one of them
    found = intake.collect(submitted, ["00-other", "00-tiny"], ["ada"], "nbgrader")
    assert {s.lesson for s in found.submissions} == {"00-other", "00-tiny"}


def test_released_lessons_are_those_with_a_student_version(tmp_path):
    course = make_course(tmp_path / "course", keras=False)
    assert autograde.released_lessons(course) == ["00-other", "00-tiny"]  # no lessons/ yet
    (course / "lessons" / "00-tiny").mkdir(parents=True)
    (course / "lessons" / "00-tiny" / "00-tiny.ipynb").write_text("{}")
    assert autograde.released_lessons(course) == ["00-tiny"]


def huge_notebook(release: nbformat.NotebookNode, lesson_cells_at: int) -> dict:
    """A 15 MB notebook of 3,000 cells, the lesson's cells after ``lesson_cells_at`` others."""
    filler = [{"cell_type": "markdown", "metadata": {}, "source": "x" * 5000}] * 3000
    lesson = [copy.deepcopy(dict(c)) for c in release.cells]
    cells = filler[:lesson_cells_at] + lesson + filler[lesson_cells_at:]
    for cell in cells:
        cell.get("metadata", {}).pop("nbgrader", None)  # renamed and stripped: by content only
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_recognizing_a_renamed_huge_notebook_is_bounded_work(tmp_path, releases):
    """A 15 MB notebook of 3,000 cells: seconds, not minutes, and only its first cells are
    looked at (the lesson's cells after the first DETECT_CELLS are not found, by design)."""
    early, late = tmp_path / "ada" / "mine.ipynb", tmp_path / "bob" / "mine.ipynb"
    for path, at in ((early, 10), (late, intake.DETECT_CELLS + 10)):
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(huge_notebook(releases["00-tiny"], at)))
    assert early.stat().st_size > 15_000_000
    started = time.process_time()
    found = owners(intake.collect(tmp_path, LESSONS, ["ada", "bob"], "flat", releases))
    assert time.process_time() - started < 20
    assert found[("ada", "00-tiny")].path == early
    assert found[("bob", "00-tiny")].status == "missing"
