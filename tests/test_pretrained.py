"""helpers.pretrained: where the ImageNet weights come from. Never uses the network."""

import hashlib
import json
import re
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from helpers import pretrained
from helpers.runtime import Profile

FULL, QUICK = Profile("full"), Profile("quick")
GOOD = b"pretend these are the VGG16 weights"
BAD = GOOD[:10]  # a truncated copy


@pytest.fixture
def env(tmp_path, monkeypatch):
    """An empty Keras home, no instructor folder, and fake files whose MD5s Keras 'publishes'."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv(pretrained.ENV_WEIGHTS_DIR, raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    (tmp_path / "keras").mkdir()
    for table in (pretrained.WEIGHT_FILES, pretrained.TOP_WEIGHT_FILES):
        for name, spec in list(table.items()):
            monkeypatch.setitem(table, name, fake_spec(spec))
    monkeypatch.setattr(pretrained, "CLASS_INDEX_FILE", fake_spec(pretrained.CLASS_INDEX_FILE))
    monkeypatch.setattr(pretrained, "_download", lambda *a, **k: pytest.fail("tried to download"))
    return tmp_path


def fake_spec(spec: pretrained.WeightsFile, content: bytes = GOOD) -> pretrained.WeightsFile:
    """The same file under an address that never answers, with the MD5 of ``content``."""
    return pretrained.WeightsFile(
        spec.model,
        spec.file_name,
        "http://127.0.0.1:9/never",
        hashlib.md5(content).hexdigest(),
        spec.size_mb,
        spec.params,
    )


def put(folder: Path, name: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / pretrained.WEIGHT_FILES[name].file_name
    path.write_bytes(content)
    return path


def test_file_names_and_hashes_match_keras_applications():
    """The table must name the files keras.applications caches, with the hashes it checks."""
    import keras.src.applications.resnet as resnet
    import keras.src.applications.vgg16 as vgg16

    spec = pretrained.WEIGHT_FILES["vgg16"]
    assert spec.url == vgg16.WEIGHTS_PATH_NO_TOP
    assert spec.url.endswith("/" + spec.file_name)
    assert spec.md5 in Path(vgg16.__file__).read_text()
    spec = pretrained.WEIGHT_FILES["resnet50"]
    assert spec.url == resnet.BASE_WEIGHTS_PATH + spec.file_name
    assert spec.md5 == resnet.WEIGHTS_HASHES["resnet50"][1]
    for spec in pretrained.WEIGHT_FILES.values():
        assert re.fullmatch(r"[0-9a-f]{32}", spec.md5)


def test_cache_dir_follows_keras_home(env):
    assert pretrained.weights_cache_dir() == env / "keras" / "models"


def test_quick_profile_is_none_without_looking(env, capsys, monkeypatch):
    put(env / "keras" / "models", "vgg16", GOOD)
    monkeypatch.setattr(pretrained, "md5_of", lambda p: pytest.fail("quick profile looked"))
    assert pretrained.imagenet_weights("vgg16", QUICK, allow_download=True) is None
    out = capsys.readouterr().out
    assert "weights=None" in out and "quick profile" in out


def test_keras_cache_first(env, capsys, monkeypatch):
    cached = put(env / "keras" / "models", "resnet50", GOOD)
    monkeypatch.setenv(pretrained.ENV_WEIGHTS_DIR, str(env / "shared"))
    put(env / "shared", "resnet50", GOOD)
    assert pretrained.imagenet_weights("ResNet50", FULL) == str(cached)
    assert "ImageNet weights from" in capsys.readouterr().out


def test_instructor_folder_second_and_left_untouched(env, monkeypatch):
    shared = put(env / "shared", "vgg16", GOOD)
    monkeypatch.setenv(pretrained.ENV_WEIGHTS_DIR, str(env / "shared"))
    assert pretrained.imagenet_weights("vgg16", FULL, allow_download=False) == str(shared)
    assert shared.read_bytes() == GOOD
    assert sorted(p.name for p in (env / "shared").iterdir()) == [shared.name]


def test_offline_says_so_in_one_line(env, capsys):
    assert pretrained.imagenet_weights("vgg16", FULL, allow_download=False) is None
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "weights=None" in lines[0] and "offline" in lines[0]


def test_course_offline_variable_prevents_download(env, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert pretrained.imagenet_weights("resnet50", FULL) is None


def test_download_last_into_keras_cache(env, capsys, monkeypatch):
    calls = []

    def fake_download(url, dest, md5, timeout):
        calls.append((url, dest, timeout))
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(GOOD)
        return True

    monkeypatch.setattr(pretrained, "_download", fake_download)
    path = pretrained.imagenet_weights("vgg16", FULL, allow_download=True, timeout=3)
    spec = pretrained.WEIGHT_FILES["vgg16"]
    assert path == str(env / "keras" / "models" / spec.file_name)
    assert calls == [(spec.url, Path(path), 3)]
    assert "downloading" in capsys.readouterr().out


def test_failed_download_falls_back_to_none(env, capsys, monkeypatch):
    monkeypatch.setattr(pretrained, "_download", lambda *a, **k: False)
    assert pretrained.imagenet_weights("resnet50", FULL, allow_download=True) is None
    assert "download failed" in capsys.readouterr().out


def test_corrupt_cache_is_set_aside_not_loaded(env, capsys):
    bad = put(env / "keras" / "models", "vgg16", BAD)
    assert pretrained.imagenet_weights("vgg16", FULL, allow_download=False) is None
    out = capsys.readouterr().out
    assert "corrupt" in out and "weights=None" in out
    assert not bad.exists()
    assert bad.with_name(bad.name + ".corrupt").read_bytes() == BAD


def test_corrupt_cache_is_replaced_by_download(env, monkeypatch):
    bad = put(env / "keras" / "models", "vgg16", BAD)

    def fake_download(url, dest, md5, timeout):
        dest.write_bytes(GOOD)
        return True

    monkeypatch.setattr(pretrained, "_download", fake_download)
    assert pretrained.imagenet_weights("vgg16", FULL, allow_download=True) == str(bad)
    assert bad.read_bytes() == GOOD


def test_corrupt_instructor_file_is_a_clear_error(env, monkeypatch):
    shared = put(env / "shared", "resnet50", BAD)
    monkeypatch.setenv(pretrained.ENV_WEIGHTS_DIR, str(env / "shared"))
    with pytest.raises(pretrained.WeightsError, match="MD5.*COURSE_WEIGHTS_DIR"):
        pretrained.imagenet_weights("resnet50", FULL, allow_download=False)
    assert shared.read_bytes() == BAD  # the shared folder is only read


def test_instructor_folder_without_the_file_is_skipped(env, capsys, monkeypatch):
    (env / "shared").mkdir()
    monkeypatch.setenv(pretrained.ENV_WEIGHTS_DIR, str(env / "shared"))
    assert pretrained.imagenet_weights("vgg16", FULL, allow_download=False) is None
    assert "holds no" in capsys.readouterr().out


def test_unknown_backbone_is_a_value_error(env):
    with pytest.raises(ValueError, match="vgg16"):
        pretrained.imagenet_weights("alexnet", FULL)


def test_md5_of_reads_in_chunks(tmp_path):
    data = bytes(range(256)) * 10_000
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert pretrained.md5_of(path) == hashlib.md5(data).hexdigest()


def test_real_download_gives_up_quickly_and_leaves_nothing(tmp_path):
    """A refused connection (port 9 on localhost) returns False fast, with no partial file."""
    dest = tmp_path / "models" / "w.h5"
    assert not pretrained._download("http://127.0.0.1:9/w.h5", dest, "0" * 32, timeout=2)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_download_verifies_md5(tmp_path, monkeypatch):
    """A download whose content does not match the hash is discarded."""
    import io

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Response(BAD))
    dest = tmp_path / "w.h5"
    assert not pretrained._download("http://x/w.h5", dest, hashlib.md5(GOOD).hexdigest(), 2)
    assert not dest.exists()
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Response(GOOD))
    assert pretrained._download("http://x/w.h5", dest, hashlib.md5(GOOD).hexdigest(), 2)
    assert dest.read_bytes() == GOOD


def test_keras_loads_a_verified_path(env, tmp_path):
    """keras.applications accepts the returned path as `weights=` (here a file saved by Keras)."""
    import keras

    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "models" / "vgg16_test.weights.h5"
    path.parent.mkdir()
    model.save_weights(path)
    again = keras.applications.VGG16(include_top=False, weights=str(path), input_shape=(32, 32, 3))
    first, second = model.get_weights()[0], again.get_weights()[0]
    assert (first == second).all()


# --------------------------------------------------------------------------- with the top


def test_top_files_and_class_index_match_keras_applications():
    """The whole classifiers' files and the class index are the ones Keras reads."""
    import keras.src.applications.imagenet_utils as imagenet_utils
    import keras.src.applications.resnet as resnet
    import keras.src.applications.vgg16 as vgg16

    spec = pretrained.TOP_WEIGHT_FILES["vgg16"]
    assert spec.url == vgg16.WEIGHTS_PATH and spec.url.endswith("/" + spec.file_name)
    assert spec.md5 in Path(vgg16.__file__).read_text()
    spec = pretrained.TOP_WEIGHT_FILES["resnet50"]
    assert spec.url == resnet.BASE_WEIGHTS_PATH + spec.file_name
    assert spec.md5 == resnet.WEIGHTS_HASHES["resnet50"][0]
    spec = pretrained.CLASS_INDEX_FILE
    assert spec.url == imagenet_utils.CLASS_INDEX_PATH
    assert spec.md5 in Path(imagenet_utils.__file__).read_text()


def test_include_top_finds_the_other_file(env, capsys):
    put(env / "keras" / "models", "vgg16", GOOD)  # the backbone alone is not the classifier
    assert (
        pretrained.imagenet_weights("vgg16", FULL, allow_download=False, include_top=True) is None
    )
    top = env / "keras" / "models" / pretrained.TOP_WEIGHT_FILES["vgg16"].file_name
    top.write_bytes(GOOD)
    found = pretrained.imagenet_weights("vgg16", FULL, allow_download=False, include_top=True)
    assert found == str(top)
    assert "with its top" in capsys.readouterr().out


def test_class_index_from_the_instructor_folder_lands_in_the_keras_cache(env, monkeypatch):
    shared = env / "shared"
    shared.mkdir()
    (shared / pretrained.CLASS_INDEX_FILE.file_name).write_bytes(GOOD)
    monkeypatch.setenv(pretrained.ENV_WEIGHTS_DIR, str(shared))
    path = pretrained.imagenet_class_index(FULL, allow_download=False)
    cached = env / "keras" / "models" / pretrained.CLASS_INDEX_FILE.file_name
    assert path == str(cached) and cached.read_bytes() == GOOD  # where decode_predictions looks
    assert sorted(p.name for p in shared.iterdir()) == [pretrained.CLASS_INDEX_FILE.file_name]


def test_class_index_is_none_offline_and_at_the_quick_profile(env):
    assert pretrained.imagenet_class_index(FULL, allow_download=False) is None
    put(env / "keras" / "models", "vgg16", GOOD)
    assert pretrained.imagenet_class_index(QUICK, allow_download=True) is None


@pytest.mark.parametrize("profile", [QUICK, FULL])
def test_classifier_demo_skips_in_one_line(env, capsys, profile):
    assert pretrained.imagenet_classifier("resnet50", profile, allow_download=False) is None
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ImageNet classifier demo skipped")
    assert ("quick profile" if profile.quick else "offline") in lines[0]


def test_classifier_demo_skips_without_the_class_names(env, capsys):
    top = env / "keras" / "models" / pretrained.TOP_WEIGHT_FILES["resnet50"].file_name
    top.parent.mkdir(parents=True)
    top.write_bytes(GOOD)
    assert pretrained.imagenet_classifier("resnet50", FULL, allow_download=False) is None
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "imagenet_class_index.json" in lines[0]


def test_classifier_demo_when_the_files_are_present(env, tmp_path, monkeypatch, capsys):
    """The present path end to end, with random weights standing in for ImageNet's: a real
    ResNet50 weights file in the format Keras publishes, found in the Keras cache, loaded by
    keras.applications, then photos classified and decoded by keras.applications."""
    import h5py
    import keras
    import keras.src.applications.imagenet_utils as imagenet_utils
    from keras.src.legacy.saving import legacy_h5_format

    from helpers import datasets

    keras.utils.set_random_seed(3)
    random_resnet = keras.applications.ResNet50(weights=None)
    models = env / "keras" / "models"
    models.mkdir(parents=True)
    path = models / pretrained.TOP_WEIGHT_FILES["resnet50"].file_name
    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, random_resnet)
    monkeypatch.setitem(
        pretrained.TOP_WEIGHT_FILES,
        "resnet50",
        fake_spec(pretrained.TOP_WEIGHT_FILES["resnet50"], path.read_bytes()),
    )
    names = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    index = models / pretrained.CLASS_INDEX_FILE.file_name
    index.write_text(json.dumps(names))
    monkeypatch.setattr(
        pretrained, "CLASS_INDEX_FILE", fake_spec(pretrained.CLASS_INDEX_FILE, index.read_bytes())
    )
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", names)  # Keras checks its own hash

    model = pretrained.imagenet_classifier("resnet50", FULL, allow_download=False)
    assert "ImageNet weights from" in capsys.readouterr().out
    assert model.count_params() == 25_636_712
    for loaded, saved in zip(model.get_weights(), random_resnet.get_weights(), strict=True):
        assert np.array_equal(loaded, saved)

    photos = list(datasets.everyday_photos().values())[:2]
    guesses = pretrained.classify_photos(model, photos, "resnet50", top=3)
    assert len(guesses) == 2 and all(len(guess) == 3 for guess in guesses)
    for guess in guesses:
        assert all(label in {n[1] for n in names.values()} for label, _ in guess)
        probabilities = [p for _, p in guess]
        assert probabilities == sorted(probabilities, reverse=True)
        assert all(0 <= p <= 1 for p in probabilities)
    with pytest.raises(ValueError, match="RGB"):
        pretrained.classify_photos(model, [np.zeros((20, 20))], "resnet50")
    with pytest.raises(ValueError, match="classifier"):
        pretrained.classify_photos(model, photos, "alexnet")
