"""helpers.checks: instant feedback that passes right answers and explains wrong ones."""

import numpy as np
import pytest

from helpers import checks
from helpers.checks import CheckFailed


def test_check_shape_passes_and_prints(capsys):
    checks.check_shape(np.zeros((26, 26, 25)), (26, 26, 25), "maps")
    assert capsys.readouterr().out.startswith("✓ maps has shape (26, 26, 25)")


def test_check_shape_explains_a_valid_convolution():
    hint = checks.conv_shape_hint((28, 28), (3, 3))
    with pytest.raises(
        CheckFailed, match=r"expected shape \(26, 26, 25\), got \(28, 28, 25\)"
    ) as err:
        checks.check_shape(np.zeros((28, 28, 25)), (26, 26, 25), "maps", hint=hint)
    assert "floor((n − k) / s) + 1" in str(err.value) and "n = 28, 28" in str(err.value)


def test_check_shape_notices_missing_axis_and_swapped_axes():
    with pytest.raises(CheckFailed, match="channel axis"):
        checks.check_shape((28, 28), (28, 28, 1))
    with pytest.raises(CheckFailed, match="different order"):
        checks.check_shape((1, 28, 28), (28, 28, 1))


def test_check_shape_none_matches_the_batch_axis():
    checks.check_shape((None, 13, 13, 25), (None, 13, 13, 25))
    checks.check_shape((32, 13, 13, 25), (None, 13, 13, 25))


@pytest.mark.parametrize("bad", ["(26, 26)", {"a": 1}, 3.5, [1.5, 2]])
def test_check_shape_rejects_non_shapes_clearly(bad):
    with pytest.raises(CheckFailed, match="should be a shape"):
        checks.check_shape(bad, (26, 26))


def test_check_close_tolerates_rounding_and_reports_first_difference():
    checks.check_close([1.0, 2.0 + 1e-9], [1.0, 2.0])
    with pytest.raises(CheckFailed) as err:
        checks.check_close([[1.0, 2.0], [3.0, 5.0]], [[1.0, 2.0], [3.0, 4.0]], "H")
    message = str(err.value)
    assert (
        "1 of 4 values differ at index (1, 1)" in message
        and "got 5" in message
        and "expected 4" in message
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, "forget to `return`"),
        ("text", "array of numbers"),
        ([[1, 2], [3]], "different lengths"),
        (np.zeros((3, 3)), r"expected shape \(2, 2\)"),
        (np.array([np.nan, 1.0]), "NaN"),
    ],
)
def test_check_close_turns_bad_input_into_sentences(bad, message):
    expected = np.zeros((2, 2)) if getattr(bad, "shape", None) == (3, 3) else [0.0, 1.0]
    with pytest.raises(CheckFailed, match=message):
        checks.check_close(bad, expected)


def test_check_close_accepts_keras_tensors():
    import keras

    checks.check_close(keras.ops.ones((2, 2)), np.ones((2, 2)))


def test_check_equal_known_mistakes_give_their_hint():
    with pytest.raises(CheckFailed, match="forget the biases"):
        checks.check_equal(225, 250, "params", known_mistakes={225: "did you forget the biases?"})
    with pytest.raises(CheckFailed, match="expected 250, got 251"):
        checks.check_equal(251, 250, "params", known_mistakes={225: "biases?"})
    checks.check_equal(np.int64(250), 250)
    checks.check_equal(250.0, 250)


def test_check_equal_does_not_take_true_for_one():
    with pytest.raises(CheckFailed):
        checks.check_equal(True, 1)


def test_conv_param_formula_and_forgotten_bias():
    total, formula = checks.conv_param_formula((3, 3), 1, 25)
    assert (total, formula) == (250, "3·3·1·25 + 25 = 250")
    with pytest.raises(CheckFailed, match=r"3·3·1·25 \+ 25 = 250 — did you forget the biases"):
        checks.check_param_count(225, total, formula, bias=25)
    assert checks.conv_param_formula((5, 5), 3, 5, use_bias=False)[0] == 375


@pytest.mark.parametrize(
    ("n", "k", "stride", "padding", "rule", "result"),
    [
        (28, 3, 1, "valid", "floor((n − k) / s) + 1", 26),
        (28, 3, 1, "same", "ceil(n / s)", None),
        (29, 3, 2, "valid", "floor((n − k) / s) + 1", 14),
        (27, 4, 2, "same", "ceil(n / s)", 14),
        (30, 5, 1, 2, "floor((n + 2p − k) / s) + 1", None),
    ],
)
def test_conv_shape_hint_states_the_rule_but_not_the_result(n, k, stride, padding, rule, result):
    hint = checks.conv_shape_hint((n, n), (k, k), stride, padding)
    assert rule in hint and f"n = {n}, {n}" in hint and f"s = {stride}, {stride}" in hint
    if result is not None:  # the size itself is for the student to work out
        assert str(result) not in hint


def test_conv_shape_hint_takes_keras_order_and_rejects_bad_arguments():
    assert checks.conv_shape_hint((9, 7), 3, stride=(2, 1), padding="valid").endswith(
        "The channel axis is separate."
    )
    with pytest.raises(TypeError, match="stride comes before padding"):
        checks.conv_shape_hint((28, 28), (3, 3), "same", 2)
    with pytest.raises(ValueError, match="'valid', 'same' or an int"):
        checks.conv_shape_hint((28, 28), (3, 3), 1, "full")
    with pytest.raises(TypeError, match="pair of ints"):
        checks.conv_shape_hint((28, 28), (3, 3, 3))


def test_checks_ship_no_output_size_function():
    """The output-size rule is an exercise (lesson 01): helpers must not answer it."""
    assert not hasattr(checks, "conv_output_length")


def mnist_cnn():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(25, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(50, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(100, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


SPEC = [
    {
        "type": "Conv2D",
        "filters": 25,
        "kernel_size": (3, 3),
        "activation": "relu",
        "output_shape": (None, 26, 26, 25),
        "params": 250,
    },
    {"type": "MaxPooling2D", "output_shape": (None, 13, 13, 25)},
    {"type": "Conv2D", "filters": 50, "params": 11300},
    {"type": "MaxPooling2D"},
    {"type": "Flatten", "output_shape": (None, 1250)},
    {"type": "Dense", "units": 100, "params": 125100},
    {"type": "Dense", "units": 10, "activation": "softmax"},
]


def test_check_layers_accepts_the_course_cnn(capsys):
    model = mnist_cnn()
    checks.check_layers(model, SPEC, "MNIST CNN")
    assert "137,660 parameters" in capsys.readouterr().out


def test_check_layers_names_the_first_difference():
    import keras
    from keras import layers

    model = mnist_cnn()
    wrong = keras.Sequential(
        [keras.Input((28, 28, 1))]
        + [layers.Conv2D(25, 3, activation="relu", padding="same")]
        + model.layers[1:2]
    )
    with pytest.raises(CheckFailed, match="expected 7 layers, found 2"):
        checks.check_layers(wrong, SPEC)
    swapped = [dict(s) for s in SPEC]
    swapped[5] = {"type": "Dense", "units": 128}
    with pytest.raises(CheckFailed, match=r"layer 5 \(.*Dense\) should have units=128, found 100"):
        checks.check_layers(model, swapped)
    with pytest.raises(CheckFailed, match="layer 0 should be Dense, found Conv2D"):
        checks.check_layers(model, [{"type": "Dense"}] + SPEC[1:])


def test_check_layers_rejects_a_non_model():
    with pytest.raises(CheckFailed, match="should be a Keras model"):
        checks.check_layers(None, SPEC)
