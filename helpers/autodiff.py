"""Gradients through the active Keras backend: what Keras itself computes when it trains.

Keras 3 has no backend-neutral "gradient of this function" call: each backend differentiates
in its own way (TensorFlow's ``GradientTape``, ``jax.grad``, ``torch.autograd``). This module
hides that difference so that a lesson can compare a gradient it computed by hand, in NumPy,
with the one automatic differentiation gives, on TensorFlow, JAX and PyTorch alike::

    from helpers import autodiff

    loss, (d_logits,) = autodiff.value_and_grad(
        lambda z: keras.ops.mean(keras.losses.categorical_crossentropy(y, z, from_logits=True)),
        logits,
    )
    d_kernel, d_bias, d_x = autodiff.conv2d_gradients(x, kernel, bias, upstream)

Everything is computed in ``float32``, Keras's default precision, and comes back as NumPy
arrays of that type: about seven significant digits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["conv2d_gradients", "value_and_grad"]


def _backend() -> str:
    import keras

    return keras.backend.backend()


def value_and_grad(fn: Callable[..., Any], *arrays: Any) -> tuple[float, list[np.ndarray]]:
    """The value of a scalar function and its gradient with respect to each argument.

    Args:
        fn: a function of tensors written with ``keras.ops`` (so that every backend can
            differentiate it) that returns a single number.
        *arrays: the points at which to differentiate: arrays or nested lists of numbers,
            one per argument of ``fn``.

    Returns:
        ``(value, [d fn / d arrays[0], d fn / d arrays[1], ...])``: the value as a Python
        float and one ``float32`` NumPy array per argument, with that argument's shape. An
        argument ``fn`` does not depend on gets a gradient of zeros.

    Raises:
        ValueError: if ``fn`` does not return a single number, or no array is given.
        NotImplementedError: on a backend that cannot differentiate (Keras's ``numpy``).
    """
    if not arrays:
        raise ValueError("value_and_grad needs at least one array to differentiate with respect to")
    points = [np.asarray(a, dtype=np.float32) for a in arrays]
    backend = _backend()
    if backend == "tensorflow":
        value, grads = _tensorflow(fn, points)
    elif backend == "jax":
        value, grads = _jax(fn, points)
    elif backend == "torch":
        value, grads = _torch(fn, points)
    else:
        raise NotImplementedError(
            f"the Keras backend {backend!r} has no automatic differentiation: "
            "use KERAS_BACKEND=tensorflow, jax or torch"
        )
    return value, [
        np.zeros_like(p) if g is None else np.asarray(g, dtype=np.float32).reshape(p.shape)
        for p, g in zip(points, grads, strict=True)
    ]


def _scalar(value: Any) -> float:
    import keras

    array = np.asarray(keras.ops.convert_to_numpy(value))
    if array.size != 1:
        raise ValueError(
            f"the function must return a single number (a loss), got shape {array.shape}: "
            "reduce it with keras.ops.sum or keras.ops.mean"
        )
    return float(array.reshape(()))


def _tensorflow(fn, points):
    import tensorflow as tf

    tensors = [tf.constant(p) for p in points]
    with tf.GradientTape() as tape:
        for tensor in tensors:
            tape.watch(tensor)
        value = fn(*tensors)
    value_number = _scalar(value)
    grads = tape.gradient(value, tensors)
    return value_number, [None if g is None else g.numpy() for g in grads]


def _jax(fn, points):
    import jax
    import jax.numpy as jnp

    def scalar_fn(*tensors):
        value = fn(*tensors)
        if jnp.size(value) != 1:
            raise ValueError(
                f"the function must return a single number (a loss), got shape "
                f"{jnp.shape(value)}: reduce it with keras.ops.sum or keras.ops.mean"
            )
        return jnp.reshape(value, ())

    value, grads = jax.value_and_grad(scalar_fn, argnums=tuple(range(len(points))))(
        *[jnp.asarray(p) for p in points]
    )
    return float(value), [np.asarray(g) for g in grads]


def _torch(fn, points):
    import keras
    import torch

    tensors = [
        keras.ops.convert_to_tensor(p, dtype="float32").detach().requires_grad_(True)
        for p in points
    ]
    value = fn(*tensors)
    value_number = _scalar(value.detach())
    grads = torch.autograd.grad(value.reshape(()), tensors, allow_unused=True)
    return value_number, [None if g is None else g.detach().cpu().numpy() for g in grads]


def conv2d_gradients(
    x: Any,
    kernel: Any,
    bias: Any,
    upstream: Any,
    strides: int | tuple[int, int] = 1,
    padding: str = "valid",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through one convolution, as Keras's ``Conv2D`` computes it.

    The convolution is ``H = keras.ops.conv(x, kernel, strides, padding) + bias``, exactly
    what ``keras.layers.Conv2D`` computes before its activation (channels last). With the
    loss ``L = sum(H * upstream)``, the gradient of ``L`` with respect to ``H`` is
    ``upstream``, so the result is what backpropagation hands to the kernel, the bias and
    the layer below when ``upstream`` arrives from the layers above.

    Args:
        x: input batch, shape ``(N, H, W, C)``.
        kernel: shape ``(kh, kw, C, F)``.
        bias: shape ``(F,)``.
        upstream: the gradient of the loss with respect to the convolution's output, shape
            ``(N, H_out, W_out, F)``.
        strides: the stride, one number or one per axis.
        padding: ``"valid"`` or ``"same"``, as in Keras.

    Returns:
        ``(d_kernel, d_bias, d_x)``, float32 NumPy arrays shaped like ``kernel``, ``bias``
        and ``x``.

    Raises:
        ValueError: if the shapes do not fit together (the message says which).
    """
    import keras

    x = np.asarray(x, dtype=np.float32)
    kernel = np.asarray(kernel, dtype=np.float32)
    bias = np.asarray(bias, dtype=np.float32)
    upstream = np.asarray(upstream, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"x should be a batch of images (N, H, W, C), got shape {x.shape}")
    if kernel.ndim != 4:
        raise ValueError(f"kernel should have shape (kh, kw, C, F), got {kernel.shape}")
    if kernel.shape[2] != x.shape[3]:
        raise ValueError(
            f"the kernel {kernel.shape} expects {kernel.shape[2]} input channels, "
            f"x {x.shape} has {x.shape[3]}"
        )
    if bias.shape != (kernel.shape[3],):
        raise ValueError(f"bias should have shape ({kernel.shape[3]},), got {bias.shape}")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', not {padding!r}")
    if padding == "valid" and (kernel.shape[0] > x.shape[1] or kernel.shape[1] > x.shape[2]):
        raise ValueError(f"a {kernel.shape[:2]} kernel does not fit in {x.shape[1:3]} images")
    probe = keras.ops.conv(
        keras.ops.zeros((1, *x.shape[1:])),
        kernel,
        strides=strides,
        padding=padding,
        data_format="channels_last",
    )
    out_shape = tuple(int(v) for v in probe.shape[1:])
    if upstream.shape != (x.shape[0], *out_shape):
        raise ValueError(
            f"upstream should have the shape of the convolution's output, "
            f"{(x.shape[0], *out_shape)}, got {upstream.shape}"
        )

    def loss(x_t, kernel_t, bias_t):
        h = keras.ops.conv(
            x_t, kernel_t, strides=strides, padding=padding, data_format="channels_last"
        )
        return keras.ops.sum((h + bias_t) * keras.ops.convert_to_tensor(upstream))

    try:
        _, (d_x, d_kernel, d_bias) = value_and_grad(loss, x, kernel, bias)
    except RuntimeError as error:
        # PyTorch's CPU convolution cannot always differentiate the channels-last kernel
        # layout Keras hands it ("slow_conv2d: grad_weight must be contiguous"): do the same
        # convolution in PyTorch's own layout instead.
        if _backend() != "torch" or "contiguous" not in str(error):
            raise
        strides_hw = (strides, strides) if isinstance(strides, int) else tuple(strides)
        pads = _same_padding(x.shape[1:3], kernel.shape[:2], strides_hw, out_shape[:2])
        _, (d_x, d_kernel, d_bias) = value_and_grad(
            _torch_conv_loss(upstream, strides_hw, pads if padding == "same" else None),
            x,
            kernel,
            bias,
        )
    return d_kernel, d_bias, d_x


def _same_padding(size, kernel, strides, out):
    """Keras's 'same' padding per axis: (before, after), the odd pixel after."""
    pads = []
    for n, k, s, o in zip(size, kernel, strides, out, strict=True):
        total = max((o - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _torch_conv_loss(upstream, strides, pads):
    """sum((conv(x, kernel) + bias) * upstream) with PyTorch's NCHW convolution."""
    import torch
    import torch.nn.functional as functional

    def loss(x_t, kernel_t, bias_t):
        inputs = x_t.permute(0, 3, 1, 2).contiguous()
        if pads is not None:
            (top, bottom), (left, right) = pads
            inputs = functional.pad(inputs, (left, right, top, bottom))
        weights = kernel_t.permute(3, 2, 0, 1).contiguous()
        h = functional.conv2d(inputs, weights, stride=strides).permute(0, 2, 3, 1)
        target = torch.as_tensor(upstream, device=h.device)
        return torch.sum((h + bias_t) * target)

    return loss
