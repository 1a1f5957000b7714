"""ImageNet weights for the transfer-learning lesson, found without hanging or surprises.

:func:`imagenet_weights` returns what to pass as ``weights=`` to
``keras.applications.VGG16`` / ``ResNet50``: the path of a verified local copy of the
ImageNet weights (without the top by default, with it for ``include_top=True``), or
``None`` (random weights) when there is none. :func:`imagenet_class_index` finds the file
of ImageNet's 1,000 class names that ``decode_predictions`` reads, the same way, and
:func:`imagenet_classifier` and :func:`classify_photos` put both to work on real photos.
Every file is looked for, in order, in

1. **the Keras cache**, ``$KERAS_HOME/models/`` (by default ``~/.keras/models/``), under the
   file names ``keras.applications`` itself uses, so weights Keras downloaded before are
   reused and weights found here are where Keras would look next time;
2. **a folder an instructor points to** with the environment variable
   ``COURSE_WEIGHTS_DIR`` (a shared drive in a classroom, a folder filled when a Binder
   or Docker image is built), holding the same file names::

       export COURSE_WEIGHTS_DIR=/srv/course/weights
       # /srv/course/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5
       # /srv/course/weights/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5
       # /srv/course/weights/resnet50_weights_tf_dim_ordering_tf_kernels.h5  (with the top)
       # /srv/course/weights/imagenet_class_index.json

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

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
# The same networks *with* their ImageNet classifier (the top): what decode_predictions reads.
TOP_WEIGHT_FILES: dict[str, WeightsFile] = {
    "vgg16": WeightsFile(
        "VGG16 with its top",
        "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        _ORIGIN + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "64373286793e3c8b2b4e3219cbf3544b",
        553.5,
        138_357_544,
    ),
    "resnet50": WeightsFile(
        "ResNet50 with its top",
        "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
        _ORIGIN + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5",
        "2cb95161c43110f7111970584f804107",
        102.9,
        25_636_712,
    ),
}
# ImageNet's 1,000 class names, as keras.applications.imagenet_utils.decode_predictions reads them.
CLASS_INDEX_FILE = WeightsFile(
    "ImageNet class names",
    "imagenet_class_index.json",
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
    "c2c37ea517e94d9795004a39431a14cb",
    0.04,
    0,
)


class WeightsError(RuntimeError):
    """Raised when a weights file exists but is not the file it claims to be."""


def _spec(name: str, include_top: bool = False) -> WeightsFile:
    """The :class:`WeightsFile` for a backbone name such as ``"vgg16"`` or ``"ResNet50"``."""
    key = str(name).strip().lower()
    if key not in WEIGHT_FILES:
        raise ValueError(
            f"no ImageNet weights known for {name!r}: choose one of {sorted(WEIGHT_FILES)}"
        )
    return (TOP_WEIGHT_FILES if include_top else WEIGHT_FILES)[key]


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
    set_aside(path, f"truncated or corrupt (its MD5 does not match {spec.model}'s file)")
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
            f"{path} is not {spec.model}'s ImageNet file: its MD5 is {found}, expected "
            f"{spec.md5} (a truncated copy or another file). Replace it with a fresh copy of "
            f"{spec.url}, or unset {ENV_WEIGHTS_DIR} to use the Keras cache or the download."
        )
    return path


def _locate(
    spec: WeightsFile, allow_download: bool | None, timeout: float
) -> tuple[Path | None, str]:
    """Find ``spec``'s verified file: Keras cache, instructor folder, then the download.

    Returns:
        ``(path, "")`` when found, or ``(None, reason)`` saying why not.
    """
    path = _from_cache(spec) or _from_instructor_folder(spec)
    if path is not None:
        return path, ""
    if allow_download is None:
        allow_download = network_allowed()
    if not allow_download:
        return None, (
            "offline: not in the Keras cache or COURSE_WEIGHTS_DIR, and COURSE_OFFLINE is set"
        )
    dest = weights_cache_dir() / spec.file_name
    print(
        f"{spec.model}: downloading {spec.file_name} ({spec.size_mb:.0f} MB) into {dest.parent} …"
    )
    if _download(spec.url, dest, spec.md5, timeout):
        return dest, ""
    return None, "the download failed or timed out"


def imagenet_weights(
    name: str,
    profile: Profile | None = None,
    allow_download: bool | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    include_top: bool = False,
) -> str | None:
    """What to pass as ``weights=`` to build backbone ``name`` with ImageNet's weights.

    Args:
        name: ``"vgg16"`` or ``"resnet50"`` (any capitalization).
        profile: the run's profile (default: :func:`helpers.runtime.current_profile`);
            ``quick`` always answers ``None`` (random weights) without looking or downloading.
        allow_download: try the download when neither the cache nor ``COURSE_WEIGHTS_DIR``
            has the file (default: yes unless ``COURSE_OFFLINE`` is set).
        timeout: seconds without progress after which a download is abandoned.
        include_top: the weights of the whole classifier (``include_top=True``, ImageNet's
            1,000 classes) instead of those of the backbone alone.

    Returns:
        The path of a verified local weights file (``keras.applications`` loads a path
        given as ``weights=``), or ``None`` when no ImageNet weights can be had; then one
        printed line says why and that the model will have random weights.

    Raises:
        ValueError: for a backbone name with no known weights file.
        WeightsError: when the file in ``COURSE_WEIGHTS_DIR`` is corrupt.
    """
    spec = _spec(name, include_top)
    profile = profile or current_profile()
    if profile.quick:
        print(f"{spec.model}: weights=None (random weights) [quick profile: no ImageNet weights].")
        return None
    path, reason = _locate(spec, allow_download, timeout)
    if path is not None:
        print(f"{spec.model}: ImageNet weights from {path}.")
        return str(path)
    print(f"{spec.model}: weights=None (random weights) [{reason}].")
    return None


def imagenet_class_index(
    profile: Profile | None = None,
    allow_download: bool | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S,
) -> str | None:
    """The verified ``imagenet_class_index.json`` (ImageNet's class names), or ``None``.

    Looked for like the weights. A copy found only in ``COURSE_WEIGHTS_DIR`` is also copied
    into the Keras cache, where ``keras.applications.*.decode_predictions`` reads it
    (it would try to download it otherwise). ``None`` at the quick profile, offline, or when
    the download fails; nothing is printed (:func:`imagenet_classifier` says what is missing).

    Raises:
        WeightsError: when the file in ``COURSE_WEIGHTS_DIR`` is corrupt.
    """
    profile = profile or current_profile()
    if profile.quick:
        return None
    path, _ = _locate(CLASS_INDEX_FILE, allow_download, timeout)
    if path is None:
        return None
    cached = weights_cache_dir() / CLASS_INDEX_FILE.file_name
    if path != cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(path.read_bytes())
    return str(cached)


def _families() -> dict[str, tuple[Any, Any]]:
    """Backbone name → (Keras Applications constructor, its module with preprocess/decode)."""
    import keras

    return {
        "vgg16": (keras.applications.VGG16, keras.applications.vgg16),
        "resnet50": (keras.applications.ResNet50, keras.applications.resnet50),
    }


def imagenet_classifier(
    name: str = "resnet50",
    profile: Profile | None = None,
    allow_download: bool | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S,
) -> Any | None:
    """The whole ImageNet classifier ``name`` (its top included) with ImageNet's weights.

    Needs both the weights with the top and the class names (:func:`imagenet_class_index`).
    When either is missing (quick profile, offline, a failed download) it returns ``None``
    and prints one line saying what it skipped and why; otherwise one line saying where the
    weights came from.

    Raises:
        ValueError: for a backbone name with no known weights file.
        WeightsError: when a file in ``COURSE_WEIGHTS_DIR`` is corrupt.
    """
    spec = _spec(name, include_top=True)
    profile = profile or current_profile()
    if profile.quick:
        print(f"ImageNet classifier demo skipped: no {spec.model} weights [quick profile].")
        return None
    weights, reason = _locate(spec, allow_download, timeout)
    if weights is None:
        print(f"ImageNet classifier demo skipped: no {spec.model} weights [{reason}].")
        return None
    classes = imagenet_class_index(profile, allow_download, timeout)
    if classes is None:
        print(
            f"ImageNet classifier demo skipped: no {CLASS_INDEX_FILE.file_name} "
            "[not in the Keras cache or COURSE_WEIGHTS_DIR, and not downloadable]."
        )
        return None
    constructor, _ = _families()[str(name).strip().lower()]
    print(f"{spec.model}: ImageNet weights from {weights}; class names from {classes}.")
    return constructor(weights=str(weights))


def classify_photos(
    model: Any, photos: Sequence[np.ndarray], name: str = "resnet50", top: int = 3
) -> list[list[tuple[str, float]]]:
    """The ``top`` ImageNet classes a whole classifier gives each photo, with probabilities.

    Each photo (``(H, W, 3)`` RGB in ``[0, 255]``, any size) is cropped to its central square,
    resized to the model's input size (224 × 224 for VGG16 and ResNet50), passed through the
    family's ``preprocess_input``, classified, and decoded with its ``decode_predictions``.

    Returns:
        One list per photo of ``(class name, probability)``, most probable first.
    """
    import keras

    key = str(name).strip().lower()
    if key not in _families():
        raise ValueError(
            f"no ImageNet classifier known for {name!r}: choose one of {sorted(_families())}"
        )
    _, family = _families()[key]
    size = tuple(model.input_shape[1:3])
    batch = []
    for i, photo in enumerate(photos):
        photo = np.asarray(photo)
        if photo.ndim != 3 or photo.shape[-1] != 3:
            raise ValueError(f"photo {i} has shape {photo.shape}: expected (H, W, 3) RGB")
        h, w = photo.shape[:2]
        side = min(h, w)
        square = photo[
            (h - side) // 2 : (h - side) // 2 + side, (w - side) // 2 : (w - side) // 2 + side
        ]
        resized = keras.ops.image.resize(square.astype("float32")[None], size, antialias=True)
        batch.append(keras.ops.convert_to_numpy(resized)[0])
    x = family.preprocess_input(np.stack(batch))
    probabilities = model.predict(x, verbose=0)
    decoded = family.decode_predictions(probabilities, top=top)
    return [[(label, float(score)) for _, label, score in row] for row in decoded]
