"""Instant feedback for the visible tests in every lesson.

Each check either prints one line starting with ``✓`` or raises :class:`CheckFailed`
(an ``AssertionError``, so nbgrader scores the cell as failed) whose message says what was
expected, what was found, and a hint. Anything a student passes in is validated first, so
a wrong type or shape reads as a sentence, not a traceback from deep inside NumPy::

    check_shape(out, (26, 26, 25), name="feature maps",
                hint=conv_shape_hint((28, 28), (3, 3), stride=1, padding="valid"))
    # CheckFailed: feature maps: expected shape (26, 26, 25), got (28, 28, 25).
    #   Hint: 'valid' padding: the window must fit inside the image, so each axis gives
    #   floor((n − k) / s) + 1 positions, ...
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


class CheckFailed(AssertionError):
    """A visible test found a wrong answer. The message says what and how to fix it."""


def _fail(message: str, hint: str | None = None) -> None:
    raise CheckFailed(message + (f"\n  Hint: {hint}" if hint else ""))


def passed(message: str) -> None:
    """Print the one-line success message of a check."""
    print(f"✓ {message}")


def _describe(value: Any) -> str:
    """A short description of a value for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None or isinstance(value, (numbers.Number, tuple)):
        return repr(value)
    return f"{type(value).__name__} {value!r}"[:120]


def as_array(value: Any, name: str = "value") -> np.ndarray:
    """Convert an answer (list, NumPy array, Keras/TensorFlow tensor) to a float NumPy array.

    Raises:
        CheckFailed: for ``None`` (a missing ``return``), strings, ragged lists, or
            anything else that is not a grid of numbers.
    """
    if value is None:
        _fail(f"{name} is None.", "did the function forget to `return` its result?")
    if isinstance(value, (str, bytes, Mapping)):
        _fail(f"{name} should be an array of numbers, got {_describe(value)}.")
    if not isinstance(value, (np.ndarray, numbers.Number, list, tuple)):
        try:
            import keras

            value = keras.ops.convert_to_numpy(value)
        except Exception:
            _fail(f"{name} should be an array of numbers, got {_describe(value)}.")
    try:
        array = np.asarray(value, dtype=float)
    except (ValueError, TypeError):
        _fail(
            f"{name} could not be read as an array of numbers ({_describe(value)}).",
            "are the rows of different lengths, or is there a non-number inside?",
        )
    return array


def _as_shape(value: Any, name: str) -> tuple[int | None, ...]:
    """Read a shape from a tuple/list of ints, or take the ``.shape`` of an array."""
    if hasattr(value, "shape") and not isinstance(value, (tuple, list)):
        value = value.shape
    if not isinstance(value, (tuple, list)) or not all(
        v is None or isinstance(v, numbers.Integral) for v in value
    ):
        _fail(f"{name} should be a shape such as (26, 26, 25), got {_describe(value)}.")
    return tuple(None if v is None else int(v) for v in value)


def check_shape(
    actual: Any, expected: Sequence[int | None], name: str = "output", hint: str | None = None
) -> None:
    """Check an array's shape (or a shape tuple) against ``expected``.

    ``None`` in ``expected`` matches any size (the batch axis of a Keras shape).
    """
    got = _as_shape(actual, name)
    want = tuple(expected)
    matches = len(got) == len(want) and all(
        w is None or g == w for g, w in zip(got, want, strict=False)
    )
    if matches:
        passed(f"{name} has shape {got}")
        return
    if hint is None:
        if len(got) != len(want):
            hint = (
                f"expected {len(want)} axes, got {len(got)}: is an axis missing "
                "(the channel axis?) or one too many?"
            )
        elif sorted(map(str, got)) == sorted(map(str, want)):
            hint = "the same sizes in a different order: check the order of the axes."
    _fail(f"{name}: expected shape {want}, got {got}.", hint)


def check_close(
    actual: Any,
    expected: Any,
    name: str = "output",
    rtol: float = 1e-5,
    atol: float = 1e-6,
    hint: str | None = None,
) -> None:
    """Check numbers against ``expected`` within a tolerance, shape first.

    On a mismatch the message gives how many entries differ, the first one (index,
    value, expected) and the largest difference.
    """
    got = as_array(actual, name)
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        check_shape(got, want.shape, name, hint)
    if not np.isfinite(got).all():
        _fail(
            f"{name} contains NaN or infinity.",
            hint or "look for a division by zero or an overflow.",
        )
    close = np.isclose(got, want, rtol=rtol, atol=atol)
    if close.all():
        passed(f"{name} matches the expected values (shape {got.shape})")
        return
    bad = np.argwhere(~close)
    first = tuple(int(i) for i in bad[0])
    diff = float(np.max(np.abs(got - want)))
    where = f" at index {first}" if first else ""
    _fail(
        f"{name}: {len(bad)} of {got.size} values differ{where}: got {got[first]:.6g}, "
        f"expected {want[first]:.6g} (largest difference {diff:.3g}).",
        hint,
    )


def check_equal(
    actual: Any,
    expected: Any,
    name: str = "answer",
    hint: str | None = None,
    known_mistakes: Mapping[Any, str] | None = None,
) -> None:
    """Check an exact answer (a count, a size, a shape tuple, a name).

    Args:
        known_mistakes: wrong answers students often give, each with the hint that
            explains it, e.g. ``{225: "did you forget the biases?"}``.
    """
    if isinstance(actual, np.generic):
        actual = actual.item()
    if isinstance(expected, numbers.Integral) and isinstance(actual, float) and actual.is_integer():
        actual = int(actual)
    if actual == expected and type(actual) is not bool:
        passed(f"{name} = {actual!r}")
        return
    if known_mistakes:
        try:
            hint = known_mistakes.get(actual, hint)
        except TypeError:  # unhashable answer
            pass
    if actual is None:
        hint = "did the function forget to `return` its result?"
    _fail(f"{name}: expected {expected!r}, got {_describe(actual)}.", hint)


# ----------------------------------------------------------------- convolution hints


def _pair(value: Any, name: str) -> tuple[int, int]:
    """Read a size given as one int (the same along both axes) or a pair of ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value), int(value)
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    ):
        return int(value[0]), int(value[1])
    raise TypeError(f"{name} should be an int or a pair of ints, got {_describe(value)}")


def conv_shape_hint(
    input_hw: Sequence[int], kernel: Any, stride: Any = 1, padding: str | int = "valid"
) -> str:
    """A hint that states the output-size rule of a convolution or pooling window.

    The arguments follow Keras's order (``Conv2D(filters, kernel_size, strides, padding)``).
    The sentence gives the rule with this call's numbers put in, and leaves the arithmetic
    to the student: it never states the resulting size::

        conv_shape_hint((28, 28), (3, 3))
        # "'valid' padding: the window must fit inside the image, so each axis gives
        #  floor((n − k) / s) + 1 positions; here n = 28, 28, k = 3, 3, s = 1, 1
        #  (rows, columns). The channel axis is separate."
    """
    if isinstance(stride, str):
        raise TypeError(
            f"conv_shape_hint(input_hw, kernel, stride, padding): stride comes before padding "
            f"(Keras's order), got stride={stride!r}"
        )
    (h, w), (kh, kw) = _pair(tuple(input_hw), "input_hw"), _pair(kernel, "kernel")
    sh, sw = _pair(stride, "stride")
    values = f"n = {h}, {w}, k = {kh}, {kw}, s = {sh}, {sw} (rows, columns)"
    if padding == "valid":
        rule = (
            "'valid' padding: the window must fit inside the image, so each axis gives "
            "floor((n − k) / s) + 1 positions"
        )
        if (sh, sw) == (1, 1):
            rule += ", that is k − 1 fewer than n at stride 1"
    elif padding == "same":
        rule = (
            "'same' padding adds just enough zeros that each axis gives ceil(n / s) "
            "positions, whatever the kernel size (n itself at stride 1)"
        )
    elif isinstance(padding, numbers.Integral) and not isinstance(padding, bool) and padding >= 0:
        rule = (
            f"p = {int(padding)} zeros on each side: each axis gives floor((n + 2p − k) / s) + 1 "
            "positions"
        )
    else:
        raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, not {padding!r}")
    return f"{rule}; here {values}. The channel axis is separate."


def conv_param_formula(
    kernel: Sequence[int], channels_in: int, filters: int, use_bias: bool = True
) -> tuple[int, str]:
    """The parameter count of a Conv2D layer and the formula that gives it."""
    kh, kw = kernel
    weights = kh * kw * channels_in * filters
    total = weights + (filters if use_bias else 0)
    text = (
        f"{kh}·{kw}·{channels_in}·{filters}" + (f" + {filters}" if use_bias else "") + f" = {total}"
    )
    return total, text


def check_param_count(
    actual: Any, expected: int, formula: str, name: str = "parameters", bias: int | None = None
) -> None:
    """Check a parameter count and explain the formula; recognize a forgotten bias term."""
    mistakes = {expected - bias: f"{formula} — did you forget the biases?"} if bias else {}
    check_equal(actual, expected, name, hint=formula, known_mistakes=mistakes)


# ------------------------------------------------------------------------ models


def layer_summary(model: Any) -> list[dict[str, Any]]:
    """One dict per layer: type, name, output shape, parameter count and key settings."""
    rows = []
    for layer in model.layers:
        config = layer.get_config()
        row: dict[str, Any] = {
            "type": type(layer).__name__,
            "name": layer.name,
            "params": int(layer.count_params()),
        }
        try:
            row["output_shape"] = tuple(layer.output.shape)
        except (AttributeError, ValueError):
            pass
        for key in ("filters", "kernel_size", "strides", "padding", "pool_size", "units", "rate"):
            if key in config:
                value = config[key]
                row[key] = tuple(value) if isinstance(value, list) else value
        if "activation" in config:
            activation = config["activation"]
            row["activation"] = activation if isinstance(activation, str) else str(activation)
        rows.append(row)
    return rows


def check_layers(model: Any, expected: Sequence[Mapping[str, Any]], name: str = "model") -> None:
    """Check a Keras model layer by layer against a list of expected settings.

    Each entry names the layer ``type`` (class name, e.g. ``"Conv2D"``) and any of
    ``filters``, ``kernel_size``, ``padding``, ``strides``, ``pool_size``, ``units``,
    ``rate``, ``activation``, ``output_shape`` and ``params``. The first difference is
    reported with the layer's position and name.
    """
    if not hasattr(model, "layers") or not hasattr(model, "count_params"):
        _fail(
            f"{name} should be a Keras model, got {_describe(model)}.",
            "did the function forget to `return` the model?",
        )
    rows = layer_summary(model)
    kinds = [row["type"] for row in rows]
    want_kinds = [spec["type"] for spec in expected]
    if kinds != want_kinds:
        for i, (got, want) in enumerate(zip(kinds, want_kinds, strict=False)):
            if got != want:
                _fail(
                    f"{name}: layer {i} should be {want}, found {got}.\n"
                    f"  Expected layers: {want_kinds}\n  Found layers:    {kinds}"
                )
        _fail(
            f"{name}: expected {len(want_kinds)} layers, found {len(kinds)}.\n"
            f"  Expected layers: {want_kinds}\n  Found layers:    {kinds}"
        )
    for i, (row, spec) in enumerate(zip(rows, expected, strict=True)):
        for key, want in spec.items():
            if key == "type":
                continue
            got = row.get(key)
            if isinstance(want, list):
                want = tuple(want)
            if got != want:
                hint = None
                if key == "params":
                    hint = (
                        "the parameter count follows from the settings above and the input shape."
                    )
                elif key == "output_shape":
                    hint = "check padding, strides and the layer before it."
                _fail(
                    f"{name}: layer {i} ({row['name']}, {row['type']}) should have "
                    f"{key}={want!r}, found {got!r}.",
                    hint,
                )
    passed(f"{name}: {len(rows)} layers as expected, {model.count_params():,} parameters")
