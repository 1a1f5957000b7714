"""helpers.architectures (networks from layer tables) and helpers.gradients (gradient sizes)."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import matplotlib
import numpy as np
import pytest

from helpers import architectures, datasets, gradients

matplotlib.use("Agg")

TABLE = [
    ("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "relu"}),
    ("MaxPooling2D", {"pool_size": 2}),
    ("Flatten", {}),
    ("Dense", {"units": 3, "activation": "softmax"}),
]


def test_from_table_builds_one_layer_per_row():
    model = architectures.from_table(TABLE, (10, 10, 1), name="tiny")
    assert model.name == "tiny"
    assert [type(layer).__name__ for layer in model.layers] == [
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dense",
    ]
    assert model.output_shape == (None, 3)
    assert model.count_params() == (3 * 3 * 1 * 4 + 4) + (4 * 4 * 4 * 3 + 3)
    again = architectures.from_table(TABLE, (10, 10, 1))
    assert again.layers[0] is not model.layers[0]  # a new layer per build


def test_from_table_accepts_ready_layers():
    block = keras.layers.Dense(5)
    model = architectures.from_table([("Flatten", {}), block], (2, 3))
    assert model.layers[-1] is block and model.output_shape == (None, 5)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("Convolution9D", {}), "no layer class"),
        (("Dense", [4]), "should be a dict"),
        ("Dense", "layer class name, keyword arguments"),
        (("Dense",), "layer class name, keyword arguments"),
        (("Model", {}), "no layer class"),
    ],
)
def test_from_table_rejects_bad_rows(row, message):
    with pytest.raises(ValueError, match=message):
        architectures.from_table([("Flatten", {}), row], (4, 4))


def test_table_text_lists_every_row():
    text = architectures.table_text([*TABLE, keras.layers.ReLU(name="out")])
    lines = text.splitlines()
    assert len(lines) == 5
    assert "Conv2D" in lines[0] and "filters=4" in lines[0]
    assert "ReLU" in lines[4] and "out" in lines[4]


def test_draw_residual_block_draws_both_shortcuts():
    fig = architectures.draw_residual_block()
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 2 and "identity" in titles[0] and "projection" in titles[1]
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "1×1 conv" in texts and "S(x) = x" in texts


def test_gradient_norms_match_the_formula_for_a_linear_model():
    """For y_hat = x·w + b and the mean squared error, dL/dw = 2/N · xᵀ(y_hat − y)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="linear")])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    w, b = model.get_weights()
    residual = x @ w + b - y
    norms = gradients.gradient_norms(model, x, y, loss="mean_squared_error")
    assert list(norms) == [v.path for v in model.trainable_variables]
    kernel_path, bias_path = (v.path for v in model.trainable_variables)
    assert norms[kernel_path] == pytest.approx(np.linalg.norm(2 / 8 * x.T @ residual), rel=1e-4)
    assert norms[bias_path] == pytest.approx(abs(2 / 8 * residual.sum()), rel=1e-4)


def test_gradient_norms_use_training_mode_by_default():
    """Batch normalization in training mode makes the loss depend on the batch statistics."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )
    digits, labels = datasets.bundled_digits()
    x = digits[:16, 0, :4].astype("float32") / 255 + np.arange(4, dtype="float32")
    y = labels[:16] % 2
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    training = gradients.gradient_norms(model, x, y, loss=loss)
    inference = gradients.gradient_norms(model, x, y, loss=loss, training=False)
    first = model.trainable_variables[0].path
    assert training[first] != pytest.approx(inference[first])


def test_gradient_norms_of_a_frozen_model_is_an_error():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.trainable = False
    with pytest.raises(ValueError, match="no trainable weights"):
        gradients.gradient_norms(model, np.zeros((1, 2)), np.zeros((1, 1)), "mse")


WEIGHTLESS_PROBE = """
import json

import keras
import numpy as np

from helpers import architectures

def peak_mib():
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) // 1024

start = peak_mib()
vgg16 = architectures.without_weights(keras.applications.VGG16, weights=None)
small = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3)])
small(np.ones((1, 8, 8, 1), "float32"))  # Keras initializes deferred weights after such a call
fc1 = vgg16.get_layer("fc1")
print(json.dumps([peak_mib() - start, vgg16.count_params(), list(fc1.kernel.shape), len(vgg16.layers)]))
"""


def test_without_weights_builds_the_architecture_and_allocates_no_weights():
    course = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "-c", WEIGHTLESS_PROBE],
        capture_output=True,
        text=True,
        cwd=course,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    grown, params, fc1_kernel, layers = json.loads(run.stdout.strip().splitlines()[-1])
    assert params == 138_357_544  # the same count Keras gives the model with weights
    assert fc1_kernel == [25088, 4096] and layers == 23
    # VGG16's weights alone are 528 MiB (1.3 GB while drawn); none of it may appear, even
    # after a later model's call, which makes Keras initialize the weights it deferred
    assert int(grown) < 200, f"building VGG16 without weights grew the peak by {grown} MiB"


def test_without_weights_leaves_other_models_working():
    model = architectures.without_weights(architectures.from_table, TABLE, (10, 10, 1))
    assert model.count_params() == architectures.from_table(TABLE, (10, 10, 1)).count_params()
    trained = architectures.from_table(TABLE, (10, 10, 1))
    out = trained(np.ones((2, 10, 10, 1), "float32"))
    assert tuple(out.shape) == (2, 3)
