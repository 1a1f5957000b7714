"""helpers.runtime: profiles, seeding, the device line, quiet start-up."""

import json
import subprocess
import sys

import numpy as np
import pytest

from helpers import runtime


@pytest.mark.parametrize(
    ("value", "expected"),
    [("full", "full"), ("quick", "quick"), (" QUICK ", "quick"), ("", "full")],
)
def test_profile_comes_from_course_profile(monkeypatch, value, expected):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("COURSE_PROFILE", value)
    assert runtime.current_profile().name == expected


def test_profile_defaults_to_full(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    profile = runtime.current_profile()
    assert not profile.quick and profile.pick(full=10, quick=1) == 10


def test_autograding_is_always_quick(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    profile = runtime.current_profile()
    assert profile.quick and profile.pick(full=10, quick=1) == 1


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="'full'.*'quick'"):
        runtime.current_profile()


def test_seeding_repeats_random_numbers():
    import keras

    runtime.seed_everything(3)
    first = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    runtime.seed_everything(3)
    second = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_device_report_names_cpu_or_gpu():
    line = runtime.device_report()
    assert line.startswith(("CPU (", "GPU "))


def test_setup_prints_one_line_and_returns_profile(capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    profile = runtime.setup(seed=7)
    out = capsys.readouterr().out.strip().splitlines()
    assert profile.quick
    assert len(out) == 1 and "Profile: quick" in out[0] and "seed 7" in out[0]


def test_warnings_go_to_stdout_not_stderr(capsys):
    import warnings

    runtime.quiet_warnings()
    warnings.warn("a harmless warning", UserWarning, stacklevel=1)
    captured = capsys.readouterr()
    assert "a harmless warning" in captured.out and captured.err == ""


def test_start_up_writes_nothing_to_stderr():
    """A fresh interpreter that sets up a lesson and runs a convolution prints no stderr."""
    code = (
        "from helpers import setup; setup()\n"
        "import keras, numpy as np\n"
        "layer = keras.layers.Conv2D(2, 3)\n"
        "print(layer(np.zeros((1, 8, 8, 1), 'float32')).shape)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert "(1, 6, 6, 2)" in result.stdout
    assert result.stderr == ""


def test_binder_says_why_it_runs_quick_and_how_to_switch(monkeypatch):
    monkeypatch.setenv("COURSE_RUNTIME", "binder")
    quick = runtime.runtime_note(runtime.Profile("quick"))
    assert "quick profile" in quick and "%env COURSE_PROFILE=full" in quick
    assert "2 GB" in quick and "1–2 CPUs" in quick
    assert "run out of memory" in runtime.runtime_note(runtime.Profile("full"))
    monkeypatch.delenv("COURSE_RUNTIME")
    assert runtime.runtime_note(runtime.Profile("quick")) is None


def _setup_cells():
    """Each distinct set-up cell (the first code cell) of the solution notebooks, by lesson."""
    import nbformat

    from grading import synthetic

    cells: dict[str, list[str]] = {}
    for lesson in synthetic.lessons():
        nb = nbformat.read(synthetic.notebook_path(lesson), as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "code")
        cells.setdefault(cell.source, []).append(lesson)
    return [pytest.param(source, id="+".join(lessons)) for source, lessons in cells.items()]


@pytest.mark.parametrize("source", _setup_cells())
def test_lesson_set_up_cell_writes_nothing_to_stderr_on_the_active_backend(source, tmp_path):
    """A lesson's set-up cell, then a layer and a figure, on the backend KERAS_BACKEND names
    (make test: TensorFlow; make test-jax: JAX), write nothing to stderr."""
    import os

    from grading import synthetic

    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    code = (
        source
        + "\nlayer = keras.layers.Dense(2)\n"
        + "print(tuple(layer(np.zeros((1, 3), 'float32')).shape))\n"
        + "fig, ax = plt.subplots()\nax.plot([0, 1])\nplt.close(fig)\n"
    )
    env = dict(os.environ, COURSE_CACHE=str(tmp_path / "cache"), KERAS_HOME=str(tmp_path / "k"))
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=synthetic.COURSE,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f" on {backend} · " in result.stdout and "(1, 2)" in result.stdout, result.stdout
    assert result.stderr == ""


def test_configure_backend_tunes_jax_and_leaves_the_others_alone(tmp_path):
    """On JAX: the classic threefry and a compilation cache in the course's cache folder;
    on another backend, JAX's settings (where something imported it) are left as they were."""
    import os

    code = (
        "import sys, keras\n"
        "from helpers import runtime\n"
        "backend = runtime.configure_backend()\n"
        "jax = sys.modules.get('jax')\n"
        "print(backend, jax and jax.config.jax_threefry_partitionable,"
        " jax and jax.config.jax_compilation_cache_dir)\n"
    )
    env = dict(os.environ, COURSE_CACHE=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    backend, partitionable, cache = result.stdout.split()[-3:]
    assert backend == os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "jax":
        assert (partitionable, cache) == ("False", str(tmp_path / "cache" / "jax"))
    else:
        assert cache == "None", "the compilation cache is set only for the JAX backend"


def test_small_initial_weights_need_no_compilation_per_shape_on_jax():
    """On JAX, building layers of 30 kernel shapes compiles one random-number program, and
    their biases none; seeded weights repeat; inside jit and for large weights JAX's own
    draws are used. On another backend nothing of Keras's JAX backend is wrapped."""
    import os

    code = r"""
import json, logging, sys
from helpers import runtime
runtime.setup()
import keras, numpy as np
report = {"backend": keras.backend.backend()}
if report["backend"] == "jax":
    import jax
    compiled = []
    class Collect(logging.Handler):
        def emit(self, record):
            message = record.getMessage()
            if message.startswith("Finished XLA compilation of jit("):
                compiled.append(message.split("jit(")[1].split(")")[0])
    logging.getLogger("jax").addHandler(Collect())
    jax.config.update("jax_log_compiles", True)
    layers = []
    for units in range(1, 31):
        layer = keras.layers.Dense(units)
        layer.build((None, 7))
        layers.append(layer)
    jax.config.update("jax_log_compiles", False)
    report["compiled"] = compiled
    kernel, bias = layers[-1].weights
    report["kernel"] = [list(kernel.shape), str(kernel.dtype), float(np.abs(np.asarray(kernel)).max())]
    report["bias"] = [list(bias.shape), float(np.abs(np.asarray(bias)).max())]
    values = []
    for _ in range(2):
        keras.utils.set_random_seed(5)
        conv = keras.layers.Conv2D(3, 3)
        conv.build((None, 8, 8, 2))
        values.append(np.asarray(conv.kernel).tolist())
    report["repeat"] = values[0] == values[1]
    big = keras.layers.Dense(2048)
    big.build((None, 1024))
    report["big"] = list(big.kernel.shape)
    inside = jax.jit(lambda key: keras.random.uniform((3, 5), seed=key))(jax.random.PRNGKey(0))
    report["jit"] = list(inside.shape)
else:
    module = sys.modules.get("keras.src.backend.jax.random")
    report["wrapped"] = bool(module and hasattr(module.uniform, "course_wrapped"))
print(json.dumps(report))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == os.environ.get("KERAS_BACKEND", "tensorflow")
    if report["backend"] != "jax":
        assert report == {"backend": report["backend"], "wrapped": False}
        return
    uniform = [name for name in report["compiled"] if "uniform" in name]
    assert len(uniform) == 1, f"one program for every small kernel, not {report['compiled']}"
    assert not any("broadcast" in name for name in report["compiled"]), report["compiled"]
    limit = (6 / (7 + 30)) ** 0.5  # Glorot uniform
    assert report["kernel"][:2] == [[7, 30], "float32"] and 0 < report["kernel"][2] <= limit
    assert report["bias"] == [[30], 0.0]
    assert report["repeat"], "the same seed gives the same weights"
    assert report["big"] == [1024, 2048] and report["jit"] == [3, 5]
