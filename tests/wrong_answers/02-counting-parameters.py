"""Plausible wrong answers for lesson 02-counting-parameters; each must make a test cell of its
exercise fail.

Each code string replaces the whole answer cell. It runs in a kernel that has executed the
solution notebook, so ``np``, ``keras``, the earlier exercises' correct functions and the models
of the lesson (``vgg16``, ``resnet50``, ...) are defined.
"""

# The solution of exercise 6, from which its wrong variants are made one mistake at a time.
COUNT_LAYER = """
def count_layer_params(layer, input_shape):
    parameter_free = {
        "InputLayer", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D",
        "GlobalAveragePooling2D", "Flatten", "Dropout", "Activation", "ZeroPadding2D", "Add",
    }
    kind = type(layer).__name__
    config = layer.get_config()
    if kind in parameter_free:
        return 0, 0
    if kind == "Conv2D":
        kh, kw = config["kernel_size"]
        c_in = input_shape[-1] // config["groups"]
        trainable, non_trainable = kh * kw * c_in * config["filters"], 0
        if config["use_bias"]:
            trainable += config["filters"]
    elif kind == "Dense":
        units = config["units"]
        trainable = input_shape[-1] * units + (units if config["use_bias"] else 0)
        non_trainable = 0
    elif kind == "BatchNormalization":
        channels = input_shape[config["axis"]]
        trainable = channels * (int(config["center"]) + int(config["scale"]))
        non_trainable = 2 * channels
    else:
        raise ValueError(f"cannot count a {kind} layer")
    if not layer.trainable:
        return 0, trainable + non_trainable
    return trainable, non_trainable
"""


def _layer_variant(old, new):
    """The exercise-6 solution with one mistake put in (``old`` must occur exactly once)."""
    assert COUNT_LAYER.count(old) == 1, old
    return COUNT_LAYER.replace(old, new)


# The solution of exercise 7, likewise.
COUNT_MODEL = """
def count_model_params(model):
    trainable = non_trainable = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        inputs = layer.input
        if isinstance(inputs, (list, tuple)):
            shape = [tuple(tensor.shape) for tensor in inputs]
        else:
            shape = tuple(inputs.shape)
        t, n = count_layer_params(layer, shape)
        trainable += t
        non_trainable += n
    return trainable + non_trainable, trainable, non_trainable
"""


def _model_variant(old, new):
    assert COUNT_MODEL.count(old) == 1, old
    return COUNT_MODEL.replace(old, new)


WRONG_ANSWERS = {
    "ex1-conv-params": [
        (
            "forgets the biases",
            "def conv_params(kh, kw, c_in, filters, use_bias=True):\n"
            "    return kh * kw * c_in * filters\n",
        ),
        (
            "ignores use_bias: always adds the biases",
            "def conv_params(kh, kw, c_in, filters, use_bias=True):\n"
            "    return kh * kw * c_in * filters + filters\n",
        ),
        (
            "one bias per input channel instead of one per filter",
            "def conv_params(kh, kw, c_in, filters, use_bias=True):\n"
            "    return kh * kw * c_in * filters + (c_in if use_bias else 0)\n",
        ),
        (
            "forgets the input channels: a 2-D m1×m2 kernel per filter",
            "def conv_params(kh, kw, c_in, filters, use_bias=True):\n"
            "    return kh * kw * filters + (filters if use_bias else 0)\n",
        ),
    ],
    "ex2-dense-params": [
        (
            "forgets the biases",
            "def dense_params(n_in, n_out, use_bias=True):\n    return n_in * n_out\n",
        ),
        (
            "one bias per input instead of one per unit",
            "def dense_params(n_in, n_out, use_bias=True):\n"
            "    return n_in * n_out + (n_in if use_bias else 0)\n",
        ),
        (
            "ignores use_bias: always adds the biases",
            "def dense_params(n_in, n_out, use_bias=True):\n    return n_in * n_out + n_out\n",
        ),
    ],
    "ex3-batchnorm-params": [
        (
            "counts all four vectors as trainable",
            "def batchnorm_params(channels):\n    return 4 * channels, 0\n",
        ),
        (
            "counts batch normalisation as 2 per channel (forgets the moving statistics)",
            "def batchnorm_params(channels):\n    return 2 * channels, 0\n",
        ),
        (
            "returns the total instead of the (trainable, non_trainable) pair",
            "def batchnorm_params(channels):\n    return 4 * channels\n",
        ),
        (
            "one number per channel for each kind",
            "def batchnorm_params(channels):\n    return channels, channels\n",
        ),
    ],
    "ex4-output-size": [
        (
            "forgets the + 1 of the valid formula",
            "def output_size(n, k, stride=1, padding='valid'):\n"
            "    if padding == 'same':\n"
            "        return -(-n // stride)\n"
            "    return (n - k) // stride\n",
        ),
        (
            "rounds up instead of down with valid padding (an 11×11 map pools to 6)",
            "def output_size(n, k, stride=1, padding='valid'):\n"
            "    if padding == 'same':\n"
            "        return -(-n // stride)\n"
            "    return -(-(n - k) // stride) + 1\n",
        ),
        (
            "same padding ignores the stride",
            "def output_size(n, k, stride=1, padding='valid'):\n"
            "    if padding == 'same':\n"
            "        return n\n"
            "    return (n - k) // stride + 1\n",
        ),
        (
            "float division: 11 pooled by 2 gives 5.5",
            "def output_size(n, k, stride=1, padding='valid'):\n"
            "    if padding == 'same':\n"
            "        return n / stride\n"
            "    return (n - k) / stride + 1\n",
        ),
    ],
    "ex5-predict": [
        (
            "forgets the biases of each Dense layer",
            "MNIST_DENSE_1 = 1250 * 100\nSAME_DENSE_1 = 2450 * 100\nDEEP_DENSE_1 = 128 * 512\n",
        ),
        (
            "rounds the 11×11 pooling up to 6×6",
            "MNIST_DENSE_1 = 6 * 6 * 50 * 100 + 100\n"
            "SAME_DENSE_1 = 7 * 7 * 50 * 100 + 100\n"
            "DEEP_DENSE_1 = 128 * 512 + 512\n",
        ),
        (
            "thinks padding changes nothing, and flattens 4×4×128 past the global pooling",
            "MNIST_DENSE_1 = 1250 * 100 + 100\n"
            "SAME_DENSE_1 = 1250 * 100 + 100\n"
            "DEEP_DENSE_1 = 4 * 4 * 128 * 512 + 512\n",
        ),
        (
            "gives the whole models' totals",
            "MNIST_DENSE_1 = 137_660\nSAME_DENSE_1 = 257_660\nDEEP_DENSE_1 = 359_978\n",
        ),
    ],
    "ex6-count-layer": [
        (
            "counts all four batch-normalisation vectors as trainable",
            _layer_variant(
                'trainable = channels * (int(config["center"]) + int(config["scale"]))\n'
                "        non_trainable = 2 * channels",
                "trainable, non_trainable = 4 * channels, 0",
            ),
        ),
        (
            "counts batch normalisation as 2 per channel",
            _layer_variant("non_trainable = 2 * channels", "non_trainable = 0"),
        ),
        (
            "counts parameters for pooling: one per channel",
            _layer_variant(
                '"InputLayer", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D",\n'
                '        "GlobalAveragePooling2D", ',
                '"InputLayer", ',
            ).replace(
                '    else:\n        raise ValueError(f"cannot count a {kind} layer")',
                '    elif "Pooling" in kind:\n'
                "        trainable, non_trainable = input_shape[-1], 0\n"
                '    else:\n        raise ValueError(f"cannot count a {kind} layer")',
            ),
        ),
        (
            "uses C_out (filters) instead of C_in for the kernel",
            _layer_variant(
                'c_in = input_shape[-1] // config["groups"]', 'c_in = config["filters"]'
            ),
        ),
        (
            "ignores groups",
            _layer_variant('c_in = input_shape[-1] // config["groups"]', "c_in = input_shape[-1]"),
        ),
        (
            "ignores use_bias",
            _layer_variant('        if config["use_bias"]:\n', "        if True:\n"),
        ),
        (
            "Dense flattens its whole input instead of acting on the last axis",
            _layer_variant(
                'trainable = input_shape[-1] * units + (units if config["use_bias"] else 0)',
                "trainable = int(np.prod(input_shape[1:])) * units + units",
            ),
        ),
        (
            "counts a frozen layer's parameters as trainable",
            _layer_variant(
                "    if not layer.trainable:\n        return 0, trainable + non_trainable\n", ""
            ),
        ),
        (
            "asks Keras: layer.count_params() (fails on a layer that is not built)",
            "def count_layer_params(layer, input_shape):\n"
            "    total = layer.count_params()\n"
            "    return total, 0\n",
        ),
        (
            "returns 0 for layer types it does not know instead of raising",
            _layer_variant('raise ValueError(f"cannot count a {kind} layer")', "return 0, 0"),
        ),
    ],
    "ex7-count-model": [
        (
            "counts non-trainable parameters as trainable",
            _model_variant(
                "return trainable + non_trainable, trainable, non_trainable",
                "return trainable + non_trainable, trainable + non_trainable, 0",
            ),
        ),
        (
            "leaves out the non-trainable parameters",
            _model_variant(
                "return trainable + non_trainable, trainable, non_trainable",
                "return trainable, trainable, 0",
            ),
        ),
        (
            "asks Keras: model.count_params() and the weight lists",
            "def count_model_params(model):\n"
            "    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)\n"
            "    return model.count_params(), trainable, model.count_params() - trainable\n",
        ),
        (
            "gives every layer the model's input shape",
            _model_variant("        inputs = layer.input\n", "        inputs = model.inputs[0]\n"),
        ),
        (
            "does not handle layers with several inputs (ResNet's Add)",
            _model_variant(
                "        if isinstance(inputs, (list, tuple)):\n"
                "            shape = [tuple(tensor.shape) for tensor in inputs]\n"
                "        else:\n"
                "            shape = tuple(inputs.shape)\n",
                "        shape = tuple(inputs.shape)\n",
            ),
        ),
        (
            "counts only Conv2D and Dense layers",
            _model_variant(
                "        if isinstance(layer, keras.layers.InputLayer):\n",
                "        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):\n",
            ),
        ),
    ],
}
