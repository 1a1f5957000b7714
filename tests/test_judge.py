"""The judge and its wire: values as data, tests outside the kernel.

The first half needs no kernel: what :mod:`grading.wire` lets travel and what it refuses. The
second half drives a real kernel through :class:`grading.judge.Judge`, as ``make grade``
does: names fetched as data, calls into the student's functions, their exceptions, a kernel
that hangs or dies, a notebook that removes the grader's module, and proof that the kernel
is never sent a test's code.
"""

from __future__ import annotations

import json
import os
import struct
import time

import numpy as np
import pytest
from jupyter_client.manager import start_new_kernel

from grading import wire
from grading.judge import ChangedInput, Judge, JudgeAbort, StudentCodeError, setup_namespace

# ------------------------------------------------------------------ the wire, without a kernel


def roundtrip(value):
    return wire.decode(wire.encode(value))


def test_data_travels_as_itself():
    value = {
        "int": 3,
        "float": 2.5,
        "nan": float("nan"),
        "text": "héllo",
        "none": None,
        "flags": [True, False],
        "tuple": (1, (2, 3)),
        "set": {1, 2},
        "complex": 1 - 2j,
        "bytes": b"\x00\x01",
        "array": np.arange(12, dtype=np.float32).reshape(3, 4),
        "bools": np.array([True, False]),
        "scalar": np.int16(-7),
        "empty": np.zeros((0, 3)),
        7: "an int key",
    }
    back = roundtrip(value)
    assert back.keys() == value.keys()
    assert np.isnan(back["nan"]) and back["tuple"] == (1, (2, 3)) and back["set"] == {1, 2}
    assert back["array"].dtype == np.float32 and np.array_equal(back["array"], value["array"])
    assert type(back["scalar"]) is np.int16 and back["scalar"] == -7
    assert back["bytes"] == b"\x00\x01" and back["complex"] == 1 - 2j and back[7] == "an int key"
    assert back["empty"].shape == (0, 3)


def test_subclasses_travel_as_their_base_type():
    class Sneaky(float):
        def __eq__(self, other):
            return True

    class Weird(np.ndarray):
        def __eq__(self, other):
            return True

    back = roundtrip([Sneaky(1.5), np.zeros(3).view(Weird)])
    assert type(back[0]) is float and back[0] != 2.0
    assert type(back[1]) is np.ndarray


@pytest.mark.parametrize(
    "value", [lambda x: x, object(), np.array([object()]), np.array(["text"]), open]
)
def test_what_is_not_data_is_refused_without_a_reference(value):
    with pytest.raises(wire.WireError):
        wire.encode(value)


def message(document, blobs=b""):
    text = json.dumps(document).encode()
    return wire.MAGIC + struct.pack("!Q", len(text)) + text + blobs


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "not a message"),
        (b"pickle\x80\x04", "not a message"),
        (message({"$a": ["object", [1], 0]}, b"\0" * 8), "not allowed"),
        (message({"$a": ["float64", [4], 0]}, b"\0" * 8), "past the end"),
        (message({"$a": ["float64", [-1], 0]}), "shape"),
        (message({"$a": ["float64", [1], 0]}, b"\0" * 16), "no value uses"),
        (message([{"$a": ["uint8", [1], 1]}, {"$a": ["uint8", [1], 0]}], b"ab"), "order"),
        (message({"$x": 1}), "not allowed"),
        (message({"a": 1, "b": 2}), "malformed"),
        (message({"$f": [1, "f"]}), "not allowed"),
        (message({"$t": "abc"}), "not allowed"),
        (message({"$d": [[1]]}), "malformed"),
        (message(json.loads("[" * 100 + "]" * 100)), "deeply"),
        (wire.MAGIC + struct.pack("!Q", 2**40) + b"{}", "MiB"),
    ],
)
def test_malformed_messages_are_refused(data, why):
    with pytest.raises(wire.WireError, match=why):
        wire.decode(data)


def test_size_limits(monkeypatch):
    monkeypatch.setattr(wire, "MAX_FILE", 1000)
    with pytest.raises(wire.WireError, match="MiB"):
        wire.encode(np.zeros(200))
    monkeypatch.setattr(wire, "MAX_DOCUMENT", 100)
    with pytest.raises(wire.WireError, match="other than arrays"):
        wire.encode(list(range(100)))


def test_keras_objects_travel_as_config_and_weights():
    import keras

    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dropout(0.1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    back = roundtrip(model)
    assert type(back) is keras.Sequential and back is not model
    assert [type(layer).__name__ for layer in back.layers] == ["Dense", "Dropout"]
    for mine, theirs in zip(back.get_weights(), model.get_weights(), strict=True):
        assert np.array_equal(mine, theirs)
    assert back.compiled and back.loss == "mse"
    assert float(back.optimizer.learning_rate) == pytest.approx(0.01)
    layer = roundtrip(keras.layers.Conv2D(4, (2, 3), strides=2, padding="same"))
    assert layer.get_config()["kernel_size"] == (2, 3) and not layer.built


def test_keras_configs_that_carry_code_are_refused():
    import keras

    config = keras.saving.serialize_keras_object(keras.layers.Dense(2))
    for change, why in [
        ({"module": "os", "class_name": "system"}, "not allowed"),
        ({"class_name": "Lambda"}, "not allowed"),
        ({"class_name": "TorchModuleWrapper"}, "not allowed"),
        ({"registered_name": "mypackage>Evil"}, "custom"),
    ]:
        with pytest.raises(wire.WireError, match=why):
            wire.check_keras_config({**config, **change})
    inner = {**config, "config": {**config["config"], "activation": {"module": "__main__"}}}
    inner["config"]["activation"]["class_name"] = "function"
    with pytest.raises(wire.WireError):
        wire.check_keras_config(inner)


def test_files_are_read_only_when_regular(tmp_path):
    (tmp_path / "real").write_bytes(b"data")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    os.mkfifo(tmp_path / "pipe")
    folder = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert wire.read_file("real", folder) == b"data"
        with pytest.raises(OSError):
            wire.read_file("link", folder)
        with pytest.raises(wire.WireError, match="regular"):
            wire.read_file("pipe", folder)
        wire.write_file("new", b"x", folder)
        with pytest.raises(FileExistsError):
            wire.write_file("new", b"y", folder)
    finally:
        os.close(folder)


# ------------------------------------------------------------------ the judge, with a kernel

SETUP = "import numpy as np\n\nfrom helpers import checks"


@pytest.fixture
def judged(tmp_path):
    """A plain kernel, its judge, and a function to run notebook code in the kernel."""
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    (tmp_path / "wire").mkdir()
    judge = Judge(
        manager.get_connection_info(session=False),
        tmp_path / "wire",
        setup_namespace([SETUP]),
        alive=manager.is_alive,
    )

    def notebook(code):
        reply = client.execute_interactive(code, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]

    notebook(SETUP)
    yield judge, notebook, manager
    judge.close()
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def test_tests_run_here_on_data_from_the_kernel(judged):
    judge, notebook, _ = judged
    notebook("def add(a, b):\n    return np.asarray(a) + b\n\nX = np.ones((2, 2))\nSEEN = []")
    printed, error = judge.run(
        "out = add(X, 1)\n"
        "assert type(out) is np.ndarray and out.tolist() == [[2, 2], [2, 2]]\n"
        "assert isinstance(add, object) and 'add' in repr(add)\n"
        "checks.check_close(add([1, 2], [3, 4]), [4, 6], 'add')\n",
        30,
    )
    assert error is None, error
    assert "✓ add" in printed


def test_a_failed_check_fails_the_test_with_its_message(judged):
    judge, notebook, _ = judged
    notebook("def add(a, b):\n    return 0")
    _, error = judge.run("checks.check_close(add([1, 2], [3, 4]), [4, 6], 'add', hint='sum')", 30)
    assert type(error).__name__ == "CheckFailed" and "sum" in str(error)


def test_the_students_exceptions_come_back_as_builtin_classes(judged):
    judge, notebook, _ = judged
    notebook(
        "class MyError(ValueError):\n    pass\n\n\n"
        "def f(x):\n    if x == 'bad':\n        raise MyError('no such padding')\n"
        "    raise RuntimeError('boom')"
    )
    printed, error = judge.run(
        "try:\n    f('bad')\nexcept ValueError as e:\n    print('caught', e)\nelse:\n    raise AssertionError",
        30,
    )
    assert error is None and "caught no such padding" in printed
    _, error = judge.run("f('other')", 30)
    assert isinstance(error, RuntimeError) and "boom" in str(error)
    assert "a cell of your notebook" in str(error)


def test_a_missing_answer_is_a_name_error(judged):
    judge, _, _ = judged
    _, error = judge.run("conv2d_single(1, 2)", 30)
    assert isinstance(error, NameError) and "conv2d_single" in str(error)


def test_inputs_are_copies_and_comparisons_are_the_judges(judged):
    judge, notebook, _ = judged
    notebook(
        "def add(a, b):\n    a[...] = 0\n    b[...] = 0\n    np.allclose = lambda *x, **k: True\n"
        "    checks.check_close = lambda *x, **k: None\n    return np.zeros_like(a)"
    )
    _, error = judge.run(
        "_a, _b = np.ones(3), np.ones(3)\nassert np.allclose(add(_a, _b), _a + _b), 'wrong sum'", 30
    )
    assert isinstance(error, ChangedInput), error
    assert "argument 1, argument 2" in str(error) and "in place" in str(error)
    _, error = judge.run(
        "_a = np.ones(3)\nassert np.allclose(_a, 1) and np.allclose(np.ones(2), 0), 'judged'", 30
    )
    assert isinstance(error, AssertionError) and "judged" in str(error)


def test_a_function_that_changes_its_input_in_place_fails_the_call(judged):
    judge, notebook, _ = judged
    notebook(
        "def step(w, lr=0.1, *, grad):\n    w -= lr * grad\n    return w\n\n"
        "def fresh(w, lr=0.1, *, grad):\n    w = w - lr * grad\n    return w\n\n"
        "def nan_in(x):\n    return x * 2"
    )
    _, error = judge.run("step(np.ones(3), grad=np.ones(3))", 30)
    assert isinstance(error, ChangedInput) and "step changed" in str(error)
    _, error = judge.run("_w = np.ones(3)\nstep(lr=0.5, grad=np.ones(3), w=_w)", 30)
    assert isinstance(error, ChangedInput) and "(w=)" in str(error)
    printed, error = judge.run(
        "_w = np.ones(3)\nprint(fresh(_w, grad=np.ones(3)).tolist(), _w.tolist())\n"
        "print(nan_in(np.array([np.nan, 1.0])).tolist())",
        30,
    )
    assert error is None, error
    assert "[0.9, 0.9, 0.9] [1.0, 1.0, 1.0]" in printed and "[nan, 2.0]" in printed


def test_a_test_reads_the_students_source_but_never_runs_it_here(judged):
    judge, notebook, _ = judged
    notebook(
        "def confusion_matrix(t, p):\n    from sklearn.metrics import confusion_matrix as cm\n\n"
        "    return cm(t, p)\n\n"
        "def twice(x):\n    y = 2 * x\n    return y\n\n"
        "shortcut = len"
    )
    printed, error = judge.run(
        "import inspect\n"
        "print(confusion_matrix.__module__, 'sklearn' in inspect.getsource(confusion_matrix))\n"
        "print(inspect.getsource(twice).splitlines()[-1])\n"
        "print(inspect.unwrap(confusion_matrix)(), confusion_matrix([0, 1], [0, 1]).tolist())\n"
        "try:\n    inspect.getsource(shortcut)\nexcept (OSError, TypeError):\n"
        "    print('no source')\n",
        30,
    )
    assert error is None, error
    lines = printed.splitlines()
    assert lines[0] == "__main__ True", printed
    assert lines[1] == "    return y", printed
    assert lines[2] == "None [[1, 0], [0, 1]]", (
        printed
    )  # the stand-in does nothing; the kernel computes
    assert lines[3] == "no source", printed


def test_the_kernel_is_never_sent_test_code(judged):
    judge, notebook, _ = judged
    notebook(
        "SEEN = []\nget_ipython().events.register('pre_run_cell', lambda i: SEEN.append(i.raw_cell))\n"
        "_run = get_ipython().run_cell\n"
        "get_ipython().run_cell = lambda raw, *a, **k: (SEEN.append(raw), _run(raw, *a, **k))[1]\n"
        "import sys\n\ndef add(a, b):\n    SEEN.append(repr(sys._getframe(1).f_locals))\n    return a + b"
    )
    judge.run("_secret_reference = 12345\nassert add(1, 2) == 3, 'HIDDEN-MESSAGE'", 30)
    printed, error = judge.run("print(SEEN)", 30)
    assert error is None
    assert "_secret_reference" not in printed and "12345" not in printed


def test_functions_of_the_test_do_not_travel(judged):
    judge, notebook, _ = judged
    notebook("def apply(f, x):\n    return f(x)")
    _, error = judge.run("apply(lambda x: x, 1)", 30)
    assert isinstance(error, wire.WireError) and "not a function" in str(error)


def test_kernel_objects_stay_there_as_handles(judged):
    judge, notebook, _ = judged
    notebook(
        "class Box:\n    size = 3\n\n    def grow(self, n):\n        return self.size + n\n\n\nbox = Box()"
    )
    printed, error = judge.run(
        "assert box.size == 3 and box.grow(2) == 5\nassert not (box == 3)\nprint(box)", 30
    )
    assert error is None, error
    assert "the student's" in printed


def test_a_hanging_call_aborts_the_test(judged):
    judge, notebook, manager = judged
    notebook("import time\n\ndef slow(x):\n    time.sleep(60)")
    started = time.monotonic()
    with pytest.raises(JudgeAbort, match="time limit"):
        judge.run("slow(1)", 2)
    assert time.monotonic() - started < 10


def test_a_kernel_that_dies_aborts_the_test(judged):
    judge, notebook, _ = judged
    notebook("import os\n\ndef crash(x):\n    os._exit(3)")
    with pytest.raises(JudgeAbort, match="died"):
        judge.run("crash(1)", 30)


def test_the_grader_module_comes_back_when_the_notebook_removes_it(judged):
    judge, notebook, _ = judged
    notebook("import sys\n\ndef add(a, b):\n    return a + b")
    judge.run("assert add(1, 2) == 3", 30)
    notebook("sys.modules.pop('_grading_wire', None)")
    _, error = judge.run("assert add(2, 2) == 4", 30)
    assert error is None
    notebook("sys.modules['_grading_wire'] = 'not a module'")
    _, error = judge.run("assert add(2, 3) == 5", 30)
    assert error is None


def test_unreadable_answers_fail_the_test_not_the_grader(judged):
    judge, notebook, _ = judged
    notebook("def big(x):\n    return np.zeros(300 * 2**20 // 8)\n\ndef odd(x):\n    return {1, 2}")
    _, error = judge.run("big(1)", 60)
    assert isinstance(error, StudentCodeError) and "cannot be graded" in str(error)
    _, error = judge.run("try:\n    big(1)\nexcept ValueError:\n    pass", 60)
    assert isinstance(error, StudentCodeError), "an unsendable answer is not a ValueError"
    _, error = judge.run("assert odd(0) == {1, 2}", 30)
    assert error is None
