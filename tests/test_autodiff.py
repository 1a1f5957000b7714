"""helpers.autodiff: the gradients Keras computes, checked against closed forms and NumPy sums."""

import numpy as np
import pytest

from helpers import autodiff


def reference_conv_gradients(x, kernel, upstream, stride):
    """dL/dW, dL/db, dL/dX of L = sum(H * upstream), H a valid convolution, by explicit sums."""
    kh, kw = kernel.shape[:2]
    _, out_h, out_w, _ = upstream.shape
    d_kernel = np.zeros_like(kernel)
    d_x = np.zeros_like(x)
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * stride, i * stride + kh)
            cols = slice(j * stride, j * stride + kw)
            g = upstream[:, i, j, :]  # (N, F)
            d_kernel += np.einsum("nuvc,nf->uvcf", x[:, rows, cols, :], g)
            d_x[:, rows, cols, :] += np.einsum("nf,uvcf->nuvc", g, kernel)
    return d_kernel, upstream.sum(axis=(0, 1, 2)), d_x


@pytest.mark.parametrize(
    ("n", "h", "w", "c", "kh", "kw", "f", "stride"),
    [
        (1, 5, 5, 1, 3, 3, 1, 1),
        (2, 7, 6, 3, 3, 2, 4, 1),
        (2, 9, 8, 2, 2, 3, 3, 2),
        (1, 6, 7, 2, 1, 1, 2, 3),
    ],
)
def test_conv2d_gradients_match_the_sums_of_the_chain_rule(n, h, w, c, kh, kw, f, stride):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, h, w, c))
    kernel = rng.normal(size=(kh, kw, c, f))
    upstream = rng.normal(size=(n, (h - kh) // stride + 1, (w - kw) // stride + 1, f))
    got = autodiff.conv2d_gradients(x, kernel, rng.normal(size=f), upstream, strides=stride)
    for name, mine, want in zip(
        ("kernel", "bias", "input"),
        got,
        reference_conv_gradients(x, kernel, upstream, stride),
        strict=True,
    ):
        assert mine.dtype == np.float32 and mine.shape == want.shape, name
        np.testing.assert_allclose(mine, want, rtol=1e-4, atol=1e-4, err_msg=name)


def test_conv2d_gradients_with_same_padding_are_those_of_the_padded_input():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 7, 8, 3))
    kernel = rng.normal(size=(3, 3, 3, 2))
    upstream = rng.normal(size=(2, 4, 4, 2))  # ceil(7 / 2), ceil(8 / 2)
    # 4 windows of 3 at stride 2 need 9 rows and 9 columns: Keras pads 1 row above and 1 below,
    # 0 columns left and 1 right (the odd one after).
    padded = np.pad(x, ((0, 0), (1, 1), (0, 1), (0, 0)))
    d_kernel, d_bias, d_padded = reference_conv_gradients(padded, kernel, upstream, 2)
    got = autodiff.conv2d_gradients(x, kernel, np.zeros(2), upstream, strides=2, padding="same")
    np.testing.assert_allclose(got[0], d_kernel, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], d_bias, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[2], d_padded[:, 1:-1, :-1], rtol=1e-4, atol=1e-4)


def test_conv2d_gradients_explain_shapes_that_do_not_fit():
    x, kernel, bias = np.zeros((2, 6, 6, 3)), np.zeros((3, 3, 3, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=r"upstream should have the shape .*\(2, 4, 4, 4\)"):
        autodiff.conv2d_gradients(x, kernel, bias, np.zeros((2, 6, 6, 4)))
    with pytest.raises(ValueError, match="expects 3 input channels"):
        autodiff.conv2d_gradients(np.zeros((2, 6, 6, 1)), kernel, bias, np.zeros((2, 4, 4, 4)))
    with pytest.raises(ValueError, match=r"batch of images \(N, H, W, C\)"):
        autodiff.conv2d_gradients(np.zeros((6, 6, 3)), kernel, bias, np.zeros((4, 4, 4)))
    with pytest.raises(ValueError, match="bias should have shape"):
        autodiff.conv2d_gradients(x, kernel, np.zeros(3), np.zeros((2, 4, 4, 4)))
    with pytest.raises(ValueError, match="does not fit"):
        autodiff.conv2d_gradients(np.zeros((1, 2, 2, 3)), kernel, bias, np.zeros((1, 1, 1, 4)))
    with pytest.raises(ValueError, match="padding must be"):
        autodiff.conv2d_gradients(x, kernel, bias, np.zeros((2, 4, 4, 4)), padding="full")


def test_value_and_grad_of_a_softmax_cross_entropy_is_p_minus_y_over_n():
    import keras

    rng = np.random.default_rng(2)
    logits = rng.normal(size=(5, 4))
    y = np.eye(4)[[0, 3, 1, 1, 2]]
    value, (grad,) = autodiff.value_and_grad(
        lambda z: keras.ops.mean(keras.losses.categorical_crossentropy(y, z, from_logits=True)),
        logits,
    )
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert value == pytest.approx(-np.mean(np.log(p[np.arange(5), y.argmax(1)])), rel=1e-5)
    np.testing.assert_allclose(grad, (p - y) / 5, rtol=1e-4, atol=1e-6)


def test_value_and_grad_gives_zeros_for_an_unused_argument_and_refuses_non_scalars():
    import keras

    value, (used, unused) = autodiff.value_and_grad(
        lambda a, b: keras.ops.sum(a * a), [1.0, -2.0], [[3.0]]
    )
    assert value == pytest.approx(5.0)
    np.testing.assert_allclose(used, [2.0, -4.0])
    np.testing.assert_array_equal(unused, [[0.0]])
    with pytest.raises(ValueError, match="single number"):
        autodiff.value_and_grad(lambda a: a * 2, [1.0, 2.0])
    with pytest.raises(ValueError, match="at least one array"):
        autodiff.value_and_grad(lambda: 0.0)
