"""The grading round trip: `make grade` on a synthetic class of every lesson.

Per lesson, four students: one answers everything (full marks), one hands in the
untouched notebook (0), one answers the first half of the exercises (exactly the points of
those exercises), and one wraps wrong answers in every trick a kernel can play on tests that
run beside it (0: the tests run in the judge). The feedback HTML shows no hidden test, and
the kernel is never sent one.
"""

import ast
import csv
import html
import re
import subprocess
import sys
from html.parser import HTMLParser

import nbformat
import pytest

from grading import autograde, synthetic
from grading.feedback import strip_hidden_tests
from grading.run import NOT_RUN_NOTE

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


# Appended to every answer of "eve": the right code, then every in-kernel trick there is
# (patched comparisons, patched checks in the caller's frames, inputs zeroed in place) around
# answers made wrong. Against the judge none of it may earn a point.
CHEAT = """
import sys as _sys

import numpy as _np


def _wrong(value):
    if isinstance(value, _np.ndarray):
        return ~value if value.dtype == bool else value + 1
    if isinstance(value, (bool, _np.bool_)):
        return not value
    if isinstance(value, (int, float, _np.number)):
        return value + 1
    if isinstance(value, (str, tuple, list)):
        return value + type(value)("?") if isinstance(value, str) else value + type(value)([0])
    return None


def _trick(function):
    def cheat(*args, **kwargs):
        for name in ("allclose", "array_equal", "isclose", "all"):
            setattr(_np, name, lambda *a, **k: True)
        frame = _sys._getframe(1)
        while frame is not None:
            for scope in (frame.f_globals, frame.f_locals):
                checks_module = scope.get("checks")
                for attr in dir(checks_module) if checks_module is not None else ():
                    if attr.startswith("check"):
                        setattr(checks_module, attr, lambda *a, **k: None)
            frame = frame.f_back
        result = _wrong(function(*args, **kwargs))
        for argument in args:
            if isinstance(argument, _np.ndarray) and argument.flags.writeable:
                argument[...] = 0
        return result

    return cheat
"""
RECORD = """
_seen = []
get_ipython().events.register("pre_run_cell", lambda info: _seen.append(info.raw_cell))
_run_cell = get_ipython().run_cell
get_ipython().run_cell = lambda raw, *a, **k: (_seen.append(raw), _run_cell(raw, *a, **k))[1]
"""
PRINT_RECORD = "print(repr(_seen))"  # one line: nbgrader keeps 1,000 lines of an output


def cheating(lesson):
    """Every answer right, then wrapped so that it returns wrong values while trying every
    in-kernel trick; the kernel records all the code it is sent and prints it at the end."""
    nb = synthetic.make_submission(lesson)
    first = True
    for cell in nb.cells:
        if not synthetic.is_answer(cell):
            continue
        tree = ast.parse(cell.source)
        functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        constants = [
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        ]
        cell.source += "\n" + CHEAT + (RECORD if first else "")
        cell.source += "".join(f"\n{f} = _trick({f})" for f in functions)
        cell.source += "".join(f"\n{c} = _wrong({c})" for c in constants)
        first = False
    nb.cells.append(nbformat.v4.new_code_cell(PRINT_RECORD))
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    students = {
        "ada": dict.fromkeys(LESSONS, None),
        "bob": {lesson: set() for lesson in LESSONS},
        "cyd": {lesson: half(lesson) for lesson in LESSONS},
    }
    synthetic.write_class(root / "submitted", students)
    for lesson in LESSONS:
        target = root / "submitted" / "eve" / lesson / f"{lesson}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(cheating(lesson), str(target))
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
def test_tricks_in_the_kernel_earn_nothing(lesson, graded):
    """eve's answers are wrong, wrapped in every in-kernel trick: the judge gives 0, and the
    code her kernel recorded and printed holds no line of a hidden test."""
    out, rows = graded
    assert rows[("eve", lesson)]["status"] == "graded", rows[("eve", lesson)]
    assert float(rows[("eve", lesson)]["score"]) == 0, rows[("eve", lesson)]
    nb = nbformat.read(out / "autograded" / "eve" / lesson / f"{lesson}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))
    assert "_seen" in printed, "the recording cell ran and printed what the kernel was sent"
    leaked = [line for line in hidden_lines(lesson) if line in printed]
    assert not leaked, f"the kernel was sent hidden test code: {leaked[:3]}"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_feedback_shows_failures_but_no_hidden_test(lesson, graded):
    out, _ = graded
    pages = {
        s: out / "feedback" / s / lesson / f"{lesson}.html" for s in ("ada", "bob", "cyd", "eve")
    }
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
