"""Run-time settings every lesson shares: the profile, seeding, the device line, a quiet start-up.

A lesson's first code cell calls :func:`setup`, which prints one line such as::

    Profile: quick · Keras 3.15.1 on tensorflow · Device: CPU (2 cores) · seed 0

The *profile* decides the scale a notebook runs at without editing it:

* ``full`` (the default for people): real data sets, the epochs a lesson needs;
* ``quick`` (tests, CI, autograding): small data and few steps, every cell still runs.

It is read from the environment variable ``COURSE_PROFILE``. nbgrader sets
``NBGRADER_EXECUTION`` while it autogrades, and then the profile is always ``quick``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

# TensorFlow's C++ start-up messages (absl, oneDNN, CUDA probing) go to stderr, which
# nbgrader counts as a failed test cell. They must be silenced before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (C++ logging included) for the duration of the block.

    TensorFlow writes its "absl::InitializeLog" and CUDA-probe lines straight to the
    process's stderr at import and at device start-up, past every Python setting.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters): nothing to do
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_keras_quietly() -> None:
    """Import Keras (and its backend) and start the devices with start-up noise silenced."""
    with silenced_stderr():
        import keras  # noqa: F401

        _gpu_names()


ProfileName = Literal["full", "quick"]
PROFILES: tuple[ProfileName, ...] = ("full", "quick")
T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    """The scale a notebook runs at. Use :meth:`pick` to choose a value per profile."""

    name: ProfileName

    @property
    def quick(self) -> bool:
        """True for the small, fast profile used by tests and autograding."""
        return self.name == "quick"

    def pick(self, *, full: T, quick: T) -> T:
        """Return ``full`` or ``quick`` depending on the profile, e.g. ``epochs = P.pick(full=12, quick=1)``."""
        return quick if self.quick else full

    def __str__(self) -> str:
        return self.name


def current_profile() -> Profile:
    """Read the profile from the environment (``COURSE_PROFILE``; autograding forces ``quick``).

    Raises:
        ValueError: if ``COURSE_PROFILE`` holds something other than ``full`` or ``quick``.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return Profile("quick")
    raw = os.environ.get("COURSE_PROFILE", "full").strip().lower() or "full"
    if raw not in PROFILES:
        raise ValueError(
            f"COURSE_PROFILE={raw!r} is not a profile: use 'full' (real data, the default) "
            "or 'quick' (small data, for tests and grading)."
        )
    return Profile(raw)  # type: ignore[arg-type]


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and the Keras backend so that a run can be repeated."""
    import keras

    keras.utils.set_random_seed(int(seed))


def _gpu_names() -> list[str]:
    """Names of the GPUs the active Keras backend can use (empty on a CPU-only runtime)."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            names = []
            for gpu in tf.config.list_physical_devices("GPU"):
                details = tf.config.experimental.get_device_details(gpu)
                names.append(details.get("device_name", gpu.name))
            return names
        if backend == "jax":
            import jax

            return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # a broken driver must not stop a lesson: report CPU instead
        return []
    return []


def device_report() -> str:
    """One line naming the device the lesson computes on: the GPU's name, or the CPU."""
    gpus = _gpu_names()
    if gpus:
        more = f" (+{len(gpus) - 1} more)" if len(gpus) > 1 else ""
        return f"GPU {gpus[0]}{more}"
    return f"CPU ({os.cpu_count() or 1} cores)"


def quiet_warnings() -> None:
    """Send Python warnings to stdout instead of stderr.

    Students still see them, but a harmless Keras ``UserWarning`` in a test cell no longer
    reads as a failure to nbgrader, which scores any cell that writes to stderr as 0.
    """

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show


# Runtimes that choose a profile for the student (binder/start sets COURSE_RUNTIME=binder).
SMALL_RUNTIMES = {"binder": "Binder's machines have 1–2 CPUs and about 2 GB of memory"}


def runtime_note(profile: Profile) -> str | None:
    """A line for a small runtime (Binder): why it runs this profile and how to switch."""
    runtime = os.environ.get("COURSE_RUNTIME", "").strip().lower()
    if runtime not in SMALL_RUNTIMES:
        return None
    why = SMALL_RUNTIMES[runtime]
    if profile.quick:
        return (
            f"{why}, so this lesson runs at the quick profile here. For the full profile, run "
            "`%env COURSE_PROFILE=full` in a cell above this one, then the notebook from the top."
        )
    return f"{why}: at the full profile, lessons 04 and 05 may run out of memory here."


def setup(seed: int = 0) -> Profile:
    """Prepare a lesson: quiet start-up, seeding, and one line saying profile, Keras and device.

    Returns:
        The current :class:`Profile`, to size data and training with ``P.pick(...)``.
    """
    profile = current_profile()
    quiet_warnings()
    import_keras_quietly()
    import keras

    seed_everything(seed)
    print(
        f"Profile: {profile} · Keras {keras.__version__} on {keras.backend.backend()}"
        f" · Device: {device_report()} · seed {seed}"
    )
    if note := runtime_note(profile):
        print(note)
    return profile
