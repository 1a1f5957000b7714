"""lessons/ is exactly what nbgrader generates from solutions/, and leaks nothing."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading import autograde, notebooks, synthetic

LESSONS = synthetic.lessons()
COURSE = synthetic.COURSE
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """A fresh `make release` of every lesson, in a temporary copy of the course."""
    work = tmp_path_factory.mktemp("release")
    shutil.copy2(COURSE / "nbgrader_config.py", work)
    shutil.copytree(COURSE / "solutions", work / "solutions")
    for lesson in LESSONS:  # the command `make release` runs
        result = subprocess.run(
            [NBGRADER, "generate_assignment", lesson, "--force", "--log-level=WARN"],
            cwd=work,
            env=autograde.tool_env(),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    return work / "lessons"


def test_lessons_are_numbered_and_all_released():
    assert LESSONS == sorted(LESSONS) and len(LESSONS) >= 1
    assert all(re.fullmatch(r"\d\d-[a-z0-9-]+", lesson) for lesson in LESSONS)
    released = sorted(p.name for p in (COURSE / "lessons").iterdir() if p.is_dir())
    assert released == LESSONS, "every solution has a released lesson and nothing else is there"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lessons_match_what_nbgrader_generates(lesson, regenerated):
    fresh = json.loads((regenerated / lesson / f"{lesson}.ipynb").read_text())
    stored = json.loads(synthetic.notebook_path(lesson, "lessons").read_text())
    assert stored == fresh, f"lessons/{lesson} drifted from solutions/: run `make release`"


@pytest.mark.parametrize("lesson", LESSONS)
def test_student_version_holds_no_solution_or_hidden_test(lesson):
    solution = nbformat.read(synthetic.notebook_path(lesson), as_version=4)
    text = synthetic.notebook_path(lesson, "lessons").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    student = {
        synthetic.nbgrader_meta(c)["grade_id"]: c.source
        for c in nbformat.reads(text, as_version=4).cells
        if synthetic.nbgrader_meta(c)
    }
    for cell in solution.cells:
        grade_id = synthetic.nbgrader_meta(cell).get("grade_id")
        pattern = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
        visible = pattern.sub("", cell.source)  # lines the student is meant to see anyway
        for _, block in pattern.findall(cell.source):
            for line in block.splitlines():
                line = line.strip()
                if len(line) > 12 and not line.startswith("#") and line not in visible:
                    assert line not in student[grade_id], f"{lesson}/{grade_id} leaks: {line}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_notebook_is_clean_and_has_graded_exercises(lesson):
    path = synthetic.notebook_path(lesson)
    assert notebooks.problems(path) == []
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    exercises = synthetic.exercises(nb)
    assert len(exercises) >= 5, f"{lesson} has {len(exercises)} graded exercises, needs at least 5"
    assert all(tests for tests in exercises.values()), (
        "every answer cell is followed by a test cell"
    )
    ids = [synthetic.nbgrader_meta(c)["grade_id"] for c in nb.cells if synthetic.nbgrader_meta(c)]
    assert len(ids) == len(set(ids)), "grade ids are unique"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "setup()" in first_code.source and synthetic.nbgrader_meta(first_code).get("locked")
    for cell in nb.cells:
        if synthetic.is_test(cell):
            assert "### BEGIN HIDDEN TESTS" in cell.source, (
                f"{lesson}: a test cell has no hidden tests"
            )


def test_tracked_notebooks_carry_no_machine_paths():
    for path in sorted(COURSE.glob("*/*/*.ipynb")):
        text = path.read_text()
        assert not re.search(r'"/(root|tmp|work|home|Users)/', text), f"machine path in {path}"


def test_notebook_check_reports_unclean_notebooks(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nb.cells[0].execution_count = 3
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    assert len(notebooks.problems(path)) == 2
    notebooks.write(notebooks.clean(nbformat.read(path, as_version=4)), path)
    assert notebooks.problems(path) == []


def test_notebook_check_reports_a_checked_cell_without_its_output(tmp_path):
    cell = nbformat.v4.new_code_cell("print(1)", metadata={"tags": [notebooks.CHECKED_TAG]})
    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), str(path))
    assert notebooks.problems(path) == [
        f"cell 0 is tagged {notebooks.CHECKED_TAG} but its output is not stored"
    ]
    cell.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    cell.execution_count = 1
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), str(path))
    assert notebooks.problems(path) == []
