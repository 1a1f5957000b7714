"""Plausible wrong answers for lesson 01-convolution; each must make a test cell of its exercise fail.

Each code string replaces the whole answer cell. It runs in a kernel that has executed the
solution notebook, so ``np``, ``keras``, ``same_padding`` and the earlier exercises' correct
functions are defined.
"""

WRONG_ANSWERS = {
    "ex1-conv2d-single": [
        (
            "flips the kernel: true convolution instead of cross-correlation",
            """
def conv2d_single(x, w):
    x, w = np.asarray(x, float), np.asarray(w, float)[::-1, ::-1]
    kh, kw = w.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i : i + kh, j : j + kw] * w)
    return out
""",
        ),
        (
            "off by one: loops over range(H - kh), losing the last row and column",
            """
def conv2d_single(x, w):
    x, w = np.asarray(x, float), np.asarray(w, float)
    kh, kw = w.shape
    out = np.zeros((x.shape[0] - kh, x.shape[1] - kw))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i : i + kh, j : j + kw] * w)
    return out
""",
        ),
        (
            "mixes up the kernel's axes: uses w.T",
            """
def conv2d_single(x, w):
    x, w = np.asarray(x, float), np.asarray(w, float).T
    kh, kw = w.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i : i + kh, j : j + kw] * w)
    return out
""",
        ),
        (
            "multiplies the window by the kernel with a matrix product instead of element-wise",
            """
def conv2d_single(x, w):
    x, w = np.asarray(x, float), np.asarray(w, float)
    kh, kw = w.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = x[i : i + kh, j : j + kw]
            out[i, j] = np.sum(window @ w.T) if kh == kw else np.sum(window * w)
    return out
""",
        ),
    ],
    "ex2-output-size": [
        (
            "forgets the +1: (n - k) // s",
            """
def conv_output_size(n, k, stride=1, padding="valid"):
    if padding == "valid":
        return (n - k) // stride
    if padding == "same":
        return -(-n // stride)
    if isinstance(padding, int) and padding >= 0:
        return (n + 2 * padding - k) // stride
    raise ValueError(padding)
""",
        ),
        (
            "'same' returns n whatever the stride",
            """
def conv_output_size(n, k, stride=1, padding="valid"):
    if padding == "valid":
        return (n - k) // stride + 1
    if padding == "same":
        return n
    if isinstance(padding, int) and padding >= 0:
        return (n + 2 * padding - k) // stride + 1
    raise ValueError(padding)
""",
        ),
        (
            "'same' as symmetric padding p = (k - 1) // 2 (wrong for even kernels and strides)",
            """
def conv_output_size(n, k, stride=1, padding="valid"):
    if padding == "same":
        padding = (k - 1) // 2
    if padding == "valid":
        padding = 0
    if isinstance(padding, int) and padding >= 0:
        return (n + 2 * padding - k) // stride + 1
    raise ValueError(padding)
""",
        ),
        (
            "'same' rounds down: n // s",
            """
def conv_output_size(n, k, stride=1, padding="valid"):
    if padding == "valid":
        return (n - k) // stride + 1
    if padding == "same":
        return n // stride
    if isinstance(padding, int) and padding >= 0:
        return (n + 2 * padding - k) // stride + 1
    raise ValueError(padding)
""",
        ),
        (
            "an int padding adds p once instead of on both sides",
            """
def conv_output_size(n, k, stride=1, padding="valid"):
    if padding == "valid":
        return (n - k) // stride + 1
    if padding == "same":
        return -(-n // stride)
    if isinstance(padding, int) and padding >= 0:
        return (n + padding - k) // stride + 1
    raise ValueError(padding)
""",
        ),
        (
            "treats any unknown padding as 'valid' instead of raising ValueError",
            """
def conv_output_size(n, k, stride=1, padding="valid"):
    if padding == "same":
        return -(-n // stride)
    if isinstance(padding, int) and not isinstance(padding, bool):
        return (n + 2 * padding - k) // stride + 1
    return (n - k) // stride + 1
""",
        ),
        (
            "does not reject a negative int padding",
            """
def conv_output_size(n, k, stride=1, padding="valid"):
    if padding == "valid":
        return (n - k) // stride + 1
    if padding == "same":
        return -(-n // stride)
    if isinstance(padding, int):
        return (n + 2 * padding - k) // stride + 1
    raise ValueError(padding)
""",
        ),
        (
            "keeps the old argument order (n, k, padding, stride) instead of Keras's",
            """
def conv_output_size(n, k, padding="valid", stride=1):
    if padding == "valid":
        return (n - k) // stride + 1
    if padding == "same":
        return -(-n // stride)
    if isinstance(padding, int) and padding >= 0:
        return (n + 2 * padding - k) // stride + 1
    raise ValueError(padding)
""",
        ),
        (
            "returns a float: divides with / instead of //",
            """
def conv_output_size(n, k, stride=1, padding="valid"):
    if padding == "valid":
        return (n - k) / stride + 1
    if padding == "same":
        return n / stride
    if isinstance(padding, int) and padding >= 0:
        return (n + 2 * padding - k) / stride + 1
    raise ValueError(padding)
""",
        ),
        (
            "default padding 'same' instead of 'valid'",
            """
def conv_output_size(n, k, stride=1, padding="same"):
    if padding == "valid":
        return (n - k) // stride + 1
    if padding == "same":
        return -(-n // stride)
    if isinstance(padding, int) and padding >= 0:
        return (n + 2 * padding - k) // stride + 1
    raise ValueError(padding)
""",
        ),
    ],
    "ex3-conv2d": [
        (
            "forgets the bias",
            """
def conv2d(x, W, b, stride=1, padding="valid"):
    x, W = np.asarray(x, float), np.asarray(W, float)
    kh, kw, _, filters = W.shape
    if padding == "same":
        x = np.pad(x, (same_padding(x.shape[0], kh, stride), same_padding(x.shape[1], kw, stride),
                       (0, 0)))
    out_h, out_w = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    out = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.tensordot(window, W, axes=3)
    return out
""",
        ),
        (
            "'same' puts the odd extra zero at the top/left instead of the bottom/right",
            """
def conv2d(x, W, b, stride=1, padding="valid"):
    x, W, b = np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)
    kh, kw, _, filters = W.shape
    if padding == "same":
        rows = same_padding(x.shape[0], kh, stride)[::-1]
        cols = same_padding(x.shape[1], kw, stride)[::-1]
        x = np.pad(x, (rows, cols, (0, 0)))
    out_h, out_w = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    out = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.tensordot(window, W, axes=3) + b
    return out
""",
        ),
        (
            "'same' pads (k - 1) // 2 zeros on every side, whatever the stride",
            """
def conv2d(x, W, b, stride=1, padding="valid"):
    x, W, b = np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)
    kh, kw, _, filters = W.shape
    if padding == "same":
        x = np.pad(x, (((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    out_h, out_w = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    out = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.tensordot(window, W, axes=3) + b
    return out
""",
        ),
        (
            "sums over the filters instead of the channels",
            """
def conv2d(x, W, b, stride=1, padding="valid"):
    x, W, b = np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)
    kh, kw, channels, filters = W.shape
    if padding == "same":
        x = np.pad(x, (same_padding(x.shape[0], kh, stride), same_padding(x.shape[1], kw, stride),
                       (0, 0)))
    out_h, out_w = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    out = np.zeros((out_h, out_w, channels))
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[i, j] = np.einsum("uvc,uvcf->c", window, W) + b.sum()
    return out
""",
        ),
        (
            "strides by subsampling the stride-1 output",
            """
def conv2d(x, W, b, stride=1, padding="valid"):
    x, W, b = np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)
    kh, kw, _, filters = W.shape
    if padding == "same":
        x = np.pad(x, (same_padding(x.shape[0], kh), same_padding(x.shape[1], kw), (0, 0)))
    out_h, out_w = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = np.tensordot(x[i : i + kh, j : j + kw], W, axes=3) + b
    return out[::stride, ::stride]
""",
        ),
        (
            "ignores the stride",
            """
def conv2d(x, W, b, stride=1, padding="valid"):
    x, W, b = np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)
    kh, kw, _, filters = W.shape
    if padding == "same":
        x = np.pad(x, (same_padding(x.shape[0], kh), same_padding(x.shape[1], kw), (0, 0)))
    out_h, out_w = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = np.tensordot(x[i : i + kh, j : j + kw], W, axes=3) + b
    return out
""",
        ),
        (
            "uses only the first input channel",
            """
def conv2d(x, W, b, stride=1, padding="valid"):
    x, W, b = np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)
    kh, kw, _, filters = W.shape
    if padding == "same":
        x = np.pad(x, (same_padding(x.shape[0], kh, stride), same_padding(x.shape[1], kw, stride),
                       (0, 0)))
    out_h, out_w = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    out = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw, 0]
            out[i, j] = np.tensordot(window, W[:, :, 0, :], axes=2) + b
    return out
""",
        ),
    ],
    "ex4-feature-maps": [
        (
            "ReLU as abs(h)",
            """
def activate(h, activation="relu"):
    h = np.asarray(h, float)
    if activation == "relu":
        return np.abs(h)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-h))
    if activation == "tanh":
        return np.tanh(h)
    if activation in ("linear", None):
        return h
    raise ValueError(activation)


def feature_maps(x, W, b, activation="relu", stride=1, padding="valid"):
    return activate(conv2d(x, W, b, stride, padding), activation)
""",
        ),
        (
            "sigmoid with the wrong sign: 1 / (1 + exp(h))",
            """
def activate(h, activation="relu"):
    h = np.asarray(h, float)
    if activation == "relu":
        return np.maximum(h, 0)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(h))
    if activation == "tanh":
        return np.tanh(h)
    if activation in ("linear", None):
        return h
    raise ValueError(activation)


def feature_maps(x, W, b, activation="relu", stride=1, padding="valid"):
    return activate(conv2d(x, W, b, stride, padding), activation)
""",
        ),
        (
            "applies the activation before adding the bias: g(W * x) + b",
            """
def activate(h, activation="relu"):
    h = np.asarray(h, float)
    if activation == "relu":
        return np.maximum(h, 0)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-h))
    if activation == "tanh":
        return np.tanh(h)
    if activation in ("linear", None):
        return h
    raise ValueError(activation)


def feature_maps(x, W, b, activation="relu", stride=1, padding="valid"):
    no_bias = np.zeros_like(np.asarray(b, float))
    return activate(conv2d(x, W, no_bias, stride, padding), activation) + b
""",
        ),
        (
            "feature_maps always uses ReLU, ignoring its activation argument",
            """
def activate(h, activation="relu"):
    h = np.asarray(h, float)
    if activation == "relu":
        return np.maximum(h, 0)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-h))
    if activation == "tanh":
        return np.tanh(h)
    if activation in ("linear", None):
        return h
    raise ValueError(activation)


def feature_maps(x, W, b, activation="relu", stride=1, padding="valid"):
    return activate(conv2d(x, W, b, stride, padding), "relu")
""",
        ),
        (
            "an unknown activation silently means no activation",
            """
def activate(h, activation="relu"):
    h = np.asarray(h, float)
    if activation == "relu":
        return np.maximum(h, 0)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-h))
    if activation == "tanh":
        return np.tanh(h)
    return h


def feature_maps(x, W, b, activation="relu", stride=1, padding="valid"):
    return activate(conv2d(x, W, b, stride, padding), activation)
""",
        ),
        (
            "feature_maps drops stride and padding",
            """
def activate(h, activation="relu"):
    h = np.asarray(h, float)
    if activation == "relu":
        return np.maximum(h, 0)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-h))
    if activation == "tanh":
        return np.tanh(h)
    if activation in ("linear", None):
        return h
    raise ValueError(activation)


def feature_maps(x, W, b, activation="relu", stride=1, padding="valid"):
    return activate(conv2d(x, W, b), activation)
""",
        ),
    ],
    "ex5-keras-conv": [
        (
            "sets the kernel but leaves the bias at zero",
            """
def make_keras_conv(W, b, stride=1, padding="valid", activation=None):
    W = np.asarray(W, "float32")
    layer = keras.layers.Conv2D(W.shape[3], W.shape[:2], strides=stride, padding=padding,
                                activation=activation)
    layer.build((None, None, None, W.shape[2]))
    layer.set_weights([W, np.zeros(W.shape[3], "float32")])
    return layer
""",
        ),
        (
            "kernel_size in the wrong order (kw, kh) and the kernel transposed to match",
            """
def make_keras_conv(W, b, stride=1, padding="valid", activation=None):
    W = np.asarray(W, "float32").transpose(1, 0, 2, 3)
    layer = keras.layers.Conv2D(W.shape[3], W.shape[:2], strides=stride, padding=padding,
                                activation=activation)
    layer.build((None, None, None, W.shape[2]))
    layer.set_weights([W, np.asarray(b, "float32")])
    return layer
""",
        ),
        (
            "forgets the stride",
            """
def make_keras_conv(W, b, stride=1, padding="valid", activation=None):
    W = np.asarray(W, "float32")
    layer = keras.layers.Conv2D(W.shape[3], W.shape[:2], padding=padding, activation=activation)
    layer.build((None, None, None, W.shape[2]))
    layer.set_weights([W, np.asarray(b, "float32")])
    return layer
""",
        ),
        (
            "forgets the activation",
            """
def make_keras_conv(W, b, stride=1, padding="valid", activation=None):
    W = np.asarray(W, "float32")
    layer = keras.layers.Conv2D(W.shape[3], W.shape[:2], strides=stride, padding=padding)
    layer.build((None, None, None, W.shape[2]))
    layer.set_weights([W, np.asarray(b, "float32")])
    return layer
""",
        ),
        (
            "returns a new layer with random weights (never sets W and b)",
            """
def make_keras_conv(W, b, stride=1, padding="valid", activation=None):
    W = np.asarray(W, "float32")
    layer = keras.layers.Conv2D(W.shape[3], W.shape[:2], strides=stride, padding=padding,
                                activation=activation)
    layer.build((None, None, None, W.shape[2]))
    return layer
""",
        ),
        (
            "ignores padding (always 'valid')",
            """
def make_keras_conv(W, b, stride=1, padding="valid", activation=None):
    W = np.asarray(W, "float32")
    layer = keras.layers.Conv2D(W.shape[3], W.shape[:2], strides=stride, activation=activation)
    layer.build((None, None, None, W.shape[2]))
    layer.set_weights([W, np.asarray(b, "float32")])
    return layer
""",
        ),
    ],
    "ex6-true-convolution": [
        (
            "no flip: returns the cross-correlation",
            """
def convolve2d(x, w):
    return conv2d_single(x, w)
""",
        ),
        (
            "flips only the rows (np.flipud)",
            """
def convolve2d(x, w):
    return conv2d_single(x, np.asarray(w, float)[::-1, :])
""",
        ),
        (
            "transposes the kernel instead of rotating it by 180°",
            """
def convolve2d(x, w):
    return conv2d_single(x, np.asarray(w, float).T)
""",
        ),
        (
            "negates the kernel (right for Sobel, wrong in general)",
            """
def convolve2d(x, w):
    return conv2d_single(x, -np.asarray(w, float))
""",
        ),
    ],
}
