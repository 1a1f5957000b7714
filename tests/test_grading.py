"""The grading round trip: `make grade` on a synthetic class of every lesson.

Per lesson, three students: one answers everything (full marks), one hands in the
untouched notebook (0), one answers the first half of the exercises (exactly the points of
those exercises). The feedback HTML shows no hidden test.
"""

import csv
import html
import re
import subprocess
import sys
from html.parser import HTMLParser

import nbformat
import pytest

from grading import autograde, synthetic
from grading.execute import NOT_RUN_NOTE
from grading.feedback import strip_hidden_tests

LESSONS = synthetic.lessons()


def half(lesson):
    nb = nbformat.read(synthetic.notebook_path(lesson), as_version=4)
    answers = list(synthetic.exercises(nb))
    return answers[: len(answers) // 2]


class TextOnly(HTMLParser):
    """The visible text of an HTML page (code is split into many spans by the highlighter)."""

    def __init__(self):
        super().__init__()
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(path):
    parser = TextOnly()
    parser.feed(path.read_text())
    return html.unescape("".join(parser.parts))


def hidden_lines(lesson):
    """Lines of hidden test code that appear nowhere else in the lesson (the same line in an
    answer or a visible test is not a secret)."""
    nb = nbformat.read(synthetic.notebook_path(lesson), as_version=4)
    visible = "\n".join(strip_hidden_tests(cell.source) for cell in nb.cells)
    lines = []
    for cell in nb.cells:
        for block in re.findall(
            r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S
        ):
            lines += [
                line.strip()
                for line in block.splitlines()
                if len(line.strip()) > 20 and line.strip() not in visible
            ]
    return lines


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    students = {
        "ada": dict.fromkeys(LESSONS, None),
        "bob": {lesson: set() for lesson in LESSONS},
        "cyd": {lesson: half(lesson) for lesson in LESSONS},
    }
    synthetic.write_class(root / "submitted", students)
    out = root / "out"
    result = subprocess.run(
        [sys.executable, "-m", "grading.autograde", str(root / "submitted"), str(out)],
        capture_output=True,
        text=True,
        cwd=synthetic.COURSE,
        timeout=3000,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(out / "grades.csv", newline="") as handle:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(handle)}
    return out, rows


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_full_blank_zero_partial_in_between(lesson, graded):
    _, rows = graded
    nb = nbformat.read(synthetic.notebook_path(lesson), as_version=4)
    worth = synthetic.points(nb)
    total = sum(worth.values())
    assert float(rows[("ada", lesson)]["max_score"]) == total
    assert float(rows[("ada", lesson)]["score"]) == total
    assert float(rows[("bob", lesson)]["score"]) == 0
    partial = float(rows[("cyd", lesson)]["score"])
    assert 0 < partial < total
    assert partial == sum(worth[a] for a in half(lesson))


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_feedback_shows_failures_but_no_hidden_test(lesson, graded):
    out, _ = graded
    pages = {s: out / "feedback" / s / lesson / f"{lesson}.html" for s in ("ada", "bob", "cyd")}
    secret = hidden_lines(lesson)
    assert secret, f"{lesson} has hidden tests to protect"
    for student, page in pages.items():
        text = visible_text(page)
        assert "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in secret if line in text]
        assert not leaked, f"{student}/{lesson} feedback shows hidden test code: {leaked[:3]}"
    assert "NotImplementedError" in visible_text(pages["bob"])


def test_strip_hidden_tests_keeps_visible_tests():
    source = "check(a)\n### BEGIN HIDDEN TESTS\nassert secret()\n### END HIDDEN TESTS\ncheck(b)\n"
    stripped = strip_hidden_tests(source)
    assert "secret" not in stripped and "check(a)" in stripped and "check(b)" in stripped


def test_grade_rejects_a_folder_that_is_not_a_class(tmp_path, capsys):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "homework").mkdir()
    assert autograde.main([str(tmp_path), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "expected <student>/<lesson>/<notebook>.ipynb" in err and "homework" in err
    assert autograde.main([str(tmp_path / "missing"), str(tmp_path / "out")]) == 2
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_demonstrations_no_test_needs_are_left_out_and_say_so(graded):
    """Lesson 04's comparison training is not run while grading (its scores above are exact
    all the same), and the graded notebook tells the student why the cell has no output."""
    out, _ = graded
    lesson = "04-deeper-regularized"
    nb = nbformat.read(out / "autograded" / "ada" / lesson / f"{lesson}.ipynb", as_version=4)
    compare = next(c for c in nb.cells if "COMPARE_EPOCHS = P.pick(" in c.source)
    assert [o.get("text", "") for o in compare.outputs] == [NOT_RUN_NOTE.text]
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and all(NOT_RUN_NOTE.text not in str(c.outputs) for c in answers)
    assert "not run while grading" in visible_text(
        out / "feedback" / "ada" / lesson / f"{lesson}.html"
    )
