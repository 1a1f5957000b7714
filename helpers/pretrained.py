"""ImageNet weights for the transfer-learning lesson, found without hanging or surprises.

:func:`imagenet_weights` returns what to pass as ``weights=`` to
``keras.applications.VGG16`` / ``ResNet50`` with ``include_top=False``: the path of a
verified local copy of the ImageNet weights, or ``None`` (random weights) when there is
none. It looks, in order, in

1. **the Keras cache**, ``$KERAS_HOME/models/`` (by default ``~/.keras/models/``), under the
   file names ``keras.applications`` itself uses, so weights Keras downloaded before are
   reused and weights found here are where Keras would look next time;
2. **a folder an instructor points to** with the environment variable
   ``COURSE_WEIGHTS_DIR`` (a shared drive in a classroom, a folder filled when a Binder
   or Docker image is built), holding the same file names::

       export COURSE_WEIGHTS_DIR=/srv/course/weights
       # /srv/course/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5
       # /srv/course/weights/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5

   The folder is only read, never written;
3. **the download** into the Keras cache, unless ``COURSE_OFFLINE`` is set (as in tests and
   air-gapped classrooms). The transfer gives up after :data:`DOWNLOAD_TIMEOUT_S` seconds
   without progress, so a dead network never hangs a lesson.

Every file is checked against the MD5 digest ``keras.applications`` checks. A corrupt or
truncated file in the Keras cache is moved aside (renamed ``*.corrupt``, with a message)
and fetched again; one in ``COURSE_WEIGHTS_DIR`` raises :class:`WeightsError` naming the
file, since a shared folder must be repaired by whoever filled it. A bad file is never
handed to Keras.

At the ``quick`` profile (tests, autograding) the answer is always ``None`` without
looking anywhere: lessons then build the same models with random weights, quickly and
identically on every machine. Whenever the answer is ``None``, one printed line says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from helpers.datasets import (
    download,
    file_digest,
    keras_cache_dir,
    network_allowed,
    set_aside,
)
from helpers.runtime import Profile, current_profile

DOWNLOAD_TIMEOUT_S = 15.0
ENV_WEIGHTS_DIR = "COURSE_WEIGHTS_DIR"
_ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class WeightsFile:
    """One ImageNet "no top" weights file of ``keras.applications``.

    Attributes:
        model: the Keras Applications name (``"VGG16"``, ``"ResNet50"``).
        file_name: the name Keras stores it under in ``$KERAS_HOME/models``.
        url: where ``keras.applications`` downloads it from.
        md5: the digest ``keras.applications`` checks (its ``file_hash``).
        size_mb: its size in megabytes, to announce a download.
        params: ``count_params()`` of the model built with ``include_top=False``.
    """

    model: str
    file_name: str
    url: str
    md5: str
    size_mb: float
    params: int


# File names, addresses and hashes as in keras/src/applications/vgg16.py and resnet.py.
WEIGHT_FILES: dict[str, WeightsFile] = {
    "vgg16": WeightsFile(
        "VGG16",
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _ORIGIN + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
        58.9,
        14_714_688,
    ),
    "resnet50": WeightsFile(
        "ResNet50",
        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _ORIGIN + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "4d473c1dd8becc155b73f8504c6f6626",
        94.8,
        23_587_712,
    ),
}


class WeightsError(RuntimeError):
    """Raised when a weights file exists but is not the file it claims to be."""


def _spec(name: str) -> WeightsFile:
    """The :class:`WeightsFile` for a backbone name such as ``"vgg16"`` or ``"ResNet50"``."""
    key = str(name).strip().lower()
    if key not in WEIGHT_FILES:
        raise ValueError(
            f"no ImageNet weights known for {name!r}: choose one of {sorted(WEIGHT_FILES)}"
        )
    return WEIGHT_FILES[key]


def weights_cache_dir() -> Path:
    """The folder where ``keras.applications`` keeps weights (``$KERAS_HOME/models``)."""
    return keras_cache_dir().parent / "models"


def md5_of(path: Path) -> str:
    """The MD5 hex digest of a file, read in chunks (the hash Keras uses for weights)."""
    return file_digest(path, "md5")


def _download(url: str, dest: Path, md5: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> bool:
    """:func:`helpers.datasets.download` with the MD5 digests ``keras.applications``
    publishes: verified before it is renamed into place, abandoned after ``timeout``
    seconds without progress. True when ``dest`` now holds the verified file."""
    return download(url, dest, md5, timeout, algorithm="md5")


def _from_cache(spec: WeightsFile) -> Path | None:
    """The verified file in the Keras cache; a bad one is set aside and ignored."""
    path = weights_cache_dir() / spec.file_name
    if not path.is_file():
        return None
    if md5_of(path) == spec.md5:
        return path
    set_aside(path, f"truncated or corrupt (its MD5 does not match {spec.model}'s weights)")
    return None


def _from_instructor_folder(spec: WeightsFile) -> Path | None:
    """The verified file in ``$COURSE_WEIGHTS_DIR``, if the variable names a folder holding it.

    Raises:
        WeightsError: if the file is there but its MD5 is wrong (truncated or corrupt).
    """
    folder = os.environ.get(ENV_WEIGHTS_DIR, "").strip()
    if not folder:
        return None
    path = Path(folder).expanduser() / spec.file_name
    if not path.is_file():
        print(f"{ENV_WEIGHTS_DIR}={folder} holds no {spec.file_name}; looking elsewhere.")
        return None
    found = md5_of(path)
    if found != spec.md5:
        raise WeightsError(
            f"{path} is not {spec.model}'s ImageNet weights: its MD5 is {found}, expected "
            f"{spec.md5} (a truncated copy or another file). Replace it with a fresh copy of "
            f"{spec.url}, or unset {ENV_WEIGHTS_DIR} to use the Keras cache or the download."
        )
    return path


def imagenet_weights(
    name: str,
    profile: Profile | None = None,
    allow_download: bool | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S,
) -> str | None:
    """What to pass as ``weights=`` to build backbone ``name`` with ``include_top=False``.

    Args:
        name: ``"vgg16"`` or ``"resnet50"`` (any capitalisation).
        profile: the run's profile (default: :func:`helpers.runtime.current_profile`);
            ``quick`` always answers ``None`` (random weights) without looking or downloading.
        allow_download: try the download when neither the cache nor ``COURSE_WEIGHTS_DIR``
            has the file (default: yes unless ``COURSE_OFFLINE`` is set).
        timeout: seconds without progress after which a download is abandoned.

    Returns:
        The path of a verified local weights file (``keras.applications`` loads a path
        given as ``weights=``), or ``None`` when no ImageNet weights can be had; then one
        printed line says why and that the model will have random weights.

    Raises:
        ValueError: for a backbone name with no known weights file.
        WeightsError: when the file in ``COURSE_WEIGHTS_DIR`` is corrupt.
    """
    spec = _spec(name)
    profile = profile or current_profile()
    if profile.quick:
        print(f"{spec.model}: weights=None (random weights) [quick profile: no ImageNet weights].")
        return None
    path = _from_cache(spec) or _from_instructor_folder(spec)
    if path is not None:
        print(f"{spec.model}: ImageNet weights from {path}.")
        return str(path)
    if allow_download is None:
        allow_download = network_allowed()
    if allow_download:
        dest = weights_cache_dir() / spec.file_name
        print(
            f"{spec.model}: downloading the ImageNet weights ({spec.size_mb:.0f} MB) into {dest.parent} …"
        )
        if _download(spec.url, dest, spec.md5, timeout):
            print(f"{spec.model}: ImageNet weights from {dest}.")
            return str(dest)
        reason = "the download failed or timed out"
    else:
        reason = "offline: not in the Keras cache or COURSE_WEIGHTS_DIR, and COURSE_OFFLINE is set"
    print(f"{spec.model}: weights=None (random weights) [{reason}].")
    return None
