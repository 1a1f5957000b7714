"""Plausible wrong answers for lesson 03-first-cnn-mnist; each must make a test cell of its exercise fail.

Each code string replaces the whole answer cell. It runs in a kernel that has executed the
solution notebook, so ``np``, ``keras``, the data arrays and the earlier exercises' correct
functions are defined.
"""

WRONG_ANSWERS = {
    "ex1-prepare-images": [
        (
            "forgets to scale: float32 pixels still in [0, 255]",
            """
def prepare_images(x):
    x = np.asarray(x)
    return x.astype(np.float32)[..., np.newaxis]
""",
        ),
        (
            "channels first: (N, 1, H, W), PyTorch's layout",
            """
def prepare_images(x):
    x = np.asarray(x)
    return (x.astype(np.float32) / 255.0)[:, np.newaxis, :, :]
""",
        ),
        (
            "scales but leaves float64 (x / 255 without astype)",
            """
def prepare_images(x):
    x = np.asarray(x)
    return (x / 255.0)[..., np.newaxis]
""",
        ),
        (
            "hard-codes 28 × 28: reshape(-1, 28, 28, 1)",
            """
def prepare_images(x):
    return (np.asarray(x).astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
""",
        ),
        (
            "no channel axis at all",
            """
def prepare_images(x):
    return np.asarray(x).astype(np.float32) / 255.0
""",
        ),
    ],
    "ex2-one-hot": [
        (
            "keeps the sparse integer labels",
            """
def one_hot(y, num_classes=10):
    return np.asarray(y)
""",
        ),
        (
            "ignores num_classes: as many columns as the largest label + 1",
            """
def one_hot(y, num_classes=10):
    y = np.asarray(y, dtype=int)
    return np.eye(y.max() + 1)[y]
""",
        ),
        (
            "transposed: one column per example",
            """
def one_hot(y, num_classes=10):
    return np.eye(num_classes)[np.asarray(y, dtype=int)].T
""",
        ),
        (
            "off by one: the 1 in column y + 1",
            """
def one_hot(y, num_classes=10):
    return np.eye(num_classes)[(np.asarray(y, dtype=int) + 1) % num_classes]
""",
        ),
    ],
    "ex3-predict-shapes": [
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
    ],
    "ex4-build-cnn": [
        (
            "Conv2D(50) first and Conv2D(25) second",
            """
def build_mnist_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(50, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(25, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
""",
        ),
        (
            "missing Flatten: Dense applied to the 5×5×50 maps",
            """
def build_mnist_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(25, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(50, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
""",
        ),
        (
            "padding='same' in the convolutions",
            """
def build_mnist_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(25, (3, 3), activation="relu", padding="same"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(50, (3, 3), activation="relu", padding="same"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
""",
        ),
        (
            "relu instead of softmax on the output layer",
            """
def build_mnist_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(25, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(50, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="relu"),
    ])
""",
        ),
        (
            "no activation on the output layer (logits)",
            """
def build_mnist_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(25, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(50, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10),
    ])
""",
        ),
        (
            "Dense(128) hidden layer instead of Dense(100)",
            """
def build_mnist_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(25, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(50, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
""",
        ),
        (
            "an extra Dropout layer the example does not have",
            """
def build_mnist_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(25, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(50, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
""",
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


def build_mnist_cnn():
    return _SHARED_CNN
""",
        ),
    ],
    "ex5-compile": [
        (
            "sparse categorical cross-entropy with one-hot labels",
            """
def compile_model(model):
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model
""",
        ),
        (
            "SGD instead of Adam",
            """
def compile_model(model):
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model
""",
        ),
        (
            "no accuracy metric",
            """
def compile_model(model):
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    return model
""",
        ),
        (
            "mean squared error loss",
            """
def compile_model(model):
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    return model
""",
        ),
        (
            "binary cross-entropy for a 10-class problem",
            """
def compile_model(model):
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model
""",
        ),
        (
            "forgets to return the model",
            """
def compile_model(model):
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
""",
        ),
        (
            "compiles a copy and returns the copy",
            """
def compile_model(model):
    copy = keras.models.clone_model(model)
    copy.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return copy
""",
        ),
    ],
    "ex6-accuracy": [
        (
            "compares the probabilities with the labels",
            """
def accuracy_from_predictions(probs, y_true):
    return float(np.mean(np.max(probs, axis=1) == np.asarray(y_true)))
""",
        ),
        (
            "argmax along the wrong axis (over examples)",
            """
def accuracy_from_predictions(probs, y_true):
    return float(np.mean(np.argmax(np.asarray(probs), axis=0) == np.asarray(y_true)))
""",
        ),
        (
            "a percentage instead of a fraction",
            """
def accuracy_from_predictions(probs, y_true):
    return 100.0 * float(np.mean(np.argmax(probs, axis=1) == np.asarray(y_true)))
""",
        ),
        (
            "counts the right answers instead of averaging",
            """
def accuracy_from_predictions(probs, y_true):
    return float(np.sum(np.argmax(probs, axis=1) == np.asarray(y_true)))
""",
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
