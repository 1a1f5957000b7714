"""helpers.datasets: MNIST online/offline, cache integrity, photos. Never uses the network."""

import hashlib
import os

import numpy as np
import pytest

from helpers import datasets
from helpers.runtime import Profile

FULL, QUICK = Profile("full"), Profile("quick")


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty Keras and course caches in a temporary folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "course"))
    (tmp_path / "keras").mkdir()
    return tmp_path


def fake_mnist_npz(path, n=20):
    rng = np.random.default_rng(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        x_train=rng.integers(0, 255, (n, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n, dtype=np.uint8),
        x_test=rng.integers(0, 255, (n, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n, dtype=np.uint8),
    )


def test_offline_fallback_is_real_bundled_digits_and_announced(caches, capsys):
    data = datasets.load_mnist(FULL, allow_download=False)
    line = capsys.readouterr().out
    assert "bundled MNIST subset" in line and "offline" in line
    assert data.x_train.shape == (4000, 28, 28) and data.x_test.shape == (1000, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    assert not data.full
    # 100 test digits of each class, and train/test do not overlap
    assert np.bincount(data.y_test).tolist() == [100] * 10
    # any slice of the training set holds every class (lessons take the first N digits)
    assert len(set(data.y_train[:100].tolist())) == 10
    train = {arr.tobytes() for arr in data.x_train}
    assert not any(arr.tobytes() in train for arr in data.x_test)
    # real digits: mostly dark background, bright strokes, not noise
    assert 0.1 < (data.x_train > 128).mean() < 0.3


def test_unpacks_like_keras_loaders(caches):
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(QUICK)
    assert len(x_train) == len(y_train) and len(x_test) == len(y_test)


def test_quick_profile_never_downloads(caches, monkeypatch):
    monkeypatch.setattr(
        datasets, "download", lambda *a, **k: pytest.fail("quick profile downloaded")
    )
    assert not datasets.load_mnist(QUICK, allow_download=True).full


def test_full_profile_uses_a_valid_keras_cache(caches, monkeypatch, capsys):
    path = datasets.keras_cache_dir() / "mnist.npz"
    fake_mnist_npz(path)
    monkeypatch.setattr(datasets, "MNIST_SHA256", datasets.sha256_of(path))
    import keras

    monkeypatch.setattr(
        keras.datasets.mnist,
        "load_data",
        lambda: (
            (np.load(path)["x_train"], np.load(path)["y_train"]),
            (np.load(path)["x_test"], np.load(path)["y_test"]),
        ),
    )
    data = datasets.load_mnist(FULL, allow_download=False)
    assert data.full and data.x_train.shape == (20, 28, 28)
    assert "full MNIST" in capsys.readouterr().out


def test_truncated_keras_cache_is_set_aside_not_loaded(caches, capsys):
    path = datasets.keras_cache_dir() / "mnist.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 truncated")
    data = datasets.load_mnist(FULL, allow_download=False)
    out = capsys.readouterr().out
    assert "corrupt" in out and "bundled" in out
    assert not path.exists() and path.with_name("mnist.npz.corrupt").exists()
    assert not data.full


def test_corrupt_bundled_cache_is_rebuilt(caches, capsys):
    datasets.load_mnist(QUICK)
    cached = datasets.course_cache_dir() / "mnist_5k.npz"
    assert cached.exists()
    cached.write_bytes(cached.read_bytes()[:1000])  # truncate
    data = datasets.load_mnist(QUICK)
    assert "unreadable" in capsys.readouterr().out
    assert data.x_train.shape == (4000, 28, 28)
    assert np.load(cached)["images"].shape == (5000, 28, 28)


def test_download_verifies_hash_and_never_leaves_partial_files(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"digits" * 1000)
    good = hashlib.sha256(source.read_bytes()).hexdigest()
    dest = tmp_path / "cache" / "file.bin"
    assert not datasets.download(source.as_uri(), dest, "0" * 64, timeout=5)
    assert not dest.exists() and os.listdir(dest.parent) == []
    assert datasets.download(source.as_uri(), dest, good, timeout=5)
    assert dest.read_bytes() == source.read_bytes()


def test_download_gives_up_quickly_when_unreachable(tmp_path):
    import time

    start = time.monotonic()
    ok = datasets.download("http://127.0.0.1:9/none", tmp_path / "x", "0" * 64, timeout=2)
    assert not ok and time.monotonic() - start < 10


def test_offline_switch(monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert not datasets.network_allowed()
    monkeypatch.setenv("COURSE_OFFLINE", "")
    assert datasets.network_allowed()


def test_cifar10_offline_falls_back_to_announced_digits(caches, capsys):
    data = datasets.load_cifar10(FULL, allow_download=False)
    assert "CIFAR-10 unavailable" in capsys.readouterr().out
    assert data.x_train.dtype == np.uint8 and data.y_train.ndim == 1


def test_sample_photo_is_a_real_photo():
    photo = datasets.sample_photo("china")
    assert photo.shape == (427, 640, 3) and photo.dtype == np.uint8
    assert photo.std() > 30  # a photo, not a flat placeholder
    grey = datasets.sample_photo("flower", size=64, grey=True)
    assert grey.shape == (43, 64) and grey.dtype == np.float32
    assert 0.0 <= grey.min() and grey.max() <= 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"name": "cat"}, "unknown photo"), ({"size": 0}, "positive")]
)
def test_sample_photo_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        datasets.sample_photo(**kwargs)


def test_everyday_photos_are_real_color_photos():
    photos = datasets.everyday_photos()
    assert list(photos) == list(datasets.EVERYDAY_PHOTOS)
    for name, photo in photos.items():
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[-1] == 3, name
        assert min(photo.shape[:2]) >= 256, name
        assert photo.std() > 20, f"{name} looks flat"


def fake_cifar10_archive(path, per_batch=3):
    """A small archive laid out as CIFAR-10's python version: five train batches and a test
    batch, pickled dicts of uint8 rows (1024 red, 1024 green, 1024 blue) and labels."""
    import io
    import pickle
    import tarfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for index, name in enumerate([*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]):
            rows = np.zeros((per_batch, 3 * 1024), np.uint8)
            rows[:, :1024], rows[:, 1024:2048], rows[:, 2048:] = 10 + index, 100, 200
            batch = {b"data": rows, b"labels": [index % 10] * per_batch, b"batch_label": b"x"}
            blob = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    return datasets.sha256_of(path)


@pytest.mark.parametrize(
    "name",
    [
        datasets.CIFAR10_ARCHIVE_KERAS_3_6,  # Keras >= 3.6
        datasets.CIFAR10_ARCHIVE_KERAS_3_5,  # Keras 3.5
        datasets.CIFAR10_ARCHIVE_DOWNLOADED,  # the publisher's name, copied by hand
    ],
)
def test_cifar10_is_found_under_every_keras_file_name(caches, monkeypatch, capsys, name):
    path = datasets.keras_cache_dir() / name
    monkeypatch.setattr(datasets, "CIFAR10_SHA256", fake_cifar10_archive(path))
    monkeypatch.setattr(
        datasets, "download", lambda *a, **k: pytest.fail("a pre-seeded archive was downloaded")
    )
    data = datasets.load_cifar10(FULL, allow_download=True)
    assert data.full and "full CIFAR-10 (15 train / 3 test" in capsys.readouterr().out
    assert data.x_train.shape == (15, 32, 32, 3) and data.x_test.shape == (3, 32, 32, 3)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    # channels last, batches in order: red is 10 + batch index, green 100, blue 200
    assert data.x_train[:, 0, 0].tolist() == [[10 + i // 3, 100, 200] for i in range(15)]
    assert data.x_test[0, 31, 31].tolist() == [15, 100, 200]
    assert data.y_train.tolist() == [i // 3 for i in range(15)] and data.y_test.tolist() == [5] * 3
    assert path.exists(), "the pre-seeded archive is read in place"


@pytest.mark.parametrize(
    ("version", "name"),
    [
        ("3.5.0", datasets.CIFAR10_ARCHIVE_KERAS_3_5),
        ("3.6.0", datasets.CIFAR10_ARCHIVE_KERAS_3_6),
        ("3.10.0", datasets.CIFAR10_ARCHIVE_KERAS_3_6),
        ("3.15.1", datasets.CIFAR10_ARCHIVE_KERAS_3_6),
    ],
)
def test_cifar10_archive_name_follows_the_keras_version(version, name):
    assert datasets.cifar10_archive_name(version) == name


def test_cifar10_looks_first_under_the_installed_keras_name():
    names = datasets.cifar10_archive_names()
    assert names[0] == datasets.cifar10_archive_name()
    assert sorted(names) == sorted(
        [
            datasets.CIFAR10_ARCHIVE_KERAS_3_6,
            datasets.CIFAR10_ARCHIVE_KERAS_3_5,
            datasets.CIFAR10_ARCHIVE_DOWNLOADED,
        ]
    )


def test_cifar10_download_goes_where_the_installed_keras_reads(caches, monkeypatch, capsys):
    source = datasets.keras_cache_dir().parent / "source.tar.gz"
    digest = fake_cifar10_archive(source)
    monkeypatch.setattr(datasets, "CIFAR10_SHA256", digest)
    monkeypatch.setattr(datasets, "CIFAR10_URL", source.as_uri())
    data = datasets.load_cifar10(FULL, allow_download=True)
    assert data.full and "Downloaded CIFAR-10" in capsys.readouterr().out
    assert (datasets.keras_cache_dir() / datasets.cifar10_archive_name()).is_file()


def test_corrupt_cifar10_archive_is_set_aside_and_another_name_used(caches, monkeypatch, capsys):
    good = datasets.keras_cache_dir() / datasets.CIFAR10_ARCHIVE_DOWNLOADED
    monkeypatch.setattr(datasets, "CIFAR10_SHA256", fake_cifar10_archive(good))
    bad = datasets.keras_cache_dir() / datasets.cifar10_archive_name()
    bad.write_bytes(b"\x1f\x8b truncated")
    data = datasets.load_cifar10(FULL, allow_download=False)
    assert data.full and "corrupt" in capsys.readouterr().out
    assert not bad.exists() and bad.with_name(bad.name + ".corrupt").exists()


def test_cifar10_archive_without_its_batches_is_a_clear_error(tmp_path):
    import tarfile

    path = tmp_path / "empty.tar.gz"
    with tarfile.open(path, "w:gz"):
        pass
    with pytest.raises(datasets.DataError, match="data_batch_1.*test_batch"):
        datasets.read_cifar10_archive(path)
