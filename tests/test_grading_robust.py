"""Grading a class that hands in broken and hostile notebooks.

One batch grades every case of :mod:`hostile.cases` (a tiny lesson, so that it takes about a
minute, not an hour) with two workers and short limits; each test then checks one case:
graded or reported as it must be, no other submission harmed, the batch finished. Smaller
tests cover the intake layouts and the repair without running kernels.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from hostile import cases as hostile
from hostile.course import make_course

from grading import autograde, intake, repair, synthetic
from grading.feedback import hidden_lines

COURSE_TIMEOUT = 90  # seconds per notebook in the batch (the Keras lesson needs the most)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The tiny course, released once (student versions and solutions side by side)."""
    root = make_course(tmp_path_factory.mktemp("course") / "course")
    master = root.parent / "master"
    assert autograde.release(root, master, ["00-tiny", "00-other", "00-keras"]) == {}
    (root / "lessons").mkdir()
    for lesson in ("00-tiny", "00-other", "00-keras"):
        (root / "lessons" / lesson).mkdir()
        (master / "lessons" / lesson / f"{lesson}.ipynb").rename(
            root / "lessons" / lesson / f"{lesson}.ipynb"
        )
    # a gradebook where the course keeps one, for the case that tries to write to it
    (root / ".nbgrader").mkdir()
    db = sqlite3.connect(root / ".nbgrader" / "gradebook.db")
    db.execute("create table grade (manual_score real)")
    db.execute("insert into grade values (1)")
    db.commit()
    db.close()
    return root


def release_of(course: Path, lesson: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "lessons" / lesson / f"{lesson}.ipynb", as_version=4)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grade_cases(course: Path, root: Path, names: list[str] | None, *options: str) -> tuple:
    """Grade the named cases (all: None) in one run: (cases, students, rows, out, run)."""
    submitted = root / "submitted"
    gradebook = course / ".nbgrader" / "gradebook.db"
    before = digest(gradebook)
    table = hostile.cases(
        gradebook=str(gradebook),
        submissions=str(submitted),
        solution=str(course / "solutions" / "00-tiny" / "00-tiny.ipynb"),
        other_release=release_of(course, "00-other"),
    )
    table = {name: case for name, case in table.items() if names is None or name in names}
    students = {}
    for number, (name, case) in enumerate(table.items()):
        student = f"s{number:02d}"
        students[student] = name
        folder = submitted / student / case.lesson
        for relative, data in case.build(release_of(course, case.lesson)).items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(data)
    roster = root / "roster.csv"
    roster.write_text(
        "student_id,name\n" + "".join(f"{s},{n}\n" for s, n in students.items()) + "absent,Nobody\n"
    )
    lessons = sorted({case.lesson for case in table.values()})
    out = root / "out"
    args = [str(submitted), str(out), "--roster", str(roster), "--course", str(course)]
    # (options given later, such as another --timeout, override these)
    args += ["--workers", "2", "--timeout", str(COURSE_TIMEOUT), "--cell-timeout", "6"]
    args += ["--memory", "4096", "--output-mb", "4", "--lessons", *lessons, *options]
    result = subprocess.run(
        [sys.executable, "-m", "grading.autograde", *args],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(out / "grades.csv", newline="") as handle:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(handle)}
    return (
        table,
        students,
        rows,
        out,
        {"stdout": result.stdout, "gradebook": before == digest(gradebook)},
    )


@pytest.fixture(scope="module")
def batch(course, tmp_path_factory):
    """Every hostile case, graded in one run at the default (strongest) sandbox level."""
    return grade_cases(course, tmp_path_factory.mktemp("batch"), None)


# The cases the process level (the fallback without user namespaces) must also get right.
# There the kernel runs as nobody when grading as root, and the tests run in the judge as
# everywhere; the process level has no network isolation (README), so no network case here.
PROCESS_CASES = [
    "solution",
    "code that writes to the gradebook",
    "code that reads another student's submission",
    "redefines numpy.allclose",
    "slow notebook (over a short notebook limit)",
    "walks the call stack from the answer to the test",
    "records every code the kernel runs, then crashes it to replay the tests",
    "zeroes the test's inputs in place",
]
PROCESS_TIMEOUT = 22  # seconds per notebook in the process-level batch: the slow case overruns


@pytest.fixture(scope="module")
def process_batch(course, tmp_path_factory):
    root = tmp_path_factory.mktemp("process")
    options = ("--sandbox", "process", "--timeout", str(PROCESS_TIMEOUT))
    return grade_cases(course, root, PROCESS_CASES, *options)


CASE_NAMES = list(
    hostile.cases("g", "s", "p", nbformat.v4.new_notebook()).keys()  # names only
)


def outputs_text(nb_path: Path) -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") or "")
            parts.append(output.get("evalue", "") or "")
            parts += [str(v) for v in output.get("data", {}).values()]
    return "\n".join(parts)


def check_case(name: str, graded_batch: tuple) -> None:
    table, students, rows, out, _ = graded_batch
    case = table[name]
    student = next(s for s, n in students.items() if n == name)
    row = rows[(student, case.lesson)]
    assert row["status"] in case.status, f"{name}: {row}"
    if case.score is not None:
        assert row["score"] != "", f"{name}: no score: {row}"
        assert float(row["score"]) == case.score, f"{name}: {row}"
    for text in case.shows:
        assert text in row["detail"], f"{name}: {text!r} not in {row['detail']!r}"
    graded = out / "autograded" / student / case.lesson / f"{case.lesson}.ipynb"
    if case.hides:
        assert graded.exists(), f"{name}: no graded notebook"
        shown = outputs_text(graded)
        for text in case.hides:
            assert text not in shown, f"{name}: {text!r} appears in the graded notebook"


@pytest.mark.slow
@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_case(name, batch):
    check_case(name, batch)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PROCESS_CASES if not n.startswith("slow")])
def test_hostile_case_at_the_process_level(name, process_batch):
    check_case(name, process_batch)
    assert process_batch[4]["gradebook"], "a submission changed the course's gradebook"
    assert "sandbox: process" in process_batch[4]["stdout"]


@pytest.mark.slow
@pytest.mark.slow
def test_a_notebook_over_its_time_limit_keeps_what_it_graded(process_batch):
    table, students, rows, out, _ = process_batch
    student = next(s for s, n in students.items() if n.startswith("slow"))
    row = rows[(student, "00-tiny")]
    assert row["status"] == "timeout", row
    assert float(row["score"]) == 2, row  # ex1 ran before the slow cells, ex2 never did
    assert f"time limit ({PROCESS_TIMEOUT} s)" in row["detail"]


@pytest.mark.slow
def test_every_roster_student_has_a_row_and_a_status(batch):
    table, students, rows, out, _ = batch
    assert rows[("absent", "00-tiny")]["status"] == "missing"
    assert rows[("absent", "00-keras")]["status"] == "missing"
    for student in students:
        for lesson in ("00-tiny", "00-keras"):
            row = rows[(student, lesson)]
            assert row["status"] in (
                "graded",
                "repaired",
                "flagged",
                "timeout",
                "invalid",
                "missing",
            )
            assert row["status"] != "error", row
    assert len(rows) == 2 * (len(students) + 1)


@pytest.mark.slow
def test_the_course_gradebook_is_untouched(batch):
    assert batch[4]["gradebook"], "a submission changed the course's gradebook"


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(batch, course):
    table, students, rows, out, _ = batch
    solution = nbformat.read(course / "solutions" / "00-tiny" / "00-tiny.ipynb", as_version=4)
    secret = hidden_lines([c.source for c in solution.cells if c.cell_type == "code"])
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        text = html.unescape(page.read_text())
        assert "BEGIN HIDDEN TESTS" not in text
        assert not [line for line in secret if line in text], page
    failed = html.unescape((out / "feedback" / "s01" / "00-tiny" / "00-tiny.html").read_text())
    assert "add([1, 2], [3, 4])" in failed and "NotImplementedError" in failed


@pytest.mark.slow
def test_outputs_of_the_run(batch):
    table, students, rows, out, run = batch
    assert (out / "score_distribution.png").stat().st_size > 10_000
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["workers"] == 2
    assert report["run"]["kernels"].startswith("warm"), "kernels fork from grading.zygote"
    with open(out / "exercises.csv", newline="") as handle:
        exercises = list(csv.DictReader(handle))
    solution = [r for r in exercises if r["student_id"] == "s00" and r["assignment"] == "00-tiny"]
    assert {r["exercise"]: float(r["score"]) for r in solution} == {"ex1-add": 2, "ex2-square": 3}
    summary = (out / "summary.txt").read_text()
    assert "Not graded or not finished" in summary
    flood = next(s for s, n in students.items() if n == "300,000 printed lines")
    nb = nbformat.read(out / "autograded" / flood / "00-tiny" / "00-tiny.ipynb", as_version=4)
    longest = max(
        len(o.get("text", "").splitlines()) for c in nb.cells for o in c.get("outputs", [])
    )
    assert longest <= 1001
    flood = next(s for s, n in students.items() if n == "prints 2 MiB lines in many cells")
    graded = out / "autograded" / flood / "00-tiny" / "00-tiny.ipynb"
    cells = nbformat.read(graded, as_version=4).cells
    size = sum(len(str(o)) for c in cells for o in c.get("outputs", []))
    assert 2 * 2**20 < size < 5 * 2**20, f"{size} bytes of output, over the 4 MiB cap"


# ------------------------------------------------------------------ without kernels


def test_intake_reads_a_flat_download_with_a_roster(tmp_path, course):
    release = release_of(course, "00-tiny")
    files = {
        "ada_12345_assignsubmission_file_00-tiny.ipynb": release,
        "bob-00_tiny.ipynb": release,
        "bob-00_tiny-1.ipynb": release,
        "cyd/notebook.ipynb": release,  # no lesson in the name: found by its cells
        "zed_00-tiny.ipynb": release,  # not on the roster
    }
    for name, nb in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(tmp_path / name))
    os.utime(tmp_path / "bob-00_tiny.ipynb", (1, 1))  # the older of bob's two
    releases = {"00-tiny": release, "00-other": release_of(course, "00-other")}
    found = intake.collect(
        tmp_path, ["00-other", "00-tiny"], ["ada", "bob", "cyd", "dan"], "auto", releases
    )
    assert found.layout == "flat"
    by_student = {s.student: s for s in found.submissions}
    assert by_student["ada"].path.name.startswith("ada_12345")
    assert by_student["bob"].path.name == "bob-00_tiny-1.ipynb"
    assert "2 files" in by_student["bob"].notes[0]
    assert by_student["cyd"].path.name == "notebook.ipynb"
    assert by_student["dan"].status == "missing"
    assert "zed" not in by_student and any("zed_00-tiny" in w for w in found.warnings)


def test_intake_reads_nbgrader_layout_and_course_folders(tmp_path):
    nb = nbformat.v4.new_notebook()
    for student in ("ada", "bob"):
        folder = tmp_path / "submitted" / student / "00-tiny"
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / ("00-tiny.ipynb" if student == "ada" else "x.ipynb")))
    (tmp_path / "submitted" / "ada" / "00-tiny" / "timestamp.txt").write_text("2024-01-01 10:00:00")
    found = intake.collect(tmp_path, ["00-tiny"], None)
    assert found.layout == "nbgrader"
    ada, bob = found.submissions
    assert ada.timestamp.startswith("2024") and not ada.notes
    assert bob.notes == ["graded the renamed notebook x.ipynb"]


def test_intake_rejects_a_folder_that_is_not_a_class(tmp_path):
    (tmp_path / "alice" / "homework").mkdir(parents=True)
    with pytest.raises(intake.IntakeError, match="homework"):
        intake.collect(tmp_path, ["00-tiny"], None)


def test_roster_formats(tmp_path):
    (tmp_path / "a.csv").write_text("Name;Email;student_id\nAda;a@x;ada\nBob;b@x;bob\n")
    (tmp_path / "b.txt").write_text("# class of 2025\nada\n\nbob\nada\n")
    assert intake.read_roster(tmp_path / "a.csv") == ["ada", "bob"]
    assert intake.read_roster(tmp_path / "b.txt") == ["ada", "bob"]


def test_repair_restores_the_lesson_skeleton(tmp_path, course):
    release = release_of(course, "00-tiny")
    nb = hostile.answered(release)
    hostile.strip_metadata(nb)
    del nb.cells[hostile.index_of(release, "ex2-tests")]  # index in the original
    nb.cells.insert(0, nbformat.v4.new_code_cell("x = 1  # above the set-up"))
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    fixed = repair.repair(path, "00-tiny", {"00-tiny": release})
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in fixed.nb.cells]
    assert [i for i in ids if i] == ["setup", "ex1-add", "ex1-tests", "ex2-square", "ex2-tests"]
    assert fixed.nb.cells[ids.index("setup") + 1].source.startswith("x = 1")
    assert fixed.nb.cells[ids.index("ex1-add")].source == hostile.RIGHT["ex1-add"]
    assert any("re-inserted the deleted test cell ex2-tests" in n for n in fixed.notes)
    nbformat.validate(fixed.nb)


def test_synthetic_submissions_work_for_any_course(course):
    nb = synthetic.make_submission("00-tiny", None, course)
    assert (
        "return np.asarray(a) + np.asarray(b)" in nb.cells[hostile.index_of(nb, "ex1-add")].source
    )
