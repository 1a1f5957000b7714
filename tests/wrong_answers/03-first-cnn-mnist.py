"""Plausible wrong answers for lesson 03-first-cnn-mnist; each must make a test cell of its exercise fail.

Each code string replaces the whole answer cell. It runs in a kernel that has executed the
solution notebook, so ``np``, ``keras``, the data arrays and the earlier exercises' correct
functions are defined.
"""

# The layers of the course's example, as code, for the wrong answers that change one thing.
_CNN = """
def build_mnist_cnn(input_shape=(28, 28, 1), num_classes=10):
    return keras.Sequential([
        keras.Input(shape=INPUT),
        keras.layers.Conv2D(25, (3, 3), activation="relu"CONV_EXTRA),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(50, (3, 3), activation="relu"CONV_EXTRA),
        keras.layers.MaxPooling2D((2, 2)),
        FLATTEN
        keras.layers.Dense(HIDDEN, activation="relu"),
        keras.layers.Dense(CLASSES, activation=OUTPUT),
    ])
"""


def _cnn(**changes: str) -> str:
    """The example network's code with some placeholders changed."""
    values = {
        "INPUT": "input_shape",
        "CONV_EXTRA": "",
        "FLATTEN": "keras.layers.Flatten(),",
        "HIDDEN": "100",
        "CLASSES": "num_classes",
        "OUTPUT": '"softmax"',
        **changes,
    }
    code = _CNN
    for key, value in values.items():
        code = code.replace(key, value)
    return code


# The kernel and bias gradients, correct, with one line changed by the wrong answers below.
_GRAD_PARAMS = """
def conv2d_grad_params(x, w, grad_out, stride=1):
    x = np.asarray(x, dtype=float)
    g = np.asarray(grad_out, dtype=float)
    kh, kw = np.shape(w)[:2]
    _, out_h, out_w, _ = g.shape
    d_w = np.zeros(np.shape(w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            d_w += np.einsum("nuvc,nf->uvcf", WINDOW, g[:, i, j, :])
    d_b = DB
    return d_w, d_b
"""


def _grad_params(window: str = "window", db: str = "g.sum(axis=(0, 1, 2))") -> str:
    return _GRAD_PARAMS.replace("WINDOW", window).replace("DB", db)


# The input gradient as a scatter of kernel copies, with one piece changed.
_GRAD_INPUT = """
def conv2d_grad_input(x, w, grad_out, stride=1):
    w = np.asarray(w, dtype=float)
    g = np.asarray(grad_out, dtype=float)
    kh, kw = w.shape[:2]
    _, out_h, out_w, _ = g.shape
    d_x = np.zeros(np.shape(x))
    for i in range(out_h):
        for j in range(out_w):
            d_x[:, TOP : TOP + kh, LEFT : LEFT + kw, :] += np.einsum("nf,uvcf->nuvc", G_IJ, KERNEL)
    return d_x
"""


def _grad_input(
    top: str = "i * stride",
    left: str = "j * stride",
    g_ij: str = "g[:, i, j, :]",
    kernel: str = "w",
) -> str:
    return (
        _GRAD_INPUT.replace("TOP", top)
        .replace("LEFT", left)
        .replace("G_IJ", g_ij)
        .replace("KERNEL", kernel)
    )


# Gradient descent on the mean squared error, with one piece changed.
_FIT = """
def fit_kernel(x, target, w0, b0, learning_rate, steps):
    x = np.asarray(x, dtype=float)
    w = W_START
    b = np.array(b0, dtype=float)
    losses = []
    PRELOOP
    for _ in range(steps):
        h = conv_forward(x, w, b)
        residual = h - target
        RECORD_FIRST
        d_w, d_b = conv2d_grad_params(x, w, GRAD)
        w = w STEP learning_rate * d_w
        b = B_UPDATE
        RECORD_LAST
    return w, b, losses
"""


def _fit(**changes: str) -> str:
    values = {
        "W_START": "np.array(w0, dtype=float)",
        "PRELOOP": "",
        "RECORD_FIRST": "losses.append(float(np.mean(residual ** 2)))",
        "GRAD": "2 * residual / residual.size",
        "STEP": "-",
        "B_UPDATE": "b - learning_rate * d_b",
        "RECORD_LAST": "",
        **changes,
    }
    code = _FIT
    for key, value in values.items():
        code = code.replace(key, value)
    return code


WRONG_ANSWERS = {
    "ex1-predict-shapes": [
        (
            "'same' padding: the convolution keeps the size",
            """
def conv_pool_block_shape(shape, filters, kernel=3, pool=2):
    h, w, _ = shape
    return (h // pool, w // pool, filters)


def dense_param_count(n_in, n_out):
    return n_in * n_out + n_out
""",
        ),
        (
            "rounds the pooled size up (ceil(11 / 2) = 6)",
            """
import math


def conv_pool_block_shape(shape, filters, kernel=3, pool=2):
    h, w, _ = shape
    return (math.ceil((h - kernel + 1) / pool), math.ceil((w - kernel + 1) / pool), filters)


def dense_param_count(n_in, n_out):
    return n_in * n_out + n_out
""",
        ),
        (
            "the convolution shrinks each side by k instead of k - 1",
            """
def conv_pool_block_shape(shape, filters, kernel=3, pool=2):
    h, w, _ = shape
    return ((h - kernel) // pool, (w - kernel) // pool, filters)


def dense_param_count(n_in, n_out):
    return n_in * n_out + n_out
""",
        ),
        (
            "keeps the input channels instead of one map per filter",
            """
def conv_pool_block_shape(shape, filters, kernel=3, pool=2):
    h, w, c = shape
    return ((h - kernel + 1) // pool, (w - kernel + 1) // pool, c)


def dense_param_count(n_in, n_out):
    return n_in * n_out + n_out
""",
        ),
        (
            "right shapes, but Dense forgets the biases",
            """
def conv_pool_block_shape(shape, filters, kernel=3, pool=2):
    h, w, _ = shape
    return ((h - kernel + 1) // pool, (w - kernel + 1) // pool, filters)


def dense_param_count(n_in, n_out):
    return n_in * n_out
""",
        ),
        (
            "treats 2×2 pooling like a stride-1 window: n − p + 1",
            """
def conv_pool_block_shape(shape, filters, kernel=3, pool=2):
    h, w, _ = shape
    h, w = h - kernel + 1, w - kernel + 1
    return (h - pool + 1, w - pool + 1, filters)


def dense_param_count(n_in, n_out):
    return n_in * n_out + n_out
""",
        ),
        (
            "ignores the kernel and pool arguments (3 and 2 hard-coded)",
            """
def conv_pool_block_shape(shape, filters, kernel=3, pool=2):
    h, w, _ = shape
    return ((h - 2) // 2, (w - 2) // 2, filters)


def dense_param_count(n_in, n_out):
    return n_in * n_out + n_out
""",
        ),
        (
            "uses the height for both sides (square images only)",
            """
def conv_pool_block_shape(shape, filters, kernel=3, pool=2):
    h = shape[0]
    side = (h - kernel + 1) // pool
    return (side, side, filters)


def dense_param_count(n_in, n_out):
    return n_in * n_out + n_out
""",
        ),
    ],
    "ex2-build-cnn": [
        (
            "Conv2D(50) first and Conv2D(25) second",
            _cnn()
            .replace("Conv2D(25", "Conv2D(TMP")
            .replace("Conv2D(50", "Conv2D(25")
            .replace("Conv2D(TMP", "Conv2D(50"),
        ),
        ("missing Flatten: Dense applied to the 5×5×50 maps", _cnn(FLATTEN="")),
        ("padding='same' in the convolutions", _cnn(CONV_EXTRA=', padding="same"')),
        ("relu instead of softmax on the output layer", _cnn(OUTPUT='"relu"')),
        ("no activation on the output layer (logits)", _cnn(OUTPUT="None")),
        ("Dense(128) hidden layer instead of Dense(100)", _cnn(HIDDEN="128")),
        ("hard-codes the 28×28×1 input, ignoring input_shape", _cnn(INPUT="(28, 28, 1)")),
        ("hard-codes 10 classes, ignoring num_classes", _cnn(CLASSES="10")),
        (
            "Reshape((1250,)) instead of Flatten: only fits 28×28 inputs",
            _cnn(FLATTEN="keras.layers.Reshape((1250,)),"),
        ),
        (
            "an extra Dropout layer the example does not have",
            _cnn(FLATTEN="keras.layers.Flatten(),\n        keras.layers.Dropout(0.5),"),
        ),
        (
            "stride 2 in the convolutions instead of pooling after them",
            _cnn(CONV_EXTRA=", strides=2").replace(
                "        keras.layers.MaxPooling2D((2, 2)),\n", ""
            ),
        ),
        (
            "returns one shared model instead of a new one per call",
            """
_SHARED_CNN = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    keras.layers.Conv2D(25, (3, 3), activation="relu"),
    keras.layers.MaxPooling2D((2, 2)),
    keras.layers.Conv2D(50, (3, 3), activation="relu"),
    keras.layers.MaxPooling2D((2, 2)),
    keras.layers.Flatten(),
    keras.layers.Dense(100, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])


def build_mnist_cnn(input_shape=(28, 28, 1), num_classes=10):
    return _SHARED_CNN
""",
        ),
        (
            "compiles the model it returns",
            _cnn()
            .replace(
                "    return keras.Sequential([",
                "    model = keras.Sequential([",
            )
            .replace(
                "    ])\n",
                "    ])\n    model.compile(loss='categorical_crossentropy', optimizer='adam')\n"
                "    return model\n",
            ),
        ),
    ],
    "ex3-cross-entropy": [
        (
            "no shift by the maximum: exp overflows for large logits",
            """
def softmax_cross_entropy(logits, y):
    z, y = np.asarray(logits, dtype=float), np.asarray(y, dtype=float)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(-np.sum(y * np.log(p)) / len(z)), (p - y) / len(z)
""",
        ),
        (
            "shifts by the maximum but takes np.log of the probabilities (0 · log 0 = nan)",
            """
def softmax_cross_entropy(logits, y):
    z, y = np.asarray(logits, dtype=float), np.asarray(y, dtype=float)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(-np.sum(y * np.log(p)) / len(z)), (p - y) / len(z)
""",
        ),
        (
            "the sum over the batch instead of the mean",
            """
def softmax_cross_entropy(logits, y):
    z, y = np.asarray(logits, dtype=float), np.asarray(y, dtype=float)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.sum(y * log_p)), np.exp(log_p) - y
""",
        ),
        (
            "the gradient forgets to divide by N",
            """
def softmax_cross_entropy(logits, y):
    z, y = np.asarray(logits, dtype=float), np.asarray(y, dtype=float)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.sum(y * log_p) / len(z)), np.exp(log_p) - y
""",
        ),
        (
            "the gradient is the softmax itself, without − y",
            """
def softmax_cross_entropy(logits, y):
    z, y = np.asarray(logits, dtype=float), np.asarray(y, dtype=float)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.sum(y * log_p) / len(z)), np.exp(log_p) / len(z)
""",
        ),
        (
            "softmax over the batch axis (axis=0) instead of the classes",
            """
def softmax_cross_entropy(logits, y):
    z, y = np.asarray(logits, dtype=float), np.asarray(y, dtype=float)
    z = z - z.max(axis=0, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=0, keepdims=True))
    return float(-np.sum(y * log_p) / len(z)), (np.exp(log_p) - y) / len(z)
""",
        ),
        (
            "reads the true class with argmax: wrong for soft targets",
            """
def softmax_cross_entropy(logits, y):
    z, y = np.asarray(logits, dtype=float), np.asarray(y, dtype=float)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    hard = np.eye(z.shape[1])[y.argmax(axis=1)]
    return float(-np.sum(hard * log_p) / len(z)), (np.exp(log_p) - hard) / len(z)
""",
        ),
    ],
    "ex4-grad-params": [
        (
            "forgets the batch: only the first image counts",
            _grad_params(window="window[:1]").replace("g[:, i, j, :])", "g[:1, i, j, :])"),
        ),
        (
            "the mean of G for the bias instead of its sum",
            _grad_params(db="g.mean(axis=(0, 1, 2))"),
        ),
        (
            "one bias gradient for all filters: sums over the filters too",
            _grad_params(db="g.sum()"),
        ),
        (
            "flips the kernel gradient (true convolution instead of cross-correlation)",
            _grad_params().replace("    return d_w, d_b", "    return d_w[::-1, ::-1], d_b"),
        ),
        (
            "ignores the stride: reads the window at (i, j)",
            _grad_params().replace(
                "x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]",
                "x[:, i : i + kh, j : j + kw, :]",
            ),
        ),
        (
            "sums the input over its channels (the same gradient for every channel)",
            _grad_params(window="np.repeat(window.sum(axis=3, keepdims=True), x.shape[3], axis=3)"),
        ),
        (
            "calls helpers.autodiff (float32 automatic differentiation) instead of NumPy",
            """
def conv2d_grad_params(x, w, grad_out, stride=1):
    from helpers import autodiff

    d_w, d_b, _ = autodiff.conv2d_gradients(x, w, np.zeros(np.shape(w)[3]), grad_out, strides=stride)
    return d_w, d_b
""",
        ),
        (
            "computes in float32",
            _grad_params()
            .replace("x = np.asarray(x, dtype=float)", "x = np.asarray(x, dtype=np.float32)")
            .replace(
                "g = np.asarray(grad_out, dtype=float)",
                "g = np.asarray(grad_out, dtype=np.float32)",
            )
            .replace(
                "d_w = np.zeros(np.shape(w))", "d_w = np.zeros(np.shape(w), dtype=np.float32)"
            ),
        ),
    ],
    "ex5-grad-input": [
        ("scatters the kernel rotated by 180°", _grad_input(kernel="w[::-1, ::-1]")),
        ("uses only the first filter", _grad_input(g_ij="g[:, i, j, :1]", kernel="w[..., :1]")),
        ("ignores the stride: the copy lands at (i, j)", _grad_input(top="i", left="j")),
        (
            "transposes the kernel instead of leaving it as it is",
            _grad_input(kernel="w.transpose(1, 0, 2, 3)"),
        ),
        (
            "forgets the padding: a valid cross-correlation of G with the rotated kernel",
            """
def conv2d_grad_input(x, w, grad_out, stride=1):
    w = np.asarray(w, dtype=float)[::-1, ::-1]
    g = np.asarray(grad_out, dtype=float)
    kh, kw = w.shape[:2]
    n, out_h, out_w, _ = g.shape
    d = np.zeros((n, out_h - kh + 1, out_w - kw + 1, w.shape[2]))
    for i in range(d.shape[1]):
        for j in range(d.shape[2]):
            d[:, i, j, :] = np.einsum("nuvf,uvcf->nc", g[:, i : i + kh, j : j + kw, :], w)
    return d
""",
        ),
        (
            "calls helpers.autodiff (float32 automatic differentiation) instead of NumPy",
            """
def conv2d_grad_input(x, w, grad_out, stride=1):
    from helpers import autodiff

    return autodiff.conv2d_gradients(x, w, np.zeros(np.shape(w)[3]), grad_out, strides=stride)[2]
""",
        ),
    ],
    "ex6-fit-kernel": [
        ("gradient ascent: w + η·∂L/∂W", _fit(STEP="+")),
        ("G = H − T: forgets the 2/M of the mean squared error", _fit(GRAD="residual")),
        (
            "G = 2(H − T)/N: divides by the number of images only",
            _fit(GRAD="2 * residual / len(x)"),
        ),
        ("never updates the biases", _fit(B_UPDATE="b")),
        (
            "records the loss after the update instead of before",
            _fit(
                RECORD_FIRST="",
                RECORD_LAST="losses.append(float(np.mean((conv_forward(x, w, b) - target) ** 2)))",
            ),
        ),
        (
            "computes the gradient once, before the loop",
            _fit(
                PRELOOP="d_w0, d_b0 = conv2d_grad_params(x, w, 2 * (conv_forward(x, w, b) - target)"
                " / np.size(target))",
                GRAD="2 * residual / residual.size",
            )
            .replace("        w = w - learning_rate * d_w", "        w = w - learning_rate * d_w0")
            .replace("        b = b - learning_rate * d_b", "        b = b - learning_rate * d_b0"),
        ),
        (
            "updates w0 in place and returns it",
            _fit(W_START="w0").replace(
                "        w = w - learning_rate * d_w", "        w -= learning_rate * d_w"
            ),
        ),
        (
            "the root of the mean squared error as the loss",
            _fit(RECORD_FIRST="losses.append(float(np.sqrt(np.mean(residual ** 2))))"),
        ),
    ],
    "ex7-confusion-matrix": [
        (
            "transposed: rows are the predictions",
            """
def confusion_matrix(y_true, y_pred, num_classes=10):
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        matrix[p, t] += 1
    return matrix
""",
        ),
        (
            "size from the labels present, ignoring num_classes",
            """
def confusion_matrix(y_true, y_pred, num_classes=10):
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    k = int(max(y_true.max(), y_pred.max())) + 1
    matrix = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred):
        matrix[t, p] += 1
    return matrix
""",
        ),
        (
            "fancy-index += 1 counts repeated pairs only once",
            """
def confusion_matrix(y_true, y_pred, num_classes=10):
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    matrix[np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)] += 1
    return matrix
""",
        ),
        (
            "uses scikit-learn",
            """
def confusion_matrix(y_true, y_pred, num_classes=10):
    from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

    return sklearn_confusion_matrix(y_true, y_pred, labels=list(range(num_classes)))
""",
        ),
    ],
    "ex8-confident-mistakes": [
        (
            "least confident first (ascending sort)",
            """
def most_confident_mistakes(probs, y_true, k=12):
    probs = np.asarray(probs)
    wrong = np.flatnonzero(probs.argmax(axis=1) != np.asarray(y_true))
    return wrong[np.argsort(probs.max(axis=1)[wrong])][:k]
""",
        ),
        (
            "the most confident predictions, right ones included",
            """
def most_confident_mistakes(probs, y_true, k=12):
    probs = np.asarray(probs)
    return np.argsort(-probs.max(axis=1))[:k]
""",
        ),
        (
            "ranks by the probability of the true class",
            """
def most_confident_mistakes(probs, y_true, k=12):
    probs, y_true = np.asarray(probs), np.asarray(y_true)
    wrong = np.flatnonzero(probs.argmax(axis=1) != y_true)
    return wrong[np.argsort(probs[wrong, y_true[wrong]])][:k]
""",
        ),
        (
            "returns positions within the mistakes, not indices into probs",
            """
def most_confident_mistakes(probs, y_true, k=12):
    probs = np.asarray(probs)
    wrong = np.flatnonzero(probs.argmax(axis=1) != np.asarray(y_true))
    return np.argsort(-probs.max(axis=1)[wrong])[:k]
""",
        ),
    ],
}
