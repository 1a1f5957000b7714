"""Plausible wrong answers for lesson 02-counting-parameters; each must make a test cell of its
exercise fail.

Each code string replaces the whole answer cell. It runs in a kernel that has executed the
solution notebook, so ``np``, ``keras`` and the other exercises' correct functions are defined.
Most wrong answers are the solution with one mistake put in.
"""

POOL = """
def pool2d(x, pool_size=(2, 2), strides=None, padding="valid", mode="max"):
    x = np.asarray(x, dtype=float)
    if mode not in ("max", "average"):
        raise ValueError(mode)
    if padding not in ("valid", "same"):
        raise ValueError(padding)
    window = (pool_size, pool_size) if np.ndim(pool_size) == 0 else tuple(pool_size)
    step = window if strides is None else strides
    step = (step, step) if np.ndim(step) == 0 else tuple(step)
    sizes, pads = [], []
    for n, p, s in zip(x.shape[:2], window, step):
        if padding == "valid":
            sizes.append((n - p) // s + 1)
            pads.append((0, 0))
        else:
            out = -(-n // s)
            total = max((out - 1) * s + p - n, 0)
            sizes.append(out)
            pads.append((total // 2, total - total // 2))
    padded = np.pad(x, (*pads, (0, 0)), constant_values=np.nan)
    reduce = np.nanmax if mode == "max" else np.nanmean
    result = np.empty((*sizes, x.shape[2]))
    for i in range(sizes[0]):
        for j in range(sizes[1]):
            top, left = i * step[0], j * step[1]
            result[i, j] = reduce(padded[top : top + window[0], left : left + window[1]], axis=(0, 1))
    return result
"""

SHAPE = """
def layer_output_shape(layer, input_shape):
    kind, config = layer["class_name"], layer["config"]
    if kind == "InputLayer":
        return tuple(config["batch_shape"])
    if kind == "Add":
        return tuple(input_shape[0])
    shape = tuple(input_shape)
    if kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
        window = config["kernel_size"] if kind == "Conv2D" else config["pool_size"]
        dilation = config.get("dilation_rate", (1, 1))
        sides = []
        for n, k, s, d in zip(shape[1:3], window, config["strides"], dilation):
            span = d * (k - 1) + 1
            sides.append(-(-n // s) if config["padding"] == "same" else (n - span) // s + 1)
        channels = config["filters"] if kind == "Conv2D" else shape[3]
        return (shape[0], *sides, channels)
    if kind == "ZeroPadding2D":
        (top, bottom), (left, right) = config["padding"]
        return (shape[0], shape[1] + top + bottom, shape[2] + left + right, shape[3])
    if kind == "Flatten":
        return (shape[0], int(np.prod(shape[1:])))
    if kind in ("GlobalMaxPooling2D", "GlobalAveragePooling2D"):
        return (shape[0], shape[3])
    if kind == "Dense":
        return (*shape[:-1], config["units"])
    if kind in ("BatchNormalization", "Dropout", "Activation", "ReLU"):
        return shape
    raise ValueError(kind)
"""

COUNT_LAYER = """
def count_layer_params(layer, input_shape):
    kind, config = layer["class_name"], layer["config"]
    parameter_free = {
        "InputLayer", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D",
        "GlobalAveragePooling2D", "Flatten", "Dropout", "Activation", "ReLU", "ZeroPadding2D",
        "Add",
    }
    if kind in parameter_free:
        return 0, 0
    if kind == "Conv2D":
        kh, kw = config["kernel_size"]
        seen = input_shape[-1] // config["groups"]
        trainable = kh * kw * seen * config["filters"] + (config["filters"] if config["use_bias"] else 0)
        non_trainable = 0
    elif kind == "Dense":
        units = config["units"]
        trainable = input_shape[-1] * units + (units if config["use_bias"] else 0)
        non_trainable = 0
    elif kind == "BatchNormalization":
        axes = config["axis"] if isinstance(config["axis"], (list, tuple)) else [config["axis"]]
        channels = int(np.prod([input_shape[axis] for axis in axes]))
        trainable = channels * (int(config["center"]) + int(config["scale"]))
        non_trainable = 2 * channels
    else:
        raise ValueError(kind)
    if not config.get("trainable", True):
        return 0, trainable + non_trainable
    return trainable, non_trainable
"""

COUNT_MODEL = """
def count_model_params(model_config):
    trainable = non_trainable = 0
    shape = None
    for layer in model_config["layers"]:
        if layer.get("inbound_nodes"):
            received = layer["inbound_nodes"][0]["args"][0]
            if isinstance(received, list):
                input_shape = [tuple(tensor["config"]["shape"]) for tensor in received]
            else:
                input_shape = tuple(received["config"]["shape"])
        else:
            input_shape = shape
        t, n = count_layer_params(layer, input_shape)
        trainable += t
        non_trainable += n
        shape = layer_output_shape(layer, input_shape)
    return trainable + non_trainable, trainable, non_trainable
"""

FIELD = """
def receptive_field(layers):
    sizes, jumps = [1, 1], [1, 1]
    unchanged = {"InputLayer", "ZeroPadding2D", "BatchNormalization", "Activation", "ReLU", "Dropout"}
    for layer in layers:
        kind, config = layer["class_name"], layer["config"]
        if kind in unchanged:
            continue
        if kind not in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
            raise ValueError(kind)
        window = config["kernel_size"] if kind == "Conv2D" else config["pool_size"]
        dilation = config.get("dilation_rate", (1, 1))
        for axis in range(2):
            span = dilation[axis] * (window[axis] - 1) + 1
            sizes[axis] += (span - 1) * jumps[axis]
            jumps[axis] *= config["strides"][axis]
    return tuple(sizes)
"""


def _variant(source, *changes):
    """``source`` with each (old, new) change made; ``old`` must occur exactly once."""
    for old, new in changes:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


WRONG_ANSWERS = {
    "ex1-pool2d": [
        (
            "strides default to 1 instead of the pool size",
            _variant(
                POOL,
                (
                    "step = window if strides is None else strides",
                    "step = 1 if strides is None else strides",
                ),
            ),
        ),
        (
            "'same' pads zeros that take part: they win the max of negatives and count in the mean",
            _variant(
                POOL,
                ("constant_values=np.nan", "constant_values=0.0"),
                ("np.nanmax if mode", "np.max if mode"),
                ("else np.nanmean", "else np.mean"),
            ),
        ),
        (
            "'same' puts the odd extra padding at the top and left",
            _variant(
                POOL,
                (
                    "pads.append((total // 2, total - total // 2))",
                    "pads.append((total - total // 2, total // 2))",
                ),
            ),
        ),
        (
            "pools across the channels too: one value for all of them",
            _variant(POOL, ("axis=(0, 1))", "axis=None)")),
        ),
        (
            "ignores mode: always max pooling",
            _variant(
                POOL, ('reduce = np.nanmax if mode == "max" else np.nanmean', "reduce = np.nanmax")
            ),
        ),
        (
            "reads a pair pool size as (columns, rows)",
            _variant(POOL, ("else tuple(pool_size)", "else tuple(pool_size)[::-1]")),
        ),
        (
            "'valid' rounds the number of windows up, keeping a partial last window",
            _variant(
                POOL, ("sizes.append((n - p) // s + 1)", "sizes.append(-(-(n - p) // s) + 1)")
            ),
        ),
    ],
    "ex2-output-shape": [
        (
            "ignores the strides of convolutions and poolings",
            _variant(
                SHAPE,
                ("else (n - span) // s + 1)", "else n - span + 1)"),
                ("-(-n // s) if", "n if"),
            ),
        ),
        (
            "ignores dilation: uses the kernel size as the window's span",
            _variant(SHAPE, ("span = d * (k - 1) + 1", "span = k")),
        ),
        (
            "'same' rounds down: n // s",
            _variant(SHAPE, ("-(-n // s) if", "n // s if")),
        ),
        (
            "Flatten multiplies height and width but forgets the channels",
            _variant(SHAPE, ("int(np.prod(shape[1:]))", "int(np.prod(shape[1:3]))")),
        ),
        (
            "Dense always returns (None, units), even on a 4-D input",
            _variant(
                SHAPE,
                ('return (*shape[:-1], config["units"])', 'return (shape[0], config["units"])'),
            ),
        ),
        (
            "ZeroPadding2D adds the padding once per axis, not before and after",
            _variant(
                SHAPE,
                (
                    "shape[1] + top + bottom, shape[2] + left + right",
                    "shape[1] + top, shape[2] + left",
                ),
            ),
        ),
        (
            "an unknown layer keeps its input shape instead of raising ValueError",
            _variant(SHAPE, ("    raise ValueError(kind)\n", "    return shape\n")),
        ),
    ],
    "ex3-count-layer": [
        (
            "forgets the biases of Conv2D",
            _variant(COUNT_LAYER, ('+ (config["filters"] if config["use_bias"] else 0)', "")),
        ),
        (
            "ignores groups: every filter sees every channel",
            _variant(
                COUNT_LAYER,
                ('seen = input_shape[-1] // config["groups"]', "seen = input_shape[-1]"),
            ),
        ),
        (
            "Dense on a 4-D input counts one weight per input number (H·W·C·units)",
            _variant(
                COUNT_LAYER,
                (
                    "trainable = input_shape[-1] * units",
                    "trainable = int(np.prod(input_shape[1:])) * units",
                ),
            ),
        ),
        (
            "batch normalization: all four vectors trainable",
            _variant(
                COUNT_LAYER,
                (
                    'trainable = channels * (int(config["center"]) + int(config["scale"]))\n'
                    "        non_trainable = 2 * channels",
                    "trainable = 4 * channels\n        non_trainable = 0",
                ),
            ),
        ),
        (
            "batch normalization always on the last axis",
            _variant(
                COUNT_LAYER,
                (
                    "channels = int(np.prod([input_shape[axis] for axis in axes]))",
                    "channels = input_shape[-1]",
                ),
            ),
        ),
        (
            "a frozen layer still counted as trainable",
            _variant(COUNT_LAYER, ('if not config.get("trainable", True):', "if False:")),
        ),
        (
            "an unknown layer counts (0, 0) instead of raising ValueError",
            _variant(COUNT_LAYER, ("        raise ValueError(kind)\n", "        return 0, 0\n")),
        ),
    ],
    "ex4-count-model": [
        (
            "reads the build_config shapes that the tests remove",
            """
def count_model_params(model_config):
    trainable = non_trainable = 0
    for layer in model_config["layers"]:
        if layer["class_name"] == "InputLayer":
            continue
        t, n = count_layer_params(layer, tuple(layer["build_config"]["input_shape"]))
        trainable += t
        non_trainable += n
    return trainable + non_trainable, trainable, non_trainable
""",
        ),
        (
            "Sequential: gives every layer the model's input shape instead of following it",
            _variant(
                COUNT_MODEL,
                (
                    "        shape = layer_output_shape(layer, input_shape)\n",
                    "        shape = shape or layer_output_shape(layer, input_shape)\n",
                ),
            ),
        ),
        (
            "counts every parameter as trainable",
            _variant(
                COUNT_MODEL,
                (
                    "        trainable += t\n        non_trainable += n\n",
                    "        trainable += t + n\n",
                ),
            ),
        ),
        (
            "functional models followed as if they were a chain (ignores inbound_nodes)",
            _variant(COUNT_MODEL, ('if layer.get("inbound_nodes"):', "if False:")),
        ),
        (
            "returns (trainable, non_trainable) without the total",
            _variant(
                COUNT_MODEL,
                (
                    "return trainable + non_trainable, trainable, non_trainable",
                    "return trainable, non_trainable",
                ),
            ),
        ),
    ],
    "ex5-receptive-field": [
        (
            "ignores strides: each window adds k - 1 whatever the layers below",
            _variant(FIELD, ("sizes[axis] += (span - 1) * jumps[axis]", "sizes[axis] += span - 1")),
        ),
        (
            "multiplies the receptive fields of the layers",
            _variant(FIELD, ("sizes[axis] += (span - 1) * jumps[axis]", "sizes[axis] *= span")),
        ),
        (
            "ignores dilation",
            _variant(
                FIELD, ("span = dilation[axis] * (window[axis] - 1) + 1", "span = window[axis]")
            ),
        ),
        (
            "pooling layers change nothing",
            _variant(
                FIELD,
                ('"ReLU", "Dropout"}', '"ReLU", "Dropout", "MaxPooling2D", "AveragePooling2D"}'),
            ),
        ),
        (
            "each window adds k instead of k - 1",
            _variant(
                FIELD,
                ("sizes[axis] += (span - 1) * jumps[axis]", "sizes[axis] += span * jumps[axis]"),
            ),
        ),
        (
            "square only: uses the rows for both axes",
            _variant(FIELD, ("    return tuple(sizes)", "    return (sizes[0], sizes[0])")),
        ),
        (
            "Flatten, Dense and global pooling silently change nothing",
            _variant(FIELD, ("            raise ValueError(kind)\n", "            continue\n")),
        ),
    ],
}
