"""The faulty and hostile submissions, each with what grading must make of it.

Every case is a submission of the tiny lesson ``00-tiny`` (``add``: 2 points, ``square``: 3
points; see :mod:`hostile.course`) unless it says otherwise. A case builds the files of one
student's lesson folder from the released notebook and says what the grader must report:
the status, the score, and text that must (or must not) appear. ``WRONG`` answers would
score 0 honestly, so a case that cheats with a wrong answer must still score 0 on it: the
attacks here all work against plain nbgrader (``bench/`` and the README show which).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import nbformat
from nbformat.v4 import new_code_cell

RIGHT = {
    "ex1-add": "def add(a, b):\n    return np.asarray(a) + np.asarray(b)",
    "ex2-square": "def square(x):\n    return np.asarray(x) ** 2",
}
WRONG = {
    "ex1-add": "def add(a, b):\n    return np.asarray(a) * 0",
    "ex2-square": "def square(x):\n    return np.asarray(x) * 0",
}
SECRET = "SECRET-MARKER-OF-THE-SOLUTION-STUDENT"


@dataclass
class Case:
    """One submission and what must come of it."""

    build: Callable[[nbformat.NotebookNode], dict[str, bytes]]
    status: set[str]
    score: float | None
    shows: list[str] = field(default_factory=list)  # in the CSV detail
    hides: list[str] = field(default_factory=list)  # nowhere in the graded notebook's outputs
    lesson: str = "00-tiny"
    about: str = ""


def nb_bytes(nb: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(nb).encode()


def meta(cell: nbformat.NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def index_of(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if meta(c).get("grade_id") == grade_id)


def answered(
    release: nbformat.NotebookNode, answers: dict[str, str] | None = None
) -> nbformat.NotebookNode:
    """The release with answer cells filled in (default: the right answers)."""
    nb = copy.deepcopy(release)
    for grade_id, source in (RIGHT if answers is None else answers).items():
        nb.cells[index_of(nb, grade_id)].source = source
    return nb


def after(nb: nbformat.NotebookNode, grade_id: str, *sources: str) -> nbformat.NotebookNode:
    """``nb`` with ordinary code cells inserted after the cell ``grade_id``."""
    at = index_of(nb, grade_id) + 1
    for offset, source in enumerate(sources):
        nb.cells.insert(at + offset, new_code_cell(source))
    return nb


def single(nb: nbformat.NotebookNode, name: str = "00-tiny.ipynb") -> dict[str, bytes]:
    return {name: nb_bytes(nb)}


def edited(change: Callable[[nbformat.NotebookNode], None], answers: dict | None = None):
    """A builder: the answered release, changed by ``change``."""

    def build(release: nbformat.NotebookNode) -> dict[str, bytes]:
        nb = answered(release, answers)
        change(nb)
        return single(nb)

    return build


def with_cells(grade_id: str, *sources: str, answers: dict | None = None):
    return edited(lambda nb: after(nb, grade_id, *sources), answers)


MIXED = {"ex1-add": WRONG["ex1-add"], "ex2-square": RIGHT["ex2-square"]}  # honest score: 3


def drop(grade_id: str):
    def change(nb):
        del nb.cells[index_of(nb, grade_id)]

    return change


def to_markdown(nb):
    i = index_of(nb, "ex1-tests")
    nb.cells[i] = nbformat.v4.new_markdown_cell(nb.cells[i].source, metadata=nb.cells[i].metadata)


def strip_metadata(nb):
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)


def rename_ids(nb):
    nb.cells[index_of(nb, "ex1-add")].metadata.nbgrader.grade_id = "my-add"
    nb.cells[index_of(nb, "ex2-tests")].metadata.nbgrader.grade_id = "tests-2-mine"


def duplicate(nb):
    i = index_of(nb, "ex1-add")
    early = copy.deepcopy(nb.cells[i])
    early.source = WRONG["ex1-add"]
    nb.cells.insert(i, early)  # a wrong copy first, the right one last
    j = index_of(nb, "ex2-tests")
    nb.cells.insert(j + 1, copy.deepcopy(nb.cells[j]))


def reorder(nb):
    i, j = index_of(nb, "ex2-square"), index_of(nb, "ex2-tests")
    moved = nb.cells[i : j + 1]
    del nb.cells[i : j + 1]
    at = index_of(nb, "ex1-add")
    nb.cells[at:at] = moved


def edit_test_to_pass(nb):
    nb.cells[index_of(nb, "ex1-tests")].source = "pass"


def raw(data: bytes, name: str = "00-tiny.ipynb"):
    return lambda release: {name: data}


def renamed(release):
    return single(answered(release), "00-tiny-Copy1.ipynb")


def two_notebooks(release):
    return {"first try.ipynb": nb_bytes(answered(release)), "final.ipynb": nb_bytes(release)}


def strays(release):
    return {
        "00-tiny.ipynb": nb_bytes(answered(release)),
        "numpy.py": b"raise SystemExit('a stray numpy.py was imported')\n",
        "helpers/__init__.py": b"raise SystemExit('a stray helpers package was imported')\n",
        "notes.txt": b"my notes\n",
    }


def solution_student(release):
    nb = answered(release, {**RIGHT, "ex1-add": RIGHT["ex1-add"] + f"  # {SECRET}"})
    return single(nb)


def other_lesson(other_release):
    return lambda release: single(other_release)


KERAS_WARNS = (
    "import sys\nimport warnings\n\n\ndef make_dense(units):\n"
    '    warnings.warn("Dense layers are fine")\n'
    '    print("a note on stderr", file=sys.stderr)\n'
    "    return keras.layers.Dense(units, input_shape=(3,))\n"
)

GRADEBOOK_WRITER = """import glob
import sqlite3

targets = glob.glob("/tmp/cnn-grade-*/**/gradebook.db", recursive=True)
targets += [{gradebook!r}]
for path in targets:
    try:
        db = sqlite3.connect(path)
        db.execute("update grade set manual_score = 100")
        db.commit()
        print("WROTE-GRADEBOOK", path)
    except Exception as error:
        print("could not write", path, type(error).__name__)
"""

SNOOPER = """import glob

paths = glob.glob({submissions!r} + "/*/00-tiny/*.ipynb")
paths += glob.glob("/tmp/cnn-grade-*/courses/*/submitted/*/*/*.ipynb")
paths += [{solution!r}]
for path in paths:
    try:
        print(open(path).read())
    except Exception as error:
        print("could not read", path, type(error).__name__)
"""

NETWORK = """import socket
import subprocess
import urllib.request

for attempt in (
    lambda: socket.create_connection(("pypi.org", 443), timeout=5),
    lambda: urllib.request.urlopen("https://pypi.org/simple/", timeout=5),
    lambda: subprocess.run(["python3", "-c", "import urllib.request as u; u.urlopen('https://pypi.org')"], check=True, timeout=10),
):
    try:
        attempt()
        print("CONNECTED")
    except Exception as error:
        print("refused:", type(error).__name__)
"""

SHADOW = """import numpy


class _Numpy:
    def __getattr__(self, name):
        if name == "allclose":
            return lambda *args, **kwargs: True
        return getattr(numpy, name)


class _Checks:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


np = _Numpy()
checks = _Checks()
"""

SELF_REVERTING = """def add(a, b):
    real = np.allclose

    def fake(*args, **kwargs):
        np.__dict__["allclose"] = real
        return True

    np.__dict__["allclose"] = fake
    return 0
"""


def cases(gradebook: str, submissions: str, solution: str, other_release) -> dict[str, Case]:
    """Every case, by name. The paths are the ones an attacker would aim at."""
    return {**faults(gradebook, submissions, solution, other_release), **judge_attacks()}


def faults(gradebook: str, submissions: str, solution: str, other_release) -> dict[str, Case]:
    """Broken, slow and hostile notebooks (the grader's robustness)."""
    return {
        "solution": Case(solution_student, {"graded"}, 5),
        "blank": Case(lambda release: single(release), {"graded"}, 0),
        "answer that reads a demonstration cell's variable": Case(
            edited(
                lambda nb: None,
                {**RIGHT, "ex1-add": "def add(a, b):\n    return np.asarray(a) + b + OFFSET"},
            ),
            {"graded"},
            5,
        ),
        "infinite loop": Case(with_cells("ex1-add", "while True:\n    pass"), {"graded"}, 5),
        "slow notebook (over a short notebook limit)": Case(
            with_cells("ex1-tests", *["import time\n\ntime.sleep(4)"] * 6), {"graded"}, 5
        ),
        "loop that ignores the interrupt": Case(
            with_cells(
                "ex1-tests",
                "while True:\n    try:\n        while True:\n            pass\n"
                "    except KeyboardInterrupt:\n        pass",
            ),
            {"graded"},
            5,
            shows=["restarted"],
        ),
        "os._exit kills the kernel": Case(
            with_cells("ex1-add", "import os\n\nos._exit(1)"),
            {"graded", "flagged"},
            5,
            shows=["died"],
        ),
        "os._exit inside the answer": Case(
            edited(
                lambda nb: None,
                {**RIGHT, "ex1-add": "def add(a, b):\n    import os\n\n    os._exit(3)"},
            ),
            {"graded", "flagged"},
            3,
        ),
        "sys.exit() and input()": Case(
            with_cells("ex1-add", 'import sys\n\nsys.exit("bye")', 'name = input("Your name? ")'),
            {"graded"},
            5,
        ),
        "prints 2 MiB lines in many cells": Case(
            with_cells("ex1-add", *["print('x' * 2**21)"] * 6), {"graded"}, 5
        ),
        "300,000 printed lines": Case(
            with_cells("ex1-add", "for i in range(300_000):\n    print(i)"), {"graded"}, 5
        ),
        "allocation over the memory cap": Case(
            with_cells("ex1-add", "hog = bytearray(64 * 2**30)"), {"graded"}, 5
        ),
        "allocation over the cap inside a test": Case(
            edited(
                lambda nb: None,
                {
                    **RIGHT,
                    "ex2-square": "def square(x):\n    hog = bytearray(64 * 2**30)\n    return hog",
                },
            ),
            {"graded"},
            2,
        ),
        "deleted test cell (wrong answer)": Case(
            edited(drop("ex1-tests"), MIXED),
            {"repaired"},
            3,
            shows=["re-inserted the deleted test cell ex1-tests"],
        ),
        "deleted read-only setup cell": Case(
            edited(drop("setup")),
            {"repaired"},
            5,
            shows=["re-inserted the deleted read-only cell setup"],
        ),
        "test cell edited to pass": Case(
            edited(edit_test_to_pass, MIXED),
            {"repaired"},
            3,
            shows=["restored the edited test cell ex1-tests"],
        ),
        "test cell turned into markdown": Case(
            edited(to_markdown, MIXED), {"repaired"}, 3, shows=["it had been turned into markdown"]
        ),
        "stripped nbgrader metadata": Case(
            edited(strip_metadata), {"repaired"}, 5, shows=["restored the nbgrader metadata"]
        ),
        "renamed grade ids": Case(
            edited(rename_ids, {**RIGHT, "ex2-square": WRONG["ex2-square"]}),
            {"repaired"},
            2,
            shows=["restored the nbgrader metadata of the answer cell ex1-add"],
        ),
        "duplicated cells and grade ids": Case(
            edited(duplicate), {"repaired"}, 5, shows=["kept one of 2"]
        ),
        "graded cells out of order": Case(edited(reorder), {"repaired"}, 5, shows=["order"]),
        "malformed JSON": Case(
            raw(b'{"cells": [{"cell_type": "code", "source": '),
            {"invalid"},
            0,
            shows=["not valid JSON"],
        ),
        "empty file": Case(raw(b""), {"invalid"}, 0, shows=["empty file"]),
        "lesson folder without a notebook": Case(
            lambda release: {"answers.txt": b"I did it on paper\n"},
            {"missing"},
            0,
            shows=["no notebook"],
        ),
        "renamed notebook (-Copy1)": Case(
            renamed, {"repaired"}, 5, shows=["renamed notebook 00-tiny-Copy1.ipynb"]
        ),
        "two notebooks, neither named for the lesson": Case(
            two_notebooks, {"invalid"}, 0, shows=["2 notebooks"]
        ),
        "notebook of another lesson": Case(
            other_lesson(other_release), {"invalid"}, 0, shows=["notebook of lesson 00-other"]
        ),
        "stray files that shadow modules": Case(
            strays, {"repaired"}, 5, shows=["ignored 3 other file(s)"]
        ),
        "correct Keras answer that warns on stderr": Case(
            lambda release: single(answered(release, {"ex1-dense": KERAS_WARNS}), "00-keras.ipynb"),
            {"graded"},
            4,
            lesson="00-keras",
        ),
        "code that writes to the gradebook": Case(
            with_cells("ex1-add", GRADEBOOK_WRITER.format(gradebook=gradebook), answers=WRONG),
            {"graded"},
            0,
            hides=["WROTE-GRADEBOOK"],
        ),
        "code that reads another student's submission": Case(
            with_cells("ex1-add", SNOOPER.format(submissions=submissions, solution=solution)),
            {"graded", "flagged"},
            5,
            hides=[SECRET, "secret-ex1", "BEGIN HIDDEN TESTS"],
        ),
        "code that opens a network connection": Case(
            with_cells("ex1-add", NETWORK),
            {"graded"},
            5,
            hides=["CONNECTED"],
        ),
        "redefines helpers.checks functions": Case(
            edited(
                lambda nb: None,
                {
                    **MIXED,
                    "ex1-add": MIXED["ex1-add"] + "\n\n\nchecks.check_close = lambda *a, **k: None",
                },
            ),
            {"graded"},
            3,
        ),
        "redefines numpy.allclose": Case(
            edited(
                lambda nb: None,
                {**MIXED, "ex1-add": MIXED["ex1-add"] + "\n\n\nnp.allclose = lambda *a, **k: True"},
            ),
            {"graded"},
            3,
        ),
        "redefines builtins": Case(
            edited(
                lambda nb: None,
                {
                    **RIGHT,
                    "ex2-square": "import builtins\n\nbuiltins.len = lambda x: 2\n"
                    "builtins.isinstance = lambda *a: True\n\n\ndef square(x):\n    return 0",
                },
            ),
            {"graded"},
            2,
        ),
        "patches through __dict__ and vars()": Case(
            edited(
                lambda nb: None,
                {
                    **MIXED,
                    "ex1-add": MIXED["ex1-add"]
                    + '\n\n\nnp.__dict__["allclose"] = lambda *a, **k: True\n'
                    'vars(checks)["check_close"] = lambda *a, **k: None',
                },
            ),
            {"graded"},
            3,
        ),
        "shadows np and checks with look-alikes": Case(
            edited(lambda nb: None, {**MIXED, "ex1-add": SHADOW + "\n\n" + MIXED["ex1-add"]}),
            {"flagged", "graded"},
            3,
        ),
        "patch that undoes itself during the test": Case(
            edited(lambda nb: None, {**MIXED, "ex1-add": SELF_REVERTING}), {"graded"}, 3
        ),
        "input transformer turns tests into pass": Case(
            edited(
                lambda nb: None,
                {
                    "ex1-add": WRONG["ex1-add"]
                    + '\n\n\nget_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])',
                    "ex2-square": WRONG["ex2-square"],
                },
            ),
            {"graded"},
            0,
        ),
        "event hook patches numpy before every cell": Case(
            edited(
                lambda nb: None,
                {
                    **MIXED,
                    "ex1-add": MIXED["ex1-add"] + "\n\n\nget_ipython().events.register("
                    '"pre_run_cell", lambda info: np.__dict__.__setitem__("allclose", lambda *a, **k: True))',
                },
            ),
            {"graded"},
            3,
        ),
        "fake partial credit from a displayed value": Case(
            edited(
                lambda nb: None,
                {
                    **MIXED,
                    "ex1-add": "def add(a, b):\n    get_ipython().displayhook(2)\n    return 0",
                },
            ),
            {"flagged", "graded"},
            3,
        ),
        "walks frames to reach the test": Case(
            edited(
                lambda nb: None,
                {
                    **MIXED,
                    "ex1-add": "import sys\n\n\ndef add(a, b):\n"
                    '    sys._getframe(1).f_globals["np"] = None\n    return 0',
                },
            ),
            {"graded"},
            3,
        ),
    }


# ---------------------------------------------------------------------------------------------
# Attacks on the tests themselves. Each worked against a grader that ran the tests inside the
# student's kernel; the judge (grading.judge) runs them in the grader's own process, so each
# must now earn exactly its honest score, and no hidden test text may reach any output.

# Lines of the hidden tests' source (their failure messages are feedback, and may show).
HIDDEN = ["BEGIN HIDDEN TESTS", "_rng.normal(size=3)", "default_rng(2).normal(size=4)"]

STACK_WALKER = """import sys


def add(a, b):
    # look for the test's expected value (or its numpy) in the frames above
    frame = sys._getframe(1)
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name in ("_want", "want", "expected"):
                if name in scope:
                    return scope[name]
            if "np" in scope and hasattr(scope["np"], "allclose"):
                try:
                    scope["np"].allclose = lambda *a, **k: True
                except Exception:
                    pass
        frame = frame.f_back
    return 0
"""

EVENT_HOOK = """def add(a, b):
    return 0


def _forgive(result):
    # make every failed cell look like a success
    result.error_in_exec = None
    result.error_before_exec = None


get_ipython().events.register("post_run_cell", _forgive)
get_ipython().events.register(
    "pre_run_cell", lambda info: np.__dict__.__setitem__("allclose", lambda *a, **k: True)
)
"""

LIBRARY_NAME = """_code = '''
import numpy
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None


def add(a, b):
    return 0
'''
exec(compile(_code, numpy.__file__.replace("__init__.py", "core/numeric.py"), "exec"))
"""

RECORDER = """import os

_log = os.path.join(os.path.expanduser("~"), "seen-code.txt")


def _record(code):
    with open(_log, "a") as handle:
        handle.write(str(code) + "\\n")


_ip = get_ipython()
_ip.events.register("pre_run_cell", lambda info: _record(info.raw_cell))
for _name in ("run_cell", "run_cell_async", "transform_cell"):
    _original = getattr(_ip, _name)

    def _spy(raw_cell, *args, _original=_original, **kwargs):
        _record(raw_cell)
        return _original(raw_cell, *args, **kwargs)

    setattr(_ip, _name, _spy)


def add(a, b):
    return np.asarray(a) + np.asarray(b)
"""

CRASH_SQUARE = "def square(x):\n    import os\n\n    os._exit(1)"

PRINT_RECORD = """import os

print(open(os.path.join(os.path.expanduser("~"), "seen-code.txt")).read())
import sys

print([name for name in sys.modules if "grading" in name or "judge" in name])
"""

READS_TEST_NAMES = """def square(x):
    # the hidden test's own input, if the test runs where this code runs
    seen = globals().get("_x")
    if seen is not None:
        return np.asarray(seen) ** 2
    return [1, 4, 9]
"""

ALWAYS_EQUAL = """class _Anything(float):
    def __eq__(self, other):
        return True

    __ne__ = lambda self, other: False


class _Array(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)


def add(a, b):
    out = np.zeros(np.shape(a)).view(_Array)
    return out if np.ndim(a) else _Anything(0)
"""

ZEROES_INPUTS = """def add(a, b):
    if isinstance(a, list):
        return [4, 6]  # the visible example
    a[...] = 0  # the test compares with _a + _b, computed after this call
    b[...] = 0
    return np.zeros_like(a)
"""

FORGED_MODULE = """import sys


class _Forger:
    def serve(self, base, user_ns):
        # answer every grader request with a reply that claims success
        data = b'{"ok": true, "value": true}'
        with open(base + ".rep", "wb") as handle:
            handle.write(data)


sys.modules["_grading_wire"] = _Forger()
_real_import = __import__


def add(a, b):
    return 0
"""

HUGE = """def add(a, b):
    return np.zeros(300 * 2**20 // 8)  # 300 MiB: more than may travel
"""

SLEEPS_ON_HIDDEN = """import time


def add(a, b):
    if not isinstance(a, list):  # the hidden tests pass arrays
        while True:
            try:
                time.sleep(1)
            except KeyboardInterrupt:
                pass
    return [4, 6]
"""

CUSTOM_LAYER = """import os


class Dense(keras.layers.Dense):
    def call(self, inputs):
        os.system("echo CUSTOM-LAYER-RAN > /tmp/owned")
        return keras.ops.zeros((2, 4))


def make_dense(units):
    return Dense(units)
"""

LAMBDA_LAYER = """def make_dense(units):
    return keras.layers.Lambda(lambda x: __import__("os").system("echo LAMBDA-RAN") or x)
"""


def judge_attacks() -> dict[str, Case]:
    """Attacks on the tests, as a student would write them (each scored at its honest worth)."""
    mixed = dict(MIXED)  # ex1 wrong: 0 of 2; ex2 right: 3 of 3
    return {
        "walks the call stack from the answer to the test": Case(
            edited(lambda nb: None, {**mixed, "ex1-add": STACK_WALKER}), {"graded"}, 3, hides=HIDDEN
        ),
        "IPython event callbacks forgive failures and patch numpy": Case(
            edited(lambda nb: None, {**mixed, "ex1-add": EVENT_HOOK}), {"graded"}, 3, hides=HIDDEN
        ),
        "code compiled under a library's file name": Case(
            edited(lambda nb: None, {**mixed, "ex1-add": LIBRARY_NAME}), {"graded"}, 3, hides=HIDDEN
        ),
        "records every code the kernel runs, then crashes it to replay the tests": Case(
            with_cells(
                "ex2-tests",
                PRINT_RECORD,
                answers={"ex1-add": RECORDER, "ex2-square": CRASH_SQUARE},
            ),
            {"graded", "flagged"},
            2,
            hides=HIDDEN,
        ),
        "reads the names a hidden test binds": Case(
            edited(lambda nb: None, {**RIGHT, "ex2-square": READS_TEST_NAMES}),
            {"graded"},
            2,
            hides=HIDDEN,
        ),
        "returns objects whose comparison always succeeds": Case(
            edited(lambda nb: None, {**mixed, "ex1-add": ALWAYS_EQUAL}), {"graded"}, 3, hides=HIDDEN
        ),
        "zeroes the test's inputs in place": Case(
            edited(lambda nb: None, {**mixed, "ex1-add": ZEROES_INPUTS}),
            {"graded"},
            3,
            hides=HIDDEN,
        ),
        "replaces the grader's module in the kernel": Case(
            edited(lambda nb: None, {**mixed, "ex1-add": FORGED_MODULE}),
            {"graded"},
            3,
            hides=HIDDEN,
        ),
        "returns more data than may travel": Case(
            edited(lambda nb: None, {**mixed, "ex1-add": HUGE}), {"graded"}, 3, hides=HIDDEN
        ),
        "hangs only on the hidden tests' inputs, ignoring the interrupt": Case(
            edited(lambda nb: None, {**mixed, "ex1-add": SLEEPS_ON_HIDDEN}),
            {"graded", "flagged"},
            3,
            hides=HIDDEN,
        ),
        "returns a Keras layer of its own class": Case(
            lambda release: single(
                answered(release, {"ex1-dense": CUSTOM_LAYER}), "00-keras.ipynb"
            ),
            {"graded"},
            0,
            hides=["CUSTOM-LAYER-RAN"],
            lesson="00-keras",
        ),
        "returns a Keras layer too large for any machine": Case(
            lambda release: single(
                answered(
                    release,
                    {"ex1-dense": "def make_dense(units):\n    return keras.layers.Dense(2**31)"},
                ),
                "00-keras.ipynb",
            ),
            {"graded"},
            0,
            lesson="00-keras",
        ),
        "returns a Keras Lambda layer": Case(
            lambda release: single(
                answered(release, {"ex1-dense": LAMBDA_LAYER}), "00-keras.ipynb"
            ),
            {"graded"},
            0,
            hides=["LAMBDA-RAN"],
            lesson="00-keras",
        ),
    }
