"""Which demonstration cells grading may leave out (grading.slicing), without a kernel.

Each notebook here is set-up, demonstrations (plain cells), one answer and one test, built
so that exactly one rule decides whether a demonstration is needed. The end-to-end check
(the real lessons graded with cells left out still give exact scores) is in
tests/test_grading.py.
"""

from __future__ import annotations

import nbformat
import pytest
from hostile.course import graded
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.slicing import (
    CellNames,
    Opaque,
    demonstration_sources,
    unfollowable,
    unneeded_cells,
)

SETUP = "import numpy as np\n\nfrom helpers import checks\n\nP = object()"


def lesson(*demos: str, answer: str = "def f(x):\n    return x", test: str = "assert f(1) == 1"):
    """(notebook, demonstration sources): set-up, then demos, then an answer and its test.

    A demo given as ``("after", source)`` goes after the test instead.
    """
    before = [d for d in demos if isinstance(d, str)]
    after = [d[1] for d in demos if isinstance(d, tuple)]
    nb = new_notebook(
        cells=[
            new_markdown_cell("# A lesson"),
            graded(SETUP, "setup", "setup"),
            *[new_code_cell(d) for d in before],
            graded(answer, "ex1", "answer"),
            graded(test, "ex1-tests", "test", 1),
            *[new_code_cell(d) for d in after],
        ]
    )
    return nb, demonstration_sources(nb)


def skipped(nb, demos) -> list[str]:
    """The sources of the cells left out."""
    return [nb.cells[i].source for i in unneeded_cells(nb, demos)]


def test_demonstration_sources_are_the_cells_without_a_role():
    nb, demos = lesson("x = 1", "print(2)")
    assert demos == {"x = 1", "print(2)"}


def test_a_demonstration_nothing_reads_is_left_out():
    nb, demos = lesson("shown = np.arange(3)\nprint(shown)", ("after", "print(f(2))"))
    assert skipped(nb, demos) == ["shown = np.arange(3)\nprint(shown)", "print(f(2))"]


def test_a_demonstration_that_binds_what_a_test_reads_runs():
    nb, demos = lesson("EXPECTED = 1", "noise = 3", test="assert f(1) == EXPECTED")
    assert skipped(nb, demos) == ["noise = 3"]


def test_what_a_needed_cell_reads_is_needed_in_turn():
    nb, demos = lesson("BASE = 1", "EXPECTED = BASE", "noise = 3", test="assert f(1) == EXPECTED")
    assert skipped(nb, demos) == ["noise = 3"]


@pytest.mark.parametrize(
    "change",
    [
        "VALUES.append(2)",  # a method call
        "VALUES[0] = 5",  # an item assignment
        "del VALUES[0]",
        "VALUES += [3]",
        "np.random.default_rng(0).shuffle(VALUES)",  # passed to a function
        "VALUES.extra = 1",  # an attribute assignment
    ],
)
def test_a_demonstration_that_may_change_what_a_test_reads_runs(change):
    nb, demos = lesson("VALUES = [1]", change, test="assert f(VALUES) == VALUES")
    assert skipped(nb, demos) == []


def test_calling_a_tool_or_a_function_does_not_make_a_cell_needed():
    nb, demos = lesson(
        "L = np.linalg\nDATA = [1.0]",
        "print(np.mean([1.0]), L.norm([2.0]), f(3), checks.__name__, P.__str__())",
        test="assert f(DATA) == DATA",
    )
    assert skipped(nb, demos) == [
        "print(np.mean([1.0]), L.norm([2.0]), f(3), checks.__name__, P.__str__())"
    ]


def test_the_students_answer_can_need_a_demonstration():
    nb, demos = lesson("SCALE = 2", answer="def f(x):\n    return x * SCALE // 2")
    assert skipped(nb, demos) == []


def test_a_cell_the_student_changed_always_runs():
    nb, demos = lesson("noise = 3", "other = 4")
    nb.cells[2].source = "noise = 3  # changed"
    assert skipped(nb, demos) == ["other = 4"]


def test_locals_of_a_function_are_not_reads():
    test = "def check(history):\n    return history['x']\n\nassert check({'x': f(1)}) == 1"
    nb, demos = lesson("history = {'x': 0}", test=test)
    assert skipped(nb, demos) == ["history = {'x': 0}"]
    free = "def check():\n    return history['x']\n\nassert check() == 0"
    nb, demos = lesson("history = {'x': 0}", test=free)
    assert skipped(nb, demos) == []


def test_a_later_lesson_cell_hides_an_earlier_binding_but_the_students_code_does_not():
    nb, demos = lesson("X = 1", "X = 2", test="assert f(X) == 2")
    assert skipped(nb, demos) == ["X = 1"]
    answer = "X = 2\n\n\ndef f(x):\n    return x"
    nb, demos = lesson("X = 1", answer=answer, test="assert f(X) == 2")
    assert skipped(nb, demos) == []  # the student's cell might fail before binding X


def test_a_conditional_binding_does_not_hide_an_earlier_one():
    nb, demos = lesson("X = 1", "if np.pi > 4:\n    X = 2", test="assert f(X) == 1")
    assert skipped(nb, demos) == []


def test_names_looked_up_by_string_count_as_read():
    nb, demos = lesson("ANSWER_A = 1", "noise = 2", test="assert globals()['ANSWER_A'] == 1")
    assert skipped(nb, demos) == ["noise = 2"]


@pytest.mark.parametrize(
    "opaque",
    [
        "print(Out[3])",
        "%time y = f(2)",
        "!ls",
        "from math import *",
        "def g():\n    global x\n    x = 1",
        "import sys\nprint(sys.modules['__main__'])",
    ],
)
def test_a_cell_the_analysis_cannot_follow_runs_everything(opaque):
    nb, demos = lesson("noise = 1", ("after", "print(2)"), test=f"assert f(1) == 1\n{opaque}")
    assert skipped(nb, demos) == []
    with pytest.raises(Opaque):
        CellNames(opaque)


def test_a_cell_that_does_not_parse_runs_everything():
    nb, demos = lesson("noise = 1", answer="def f(x):\n    return x +")
    assert skipped(nb, demos) == []


def test_underscore_as_a_loop_variable_is_not_history():
    names = CellNames("for _ in range(3):\n    pass\nvalues = [_i for _i in range(2)]")
    assert "values" in names.binds


def test_the_real_lessons_leave_out_their_slowest_demonstrations():
    """The cells that dominate lessons 04 and 05's running time are not needed to grade."""
    from grading import synthetic

    for lesson_id, marker in [
        ("04-deeper-regularized", "COMPARE_EPOCHS = P.pick("),
        ("04-deeper-regularized", "FINAL_EPOCHS = P.pick("),
        ("05-transfer-learning", "SCRATCH_EPOCHS = P.pick("),
    ]:
        solution = nbformat.read(synthetic.notebook_path(lesson_id), as_version=4)
        released = nbformat.read(
            synthetic.COURSE / "lessons" / lesson_id / f"{lesson_id}.ipynb", as_version=4
        )
        left_out = unneeded_cells(solution, demonstration_sources(released))
        assert any(marker in solution.cells[i].source for i in left_out), (lesson_id, marker)
        for i in left_out:
            assert not solution.cells[i].metadata.get("nbgrader"), "only plain cells"


def test_an_annotation_without_a_value_does_not_hide_an_earlier_binding():
    nb, demos = lesson("X = 1", "X: int", test="assert f(X) == 1")
    assert skipped(nb, demos) == []  # ``X: int`` binds nothing: X = 1 must run


# The student's code may reach a demonstration's variable by a route no analysis of names
# follows: then the notebook runs whole (a correct answer must never lose a point to a
# demonstration left out). Each answer below returns x + OFFSET, OFFSET bound by a demo.
ROUTES = {
    "the notebook as a module": "import __main__\n\ndef f(x):\n    return x + __main__.OFFSET",
    "sys.modules": "import sys\n\ndef f(x):\n    return x + sys.modules['__main__'].OFFSET",
    "sys.modules, computed key": (
        "import sys\n\ndef f(x):\n    return x + getattr(sys.modules['__ma' + 'in__'], 'OFFSET')"
    ),
    "importlib": "import importlib\n\ndef f(x):\n    m = importlib.import_module('__ma' + 'in__')\n"
    "    return x + m.OFFSET",
    "__import__": "def f(x):\n    return x + __import__('__ma' + 'in__').OFFSET",
    "a module the notebook wrote": "import my_offsets\n\ndef f(x):\n    return x + my_offsets.get()",
    "builtins": "import builtins\n\ndef f(x):\n    return x + builtins.globals()['OFF' + 'SET']",
    "__builtins__": "def f(x):\n    return x + __builtins__.eval('OFF' + 'SET')",
    "a function's __globals__": "def f(x):\n    return x + f.__globals__['OFF' + 'SET']",
    "globals() with a computed key": "def f(x):\n    return x + globals()['OFF' + 'SET']",
    "globals passed around": "ns = globals\n\ndef f(x):\n    return x + ns()['OFFSET']",
    "vars()": "def f(x):\n    return x + vars()['OFF' + 'SET']",
    "eval of computed code": "def f(x):\n    return x + eval('OFF' + 'SET')",
    "getattr with a computed name": (
        "def f(x):\n    return x + getattr(f, '__glob' + 'als__')['OFFSET']"
    ),
    "inspect": "import inspect\n\ndef f(x):\n    return x + inspect.currentframe().f_globals['OFF' + 'SET']",
    "sys._getframe": "import sys\n\ndef f(x):\n    return x + sys._getframe(0).f_globals['OFF' + 'SET']",
    "a traceback's frame": "def f(x):\n    try:\n        1 / 0\n    except ZeroDivisionError as e:\n"
    "        return x + e.__traceback__.tb_frame.f_globals['OFF' + 'SET']",
    "IPython's namespace": "from IPython import get_ipython as shell\n\ndef f(x):\n"
    "    return x + shell().user_ns['OFF' + 'SET']",
    "gc": "import gc\n\ndef f(x):\n    return x + [d for d in gc.get_objects() if isinstance(d, dict) and 'OFFSET' in d][0]['OFFSET']",
}


@pytest.mark.parametrize("route", ROUTES)
def test_an_answer_that_reaches_a_demonstration_by_any_other_route_runs_everything(route):
    nb, demos = lesson("OFFSET = 0", "noise = 1", answer=ROUTES[route], test="assert f(1) == 1")
    assert skipped(nb, demos) == [], route
    assert unfollowable(ROUTES[route]), route


def test_the_same_routes_in_the_lessons_own_cells_keep_the_slice():
    """The lesson's set-up and tests are the course's code (the set-up checks sys.modules for
    Colab): they do not turn slicing off, only the student's code does."""
    setup = (
        SETUP + "\nimport sys\nimport importlib.util\nif 'google.colab' in sys.modules:\n    pass"
    )
    nb, demos = lesson("noise = 1", test="import inspect\nassert f(1) == 1")
    nb.cells[1].source = setup
    assert skipped(nb, demos) == ["noise = 1"]


def test_a_constant_key_is_followed_in_the_students_code_too():
    nb, demos = lesson(
        "OFFSET = 0", "noise = 1", answer="def f(x):\n    return x + globals()['OFFSET']"
    )
    assert skipped(nb, demos) == ["noise = 1"]
    assert unfollowable("import numpy as np\nimport sys\nprint(sys.version, np.pi)") == ""
