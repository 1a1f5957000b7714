"""Run-time settings every lesson shares: the profile, seeding, the device line, a quiet start-up.

A lesson's first code cell calls :func:`setup`, which prints one line such as::

    Profile: quick · Keras 3.15.1 on tensorflow · Device: CPU (2 cores) · seed 0

The *profile* decides the scale a notebook runs at without editing it:

* ``full`` (the default for people): real data sets, the epochs a lesson needs;
* ``quick`` (tests, CI, autograding): small data and few steps, every cell still runs.

It is read from the environment variable ``COURSE_PROFILE``. nbgrader sets
``NBGRADER_EXECUTION`` while it autogrades, and then the profile is always ``quick``.

The Keras backend is chosen, as Keras itself reads it, by the environment variable
``KERAS_BACKEND`` (``tensorflow``, the default; ``jax``; ``torch``) set before Keras is first
imported. :func:`setup` tunes the one that needs it (:func:`configure_backend`).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

# TensorFlow's C++ start-up messages (absl, oneDNN, CUDA probing) go to stderr, which
# nbgrader counts as a failed test cell. They must be silenced before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")


@contextlib.contextmanager
def silenced_stderr() -> Iterator[None]:
    """Silence stderr for the duration of the block: file descriptor 2 and ``sys.stderr``.

    TensorFlow writes its "absl::InitializeLog" and CUDA-probe lines straight to the
    process's stderr at import and at device start-up, past every Python setting; JAX
    and Python's ``logging`` write their start-up warnings to ``sys.stderr``, which in a
    Jupyter kernel is not file descriptor 2. An exception still propagates, and its
    traceback is shown once the block has restored both.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        saved = None
    with contextlib.redirect_stderr(io.StringIO()):
        if saved is None:
            yield
            return
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
                yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def course_cache_dir() -> Path:
    """The folder for files the course derives itself (``$COURSE_CACHE`` or ``~/.cache/cnn-course``)."""
    return Path(os.environ.get("COURSE_CACHE") or Path.home() / ".cache" / "cnn-course")


# JAX keeps the programs it compiled here (per user, beside the course's other caches).
JAX_CACHE_SUBDIR = "jax"
# Programs that took at least this long to compile are kept; the shortest (a few ms) are
# cheaper to compile again than to read back.
JAX_CACHE_MIN_COMPILE_S = 0.05


def configure_backend() -> str:
    """Tune the active Keras backend for the lessons; return its name.

    Only JAX needs it. Keras draws each new weight with ``jax.random`` on the weight's own
    shape, and JAX compiles one program per shape: a lesson that builds many small models
    compiles hundreds of them, where TensorFlow runs the same draws without compiling.

    * Since JAX 0.5 its random numbers are "partitionable" by default, a form meant for
      weights sharded over several devices whose programs take about seven times longer
      to compile on the CPU. The course never shards weights: the classic form is used.
    * Initial weights up to :data:`JAX_SMALL_WEIGHTS` numbers are drawn by one program per
      size bucket, cut to shape on the host, and constant ones (biases, batch
      normalization's) are made on the host: see :func:`_initial_weights_without_compiling`.
    * Compiled programs are kept on disk (:func:`course_cache_dir`/``jax``), so a kernel
      restarted, a lesson run again or a class graded on the same machine does not
      compile them again.

    Seeded runs stay repeatable; the random numbers differ from JAX's default form.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        settings = {
            "jax_threefry_partitionable": False,
            "jax_compilation_cache_dir": str(course_cache_dir() / JAX_CACHE_SUBDIR),
            "jax_persistent_cache_min_compile_time_secs": JAX_CACHE_MIN_COMPILE_S,
        }
        for name, value in settings.items():
            try:
                jax.config.update(name, value)
            except (AttributeError, KeyError, ValueError):  # a JAX without this setting
                pass
        _initial_weights_without_compiling()
    return backend


# Weights up to this many numbers (a 1024 x 1024 kernel) are drawn from a size bucket;
# larger ones (VGG16's dense layers) keep JAX's own per-shape draw, which costs
# no more than the draw itself and no bucket's extra memory.
JAX_SMALL_WEIGHTS = 1 << 20


def _initial_weights_without_compiling() -> None:
    """Make Keras's JAX backend create small initial weights without compiling per shape.

    Every initializer ends in ``keras.random.uniform``/``normal``/``truncated_normal`` or in
    ``keras.ops.zeros``/``ones`` with the weight's shape, and JAX compiles a program for each
    new shape (a quarter of a second each on a laptop's CPU, minutes for a lesson that
    builds dozens of small models). Outside a traced function, for at most
    :data:`JAX_SMALL_WEIGHTS` numbers, these backend functions instead draw a flat vector
    of one of four lengths (256, 4096, 65536 or 2**20: one program per length, reused by
    every shape that fits) and cut it to shape on the host, and zeros and ones are made by NumPy; the result
    is put on the device. Inside ``jit`` (training steps) and for larger shapes they are
    JAX's own. Draws from one seed stay identical from run to run.

    Keras has no public setting for this: the functions are wrapped in
    ``keras.src.backend.jax``, where every Keras 3 keeps them, and left alone where the
    layout differs. Wrapping twice (a second ``setup()``) changes nothing.
    """
    import numpy as np

    try:
        import jax
        import jax.numpy as jnp
        from keras.src.backend import config as keras_config
        from keras.src.backend.jax import numpy as jax_numpy
        from keras.src.backend.jax import random as jax_random
    except ImportError:
        return

    def tracing() -> bool:
        return isinstance(jnp.zeros(()), jax.core.Tracer)

    def size(shape: object) -> int | None:
        try:
            dims = tuple(int(d) for d in shape)  # type: ignore[union-attr]
        except (TypeError, ValueError):  # a symbolic or unknown dimension
            return None
        return int(np.prod(dims, dtype=np.int64)) if dims else 1

    def bucket(n: int) -> int:
        """The power of 16, at least 256, that holds ``n``: 4 lengths up to 2**20."""
        length = 256
        while length < n:
            length *= 16
        return length

    def bucketed(draw):  # noqa: ANN001, ANN202
        def wrapper(shape, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            n = size(shape)
            if n is None or n > JAX_SMALL_WEIGHTS or tracing():
                return draw(shape, *args, **kwargs)
            flat = draw((bucket(n),), *args, **kwargs)
            return jax.device_put(np.asarray(flat)[:n].reshape(tuple(int(d) for d in shape)))

        wrapper.course_wrapped = draw
        return wrapper

    def on_host(fill: float, make):  # noqa: ANN001, ANN202
        def wrapper(shape, dtype=None):  # noqa: ANN001, ANN202
            n = size(shape)
            if n is None or n > JAX_SMALL_WEIGHTS or tracing():
                return make(shape, dtype=dtype)
            dtype = jnp.dtype(dtype or keras_config.floatx())
            return jax.device_put(np.full(tuple(int(d) for d in shape), fill, dtype=dtype))

        wrapper.course_wrapped = make
        return wrapper

    for name in ("uniform", "normal", "truncated_normal"):
        draw = getattr(jax_random, name, None)
        if callable(draw) and not hasattr(draw, "course_wrapped"):
            setattr(jax_random, name, bucketed(draw))
    for name, fill in (("zeros", 0.0), ("ones", 1.0)):
        make = getattr(jax_numpy, name, None)
        if callable(make) and not hasattr(make, "course_wrapped"):
            setattr(jax_numpy, name, on_host(fill, make))


def import_keras_quietly() -> None:
    """Import Keras (and its backend), tune the backend, start the devices, all silenced."""
    with silenced_stderr():
        import keras  # noqa: F401

        configure_backend()
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
    """Seed Python, NumPy and the Keras backend so that a run can be repeated.

    Keras also seeds TensorFlow when it is installed, whatever the backend, and so imports
    it: its start-up lines are silenced here as in :func:`import_keras_quietly`.
    """
    import keras

    with silenced_stderr():
        keras.utils.set_random_seed(int(seed))
    # Unseeded draws (keras.random.uniform(shape)) come from one global generator. Keras
    # 3.13 and later start a new one in set_random_seed; before, the old one kept going, and
    # seeding again did not repeat them. Start it anew as those versions do.
    try:
        from keras.src.backend.common import global_state
    except ImportError:  # a Keras laid out otherwise: its own set_random_seed is all there is
        return
    global_state.set_global_attribute("global_seed_generator", None)


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
