"""helpers.runtime: profiles, seeding, the device line, quiet start-up."""

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
