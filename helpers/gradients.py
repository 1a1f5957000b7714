"""How large the gradient is at each layer: the measurement behind "deep networks are hard to train".

:func:`gradient_norms` computes, for one batch, the gradient of the loss with respect to
every trainable weight of a Keras model and returns its size (the Euclidean norm), layer by
layer. Keras 3 has no backend-neutral gradient function in its public API, so this module
calls the active backend's own (TensorFlow's ``GradientTape``, ``jax.grad``, PyTorch's
autograd): the one place in the course where that is needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _loss_fn(loss: str | Any) -> Any:
    """The loss as a function of (y, prediction) giving the batch's mean (one number)."""
    import keras

    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    return lambda y, prediction: keras.ops.mean(fn(y, prediction))


def _tensorflow_grads(model: Any, x: np.ndarray, y: np.ndarray, loss: Any, training: bool):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        value = loss(y, model(x, training=training))
    return tape.gradient(value, model.trainable_variables)


def _jax_grads(model: Any, x: np.ndarray, y: np.ndarray, loss: Any, training: bool):
    import jax

    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]

    def value(weights):
        out, _ = model.stateless_call(weights, frozen, x, training=training)
        return loss(y, out)

    return jax.grad(value)(trainable)


def _torch_grads(model: Any, x: np.ndarray, y: np.ndarray, loss: Any, training: bool):
    import torch

    variables = model.trainable_variables
    value = loss(torch.as_tensor(y), model(torch.as_tensor(x), training=training))
    return torch.autograd.grad(value, [v.value for v in variables], allow_unused=True)


def gradient_norms(
    model: Any,
    x: Any,
    y: Any,
    loss: str | Any = "sparse_categorical_crossentropy",
    training: bool = True,
) -> dict[str, float]:
    """The norm of the loss's gradient for every trainable weight of ``model`` on one batch.

    Args:
        model: a built Keras model.
        x, y: one batch of inputs and targets.
        loss: a Keras loss (name or object) comparing ``y`` with ``model(x)``.
        training: call the model in training mode (batch statistics in BatchNormalization,
            as during ``fit``).

    Returns:
        ``{weight path: norm}`` in the order of ``model.trainable_variables`` (e.g.
        ``"stem/kernel"``); a weight the loss does not depend on has norm 0.

    Raises:
        ValueError: if the model has no trainable weights.
    """
    import keras

    variables = model.trainable_variables
    if not variables:
        raise ValueError("the model has no trainable weights: nothing to differentiate")
    x = np.asarray(x, dtype="float32")
    y = np.asarray(y)
    fn = _loss_fn(loss)
    backend = keras.backend.backend()
    compute = {"tensorflow": _tensorflow_grads, "jax": _jax_grads, "torch": _torch_grads}
    if backend not in compute:
        raise RuntimeError(f"gradients are not available on the {backend!r} backend")
    grads = compute[backend](model, x, y, fn, training)
    norms = {}
    for variable, grad in zip(variables, grads, strict=True):
        value = 0.0 if grad is None else float(np.linalg.norm(keras.ops.convert_to_numpy(grad)))
        norms[variable.path] = value
    return norms
