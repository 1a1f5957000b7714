"""A tiny course for grading tests: lessons that run in a second, not a minute.

``00-tiny`` has two exercises (``add``: 2 points, ``square``: 3 points) whose visible tests
use ``helpers.checks`` and whose hidden tests use ``numpy``, ``len`` and ``isinstance``, the
things a submission might try to patch, and one demonstration cell that no test needs. ``00-other`` is another lesson (for "the notebook of
another lesson"); ``00-keras`` needs Keras (for "a correct Keras answer that warns on
stderr").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]


def graded(source: str, grade_id: str, kind: str, points: int = 0) -> nbformat.NotebookNode:
    """A cell with nbgrader metadata: kind is setup, answer or test."""
    meta = {"grade_id": grade_id, "schema_version": 3, "task": False}
    if kind == "setup":
        meta.update(grade=False, solution=False, locked=True)
    elif kind == "answer":
        meta.update(grade=False, solution=True, locked=False)
    else:
        meta.update(grade=True, solution=False, locked=True, points=points)
    return new_code_cell(source, metadata={"nbgrader": meta})


def hidden(visible: str, secret: str) -> str:
    return f"{visible}\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS\n"


def solution(body: str, signature: str) -> str:
    return f"{signature}\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION\n"


TINY = [
    new_markdown_cell("# A tiny lesson\nTwo exercises, for the grader's tests."),
    graded("import numpy as np\n\nfrom helpers import checks", "setup", "setup"),
    new_code_cell("OFFSET = 0  # a demonstration: no test reads it\nprint('offset:', OFFSET)"),
    new_markdown_cell("## Exercise 1: add two arrays"),
    graded(
        solution(
            "return np.asarray(a) + np.asarray(b)", 'def add(a, b):\n    """a + b, element-wise."""'
        ),
        "ex1-add",
        "answer",
    ),
    graded(
        hidden(
            'checks.check_close(add([1, 2], [3, 4]), [4, 6], "add([1, 2], [3, 4])", hint="add element by element")',
            "_rng = np.random.default_rng(1)\n"
            "for _ in range(5):\n"
            "    _a, _b = _rng.normal(size=3), _rng.normal(size=3)\n"
            '    assert np.allclose(add(_a, _b), _a + _b), "add is wrong on random vectors (secret-ex1)"\n'
            'assert isinstance(add(1, 2) + 0, (int, float, np.number, np.ndarray)), "add(1, 2) is a number"',
        ),
        "ex1-tests",
        "test",
        2,
    ),
    new_markdown_cell("## Exercise 2: square"),
    graded(
        solution("return np.asarray(x) ** 2", 'def square(x):\n    """x squared, element-wise."""'),
        "ex2-square",
        "answer",
    ),
    graded(
        hidden(
            'checks.check_close(square([1, 2, 3]), [1, 4, 9], "square([1, 2, 3])", hint="x * x")',
            "_x = np.random.default_rng(2).normal(size=4)\n"
            'assert np.allclose(square(_x), _x * _x), "square is wrong on random input (secret-ex2)"\n'
            'assert len(square([1.0, 2.0])) == 2, "square keeps the length"',
        ),
        "ex2-tests",
        "test",
        3,
    ),
    new_markdown_cell("That is all."),
]

OTHER = [
    new_markdown_cell("# Another lesson"),
    graded("import numpy as np", "setup", "setup"),
    graded(solution("return 2 * x", "def double(x):"), "ex1-double", "answer"),
    graded(hidden("assert double(2) == 4", "assert double(-3) == -6"), "ex1-tests", "test", 1),
]

KERAS = [
    new_markdown_cell("# A lesson with Keras"),
    graded("import numpy as np\nimport keras\n\nfrom helpers import checks", "setup", "setup"),
    graded(
        solution(
            "return keras.layers.Dense(units)",
            'def make_dense(units):\n    """A Dense layer with `units` outputs."""',
        ),
        "ex1-dense",
        "answer",
    ),
    graded(
        hidden(
            "layer = make_dense(4)\nassert isinstance(layer, keras.layers.Dense)\n"
            'assert tuple(layer(np.zeros((2, 3), "float32")).shape) == (2, 4)',
            "assert make_dense(7).units == 7",
        ),
        "ex1-tests",
        "test",
        4,
    ),
]


def make_course(root: Path, keras: bool = True) -> Path:
    """Write the tiny course's ``nbgrader_config.py`` and ``solutions/`` under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    lessons = {"00-tiny": TINY, "00-other": OTHER}
    if keras:
        lessons["00-keras"] = KERAS
    for lesson, cells in lessons.items():
        folder = root / "solutions" / lesson
        folder.mkdir(parents=True, exist_ok=True)
        nb = new_notebook(
            cells=[nbformat.from_dict(c) for c in cells],
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
        )
        nbformat.write(nb, str(folder / f"{lesson}.ipynb"))
    return root
