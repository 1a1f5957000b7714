"""Plausible wrong answers for lesson 04 (going deeper, regularized).

Each entry replaces the whole answer cell; the exercise's test cells must then fail.
"""

WRONG_ANSWERS = {
    "ex1-block-shape": [
        (
            "pooling rounds up (ceil) instead of down",
            'def output_shape_after_block(input_shape, filters, kernel_size=3, padding="same", pool_size=2):\n'
            '    if padding not in ("same", "valid"):\n'
            "        raise ValueError(padding)\n"
            "    height, width, channels = input_shape\n"
            "    out = []\n"
            "    for n in (height, width):\n"
            '        if padding == "valid":\n'
            "            n = n - 2 * (kernel_size - 1)\n"
            "        n = -(-n // pool_size)\n"
            "        if n < 1:\n"
            "            raise ValueError(n)\n"
            "        out.append(n)\n"
            "    return (out[0], out[1], filters)\n",
        ),
        (
            "always 'valid' convolutions: each one shrinks the side by k - 1",
            'def output_shape_after_block(input_shape, filters, kernel_size=3, padding="same", pool_size=2):\n'
            '    if padding not in ("same", "valid"):\n'
            "        raise ValueError(padding)\n"
            "    height, width, channels = input_shape\n"
            "    out = []\n"
            "    for n in (height, width):\n"
            "        n = (n - 2 * (kernel_size - 1)) // pool_size\n"
            "        if n < 1:\n"
            "            raise ValueError(n)\n"
            "        out.append(n)\n"
            "    return (out[0], out[1], filters)\n",
        ),
        (
            "keeps the input channels instead of the filters",
            'def output_shape_after_block(input_shape, filters, kernel_size=3, padding="same", pool_size=2):\n'
            '    if padding not in ("same", "valid"):\n'
            "        raise ValueError(padding)\n"
            "    height, width, channels = input_shape\n"
            "    out = []\n"
            "    for n in (height, width):\n"
            '        if padding == "valid":\n'
            "            n = n - 2 * (kernel_size - 1)\n"
            "        n = n // pool_size\n"
            "        if n < 1:\n"
            "            raise ValueError(n)\n"
            "        out.append(n)\n"
            "    return (out[0], out[1], channels)\n",
        ),
        (
            "forgets the pooling",
            'def output_shape_after_block(input_shape, filters, kernel_size=3, padding="same", pool_size=2):\n'
            '    if padding not in ("same", "valid"):\n'
            "        raise ValueError(padding)\n"
            "    height, width, channels = input_shape\n"
            "    out = []\n"
            "    for n in (height, width):\n"
            '        if padding == "valid":\n'
            "            n = n - 2 * (kernel_size - 1)\n"
            "        if n < 1:\n"
            "            raise ValueError(n)\n"
            "        out.append(n)\n"
            "    return (out[0], out[1], filters)\n",
        ),
        (
            "ignores pool_size: always halves",
            'def output_shape_after_block(input_shape, filters, kernel_size=3, padding="same", pool_size=2):\n'
            '    if padding not in ("same", "valid"):\n'
            "        raise ValueError(padding)\n"
            "    height, width, channels = input_shape\n"
            "    out = []\n"
            "    for n in (height, width):\n"
            '        if padding == "valid":\n'
            "            n = n - 2 * (kernel_size - 1)\n"
            "        n = n // 2\n"
            "        if n < 1:\n"
            "            raise ValueError(n)\n"
            "        out.append(n)\n"
            "    return (out[0], out[1], filters)\n",
        ),
        (
            "'same' pads (k - 1) // 2 per side: even kernels shrink the map",
            'def output_shape_after_block(input_shape, filters, kernel_size=3, padding="same", pool_size=2):\n'
            '    if padding not in ("same", "valid"):\n'
            "        raise ValueError(padding)\n"
            "    height, width, channels = input_shape\n"
            "    out = []\n"
            "    for n in (height, width):\n"
            '        pad = 2 * ((kernel_size - 1) // 2) if padding == "same" else 0\n'
            "        n = n + 2 * (pad - kernel_size + 1)\n"
            "        n = n // pool_size\n"
            "        if n < 1:\n"
            "            raise ValueError(n)\n"
            "        out.append(n)\n"
            "    return (out[0], out[1], filters)\n",
        ),
        (
            "never raises: returns sizes of 0 or less",
            'def output_shape_after_block(input_shape, filters, kernel_size=3, padding="same", pool_size=2):\n'
            '    if padding not in ("same", "valid"):\n'
            "        raise ValueError(padding)\n"
            "    height, width, channels = input_shape\n"
            "    out = []\n"
            "    for n in (height, width):\n"
            '        if padding == "valid":\n'
            "            n = n - 2 * (kernel_size - 1)\n"
            "        n = n // pool_size\n"
            "        out.append(n)\n"
            "    return (out[0], out[1], filters)\n",
        ),
    ],
    "ex2-build-deep-cnn": [
        (
            "'valid' padding instead of 'same'",
            "def build_deep_cnn(\n"
            "    input_shape, num_classes, batch_norm=True, dropout=0.2, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            '            model.add(L.Conv2D(width, (3, 3), activation="relu"))\n'
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(dense_units, activation="relu"))\n'
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(num_classes, activation="softmax"))\n'
            "    return model\n",
        ),
        (
            "BatchNormalization before each convolution instead of after",
            "def build_deep_cnn(\n"
            "    input_shape, num_classes, batch_norm=True, dropout=0.2, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            '            model.add(L.Conv2D(width, (3, 3), activation="relu", padding="same"))\n'
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(dense_units, activation="relu"))\n'
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(num_classes, activation="softmax"))\n'
            "    return model\n",
        ),
        (
            "no Dropout after the blocks (only in the dense head)",
            "def build_deep_cnn(\n"
            "    input_shape, num_classes, batch_norm=True, dropout=0.2, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            '            model.add(L.Conv2D(width, (3, 3), activation="relu", padding="same"))\n'
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(dense_units, activation="relu"))\n'
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(num_classes, activation="softmax"))\n'
            "    return model\n",
        ),
        (
            "GlobalAveragePooling2D instead of GlobalMaxPooling2D",
            "def build_deep_cnn(\n"
            "    input_shape, num_classes, batch_norm=True, dropout=0.2, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            '            model.add(L.Conv2D(width, (3, 3), activation="relu", padding="same"))\n'
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalAveragePooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(dense_units, activation="relu"))\n'
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(num_classes, activation="softmax"))\n'
            "    return model\n",
        ),
        (
            "ignores dense_units: always Dense(512)",
            "def build_deep_cnn(\n"
            "    input_shape, num_classes, batch_norm=True, dropout=0.2, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            '            model.add(L.Conv2D(width, (3, 3), activation="relu", padding="same"))\n'
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(512, activation="relu"))\n'
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(num_classes, activation="softmax"))\n'
            "    return model\n",
        ),
        (
            "ignores the dropout rate: always Dropout(0.2)",
            "def build_deep_cnn(\n"
            "    input_shape, num_classes, batch_norm=True, dropout=0.2, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            '            model.add(L.Conv2D(width, (3, 3), activation="relu", padding="same"))\n'
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(0.2))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(0.2))\n"
            '    model.add(L.Dense(dense_units, activation="relu"))\n'
            "    if dropout:\n"
            "        model.add(L.Dropout(0.2))\n"
            '    model.add(L.Dense(num_classes, activation="softmax"))\n'
            "    return model\n",
        ),
        (
            "ignores batch_norm=False: the unregularized twin keeps its BN layers",
            "def build_deep_cnn(\n"
            "    input_shape, num_classes, batch_norm=True, dropout=0.2, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            '            model.add(L.Conv2D(width, (3, 3), activation="relu", padding="same"))\n'
            "            model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(dense_units, activation="relu"))\n'
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(num_classes, activation="softmax"))\n'
            "    return model\n",
        ),
        (
            "ignores filters: always 32, 64 and 128",
            "def build_deep_cnn(\n"
            "    input_shape, num_classes, batch_norm=True, dropout=0.2, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for width in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            '            model.add(L.Conv2D(width, (3, 3), activation="relu", padding="same"))\n'
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(dense_units, activation="relu"))\n'
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            '    model.add(L.Dense(num_classes, activation="softmax"))\n'
            "    return model\n",
        ),
    ],
    "ex3-param-counts": [
        (
            "counts all 4 BN numbers per channel as non-trainable",
            "def deep_cnn_param_counts(\n"
            "    input_channels, num_classes, batch_norm=True, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = input_channels\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * width + width\n"
            "            if batch_norm:\n"
            "                non_trainable += 4 * width\n"
            "            channels = width\n"
            "\n"
            "    trainable += channels * dense_units + dense_units + dense_units * num_classes + num_classes\n"
            "    return trainable, non_trainable\n",
        ),
        (
            "counts BN as trainable entirely (no non-trainable parameters)",
            "def deep_cnn_param_counts(\n"
            "    input_channels, num_classes, batch_norm=True, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = input_channels\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * width + width\n"
            "            if batch_norm:\n"
            "                trainable += 4 * width\n"
            "            channels = width\n"
            "\n"
            "    trainable += channels * dense_units + dense_units + dense_units * num_classes + num_classes\n"
            "    return trainable, non_trainable\n",
        ),
        (
            "forgets the biases of the convolutions and dense layers",
            "def deep_cnn_param_counts(\n"
            "    input_channels, num_classes, batch_norm=True, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = input_channels\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * width\n"
            "            if batch_norm:\n"
            "                trainable += 2 * width\n"
            "                non_trainable += 2 * width\n"
            "            channels = width\n"
            "\n"
            "    trainable += channels * dense_units + dense_units * num_classes\n"
            "    return trainable, non_trainable\n",
        ),
        (
            "one BN layer per block instead of one per convolution",
            "def deep_cnn_param_counts(\n"
            "    input_channels, num_classes, batch_norm=True, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = input_channels\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * width + width\n"
            "            pass\n"
            "            channels = width\n"
            "        if batch_norm:\n"
            "            trainable += 2 * width\n"
            "            non_trainable += 2 * width\n"
            "    trainable += channels * dense_units + dense_units + dense_units * num_classes + num_classes\n"
            "    return trainable, non_trainable\n",
        ),
        (
            "ignores the input channels (always 1)",
            "def deep_cnn_param_counts(\n"
            "    input_channels, num_classes, batch_norm=True, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = 1\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * width + width\n"
            "            if batch_norm:\n"
            "                trainable += 2 * width\n"
            "                non_trainable += 2 * width\n"
            "            channels = width\n"
            "\n"
            "    trainable += channels * dense_units + dense_units + dense_units * num_classes + num_classes\n"
            "    return trainable, non_trainable\n",
        ),
        (
            "ignores filters and dense_units in the dense part (128 → 512)",
            "def deep_cnn_param_counts(\n"
            "    input_channels, num_classes, batch_norm=True, filters=(32, 64, 128), dense_units=512\n"
            "):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = input_channels\n"
            "    for width in filters:\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * width + width\n"
            "            if batch_norm:\n"
            "                trainable += 2 * width\n"
            "                non_trainable += 2 * width\n"
            "            channels = width\n"
            "\n"
            "    trainable += 128 * 512 + 512 + 512 * num_classes + num_classes\n"
            "    return trainable, non_trainable\n",
        ),
    ],
    "ex4-dropout": [
        (
            "no scaling in training (survivors keep their value)",
            "def dropout_forward(x, rate, training, uniform=None):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    if not 0 <= rate < 1:\n"
            "        raise ValueError(rate)\n"
            "    if uniform is None:\n"
            "        uniform = np.random.default_rng().random(x.shape)\n"
            "    uniform = np.asarray(uniform, dtype=float)\n"
            "    if uniform.shape != x.shape:\n"
            "        raise ValueError(uniform.shape)\n"
            "    if not training:\n"
            "        return x\n"
            "    return np.where(uniform >= rate, x, 0.0)\n",
        ),
        (
            "scales the survivors by (1 - rate) instead of dividing",
            "def dropout_forward(x, rate, training, uniform=None):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    if not 0 <= rate < 1:\n"
            "        raise ValueError(rate)\n"
            "    if uniform is None:\n"
            "        uniform = np.random.default_rng().random(x.shape)\n"
            "    uniform = np.asarray(uniform, dtype=float)\n"
            "    if uniform.shape != x.shape:\n"
            "        raise ValueError(uniform.shape)\n"
            "    if not training:\n"
            "        return x\n"
            "    return np.where(uniform >= rate, x * (1 - rate), 0.0)\n",
        ),
        (
            "keeps the entries where uniform < rate (keeps a fraction rate)",
            "def dropout_forward(x, rate, training, uniform=None):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    if not 0 <= rate < 1:\n"
            "        raise ValueError(rate)\n"
            "    if uniform is None:\n"
            "        uniform = np.random.default_rng().random(x.shape)\n"
            "    uniform = np.asarray(uniform, dtype=float)\n"
            "    if uniform.shape != x.shape:\n"
            "        raise ValueError(uniform.shape)\n"
            "    if not training:\n"
            "        return x\n"
            "    return np.where(uniform < rate, x / (1 - rate), 0.0)\n",
        ),
        (
            "drops at inference too",
            "def dropout_forward(x, rate, training, uniform=None):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    if not 0 <= rate < 1:\n"
            "        raise ValueError(rate)\n"
            "    if uniform is None:\n"
            "        uniform = np.random.default_rng().random(x.shape)\n"
            "    uniform = np.asarray(uniform, dtype=float)\n"
            "    if uniform.shape != x.shape:\n"
            "        raise ValueError(uniform.shape)\n"
            "    return np.where(uniform >= rate, x / (1 - rate), 0.0)\n",
        ),
        (
            "the original dropout: no scaling in training, times (1 - rate) at inference",
            "def dropout_forward(x, rate, training, uniform=None):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    if not 0 <= rate < 1:\n"
            "        raise ValueError(rate)\n"
            "    if uniform is None:\n"
            "        uniform = np.random.default_rng().random(x.shape)\n"
            "    uniform = np.asarray(uniform, dtype=float)\n"
            "    if uniform.shape != x.shape:\n"
            "        raise ValueError(uniform.shape)\n"
            "    if not training:\n"
            "        return x * (1 - rate)\n"
            "    return np.where(uniform >= rate, x, 0.0)\n",
        ),
        (
            "ignores the given uniform array (draws its own)",
            "def dropout_forward(x, rate, training, uniform=None):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    if not 0 <= rate < 1:\n"
            "        raise ValueError(rate)\n"
            "    if not training:\n"
            "        return x\n"
            "    keep = np.random.default_rng().random(x.shape) >= rate\n"
            "    return np.where(keep, x / (1 - rate), 0.0)\n",
        ),
    ],
    "ex5-batch-norm": [
        (
            "statistics over the batch axis only (per position and channel)",
            "def batch_norm_forward(\n"
            "    x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3\n"
            "):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)\n"
            "    moving_mean = np.asarray(moving_mean, dtype=float)\n"
            "    moving_variance = np.asarray(moving_variance, dtype=float)\n"
            "    for p in (gamma, beta, moving_mean, moving_variance):\n"
            "        if p.shape != (x.shape[-1],):\n"
            "            raise ValueError(p.shape)\n"
            "    axes = 0\n"
            "    if training:\n"
            "        mean, variance = x.mean(axis=axes), x.var(axis=axes)\n"
            "    else:\n"
            "        mean, variance = moving_mean, moving_variance\n"
            "    if training:\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * x.mean(axis=axes)\n"
            "        new_variance = momentum * moving_variance + (1 - momentum) * x.var(axis=axes)\n"
            "    else:\n"
            "        new_mean, new_variance = moving_mean, moving_variance\n"
            "    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta\n"
            "    return y, new_mean, new_variance\n",
        ),
        (
            "the unbiased variance (divided by m - 1)",
            "def batch_norm_forward(\n"
            "    x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3\n"
            "):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)\n"
            "    moving_mean = np.asarray(moving_mean, dtype=float)\n"
            "    moving_variance = np.asarray(moving_variance, dtype=float)\n"
            "    for p in (gamma, beta, moving_mean, moving_variance):\n"
            "        if p.shape != (x.shape[-1],):\n"
            "            raise ValueError(p.shape)\n"
            "    axes = tuple(range(x.ndim - 1))\n"
            "    if training:\n"
            "        mean, variance = x.mean(axis=axes), x.var(axis=axes, ddof=1)\n"
            "    else:\n"
            "        mean, variance = moving_mean, moving_variance\n"
            "    if training:\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * x.mean(axis=axes)\n"
            "        new_variance = momentum * moving_variance + (1 - momentum) * x.var(axis=axes, ddof=1)\n"
            "    else:\n"
            "        new_mean, new_variance = moving_mean, moving_variance\n"
            "    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta\n"
            "    return y, new_mean, new_variance\n",
        ),
        (
            "momentum weighs the new value (PyTorch's convention)",
            "def batch_norm_forward(\n"
            "    x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3\n"
            "):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)\n"
            "    moving_mean = np.asarray(moving_mean, dtype=float)\n"
            "    moving_variance = np.asarray(moving_variance, dtype=float)\n"
            "    for p in (gamma, beta, moving_mean, moving_variance):\n"
            "        if p.shape != (x.shape[-1],):\n"
            "            raise ValueError(p.shape)\n"
            "    axes = tuple(range(x.ndim - 1))\n"
            "    if training:\n"
            "        mean, variance = x.mean(axis=axes), x.var(axis=axes)\n"
            "    else:\n"
            "        mean, variance = moving_mean, moving_variance\n"
            "    if training:\n"
            "        new_mean = (1 - momentum) * moving_mean + momentum * x.mean(axis=axes)\n"
            "        new_variance = (1 - momentum) * moving_variance + momentum * x.var(axis=axes)\n"
            "    else:\n"
            "        new_mean, new_variance = moving_mean, moving_variance\n"
            "    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta\n"
            "    return y, new_mean, new_variance\n",
        ),
        (
            "epsilon outside the square root",
            "def batch_norm_forward(\n"
            "    x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3\n"
            "):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)\n"
            "    moving_mean = np.asarray(moving_mean, dtype=float)\n"
            "    moving_variance = np.asarray(moving_variance, dtype=float)\n"
            "    for p in (gamma, beta, moving_mean, moving_variance):\n"
            "        if p.shape != (x.shape[-1],):\n"
            "            raise ValueError(p.shape)\n"
            "    axes = tuple(range(x.ndim - 1))\n"
            "    if training:\n"
            "        mean, variance = x.mean(axis=axes), x.var(axis=axes)\n"
            "    else:\n"
            "        mean, variance = moving_mean, moving_variance\n"
            "    if training:\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * x.mean(axis=axes)\n"
            "        new_variance = momentum * moving_variance + (1 - momentum) * x.var(axis=axes)\n"
            "    else:\n"
            "        new_mean, new_variance = moving_mean, moving_variance\n"
            "    y = gamma * (x - mean) / (np.sqrt(variance) + epsilon) + beta\n"
            "    return y, new_mean, new_variance\n",
        ),
        (
            "inference mode normalizes with the batch's statistics",
            "def batch_norm_forward(\n"
            "    x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3\n"
            "):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)\n"
            "    moving_mean = np.asarray(moving_mean, dtype=float)\n"
            "    moving_variance = np.asarray(moving_variance, dtype=float)\n"
            "    for p in (gamma, beta, moving_mean, moving_variance):\n"
            "        if p.shape != (x.shape[-1],):\n"
            "            raise ValueError(p.shape)\n"
            "    axes = tuple(range(x.ndim - 1))\n"
            "    if True:\n"
            "        mean, variance = x.mean(axis=axes), x.var(axis=axes)\n"
            "    else:\n"
            "        mean, variance = moving_mean, moving_variance\n"
            "    if training:\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * x.mean(axis=axes)\n"
            "        new_variance = momentum * moving_variance + (1 - momentum) * x.var(axis=axes)\n"
            "    else:\n"
            "        new_mean, new_variance = moving_mean, moving_variance\n"
            "    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta\n"
            "    return y, new_mean, new_variance\n",
        ),
        (
            "training mode normalizes with the moving statistics",
            "def batch_norm_forward(\n"
            "    x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3\n"
            "):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)\n"
            "    moving_mean = np.asarray(moving_mean, dtype=float)\n"
            "    moving_variance = np.asarray(moving_variance, dtype=float)\n"
            "    for p in (gamma, beta, moving_mean, moving_variance):\n"
            "        if p.shape != (x.shape[-1],):\n"
            "            raise ValueError(p.shape)\n"
            "    axes = tuple(range(x.ndim - 1))\n"
            "    if False:\n"
            "        mean, variance = x.mean(axis=axes), x.var(axis=axes)\n"
            "    else:\n"
            "        mean, variance = moving_mean, moving_variance\n"
            "    if training:\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * x.mean(axis=axes)\n"
            "        new_variance = momentum * moving_variance + (1 - momentum) * x.var(axis=axes)\n"
            "    else:\n"
            "        new_mean, new_variance = moving_mean, moving_variance\n"
            "    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta\n"
            "    return y, new_mean, new_variance\n",
        ),
        (
            "forgets gamma and beta",
            "def batch_norm_forward(\n"
            "    x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3\n"
            "):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)\n"
            "    moving_mean = np.asarray(moving_mean, dtype=float)\n"
            "    moving_variance = np.asarray(moving_variance, dtype=float)\n"
            "    for p in (gamma, beta, moving_mean, moving_variance):\n"
            "        if p.shape != (x.shape[-1],):\n"
            "            raise ValueError(p.shape)\n"
            "    axes = tuple(range(x.ndim - 1))\n"
            "    if training:\n"
            "        mean, variance = x.mean(axis=axes), x.var(axis=axes)\n"
            "    else:\n"
            "        mean, variance = moving_mean, moving_variance\n"
            "    if training:\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * x.mean(axis=axes)\n"
            "        new_variance = momentum * moving_variance + (1 - momentum) * x.var(axis=axes)\n"
            "    else:\n"
            "        new_mean, new_variance = moving_mean, moving_variance\n"
            "    y = (x - mean) / np.sqrt(variance + epsilon)\n"
            "    return y, new_mean, new_variance\n",
        ),
        (
            "updates the moving statistics in inference mode too",
            "def batch_norm_forward(\n"
            "    x, gamma, beta, moving_mean, moving_variance, training, momentum=0.99, epsilon=1e-3\n"
            "):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    gamma, beta = np.asarray(gamma, dtype=float), np.asarray(beta, dtype=float)\n"
            "    moving_mean = np.asarray(moving_mean, dtype=float)\n"
            "    moving_variance = np.asarray(moving_variance, dtype=float)\n"
            "    for p in (gamma, beta, moving_mean, moving_variance):\n"
            "        if p.shape != (x.shape[-1],):\n"
            "            raise ValueError(p.shape)\n"
            "    axes = tuple(range(x.ndim - 1))\n"
            "    if training:\n"
            "        mean, variance = x.mean(axis=axes), x.var(axis=axes)\n"
            "    else:\n"
            "        mean, variance = moving_mean, moving_variance\n"
            "    if True:\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * x.mean(axis=axes)\n"
            "        new_variance = momentum * moving_variance + (1 - momentum) * x.var(axis=axes)\n"
            "    else:\n"
            "        new_mean, new_variance = moving_mean, moving_variance\n"
            "    y = gamma * (x - mean) / np.sqrt(variance + epsilon) + beta\n"
            "    return y, new_mean, new_variance\n",
        ),
    ],
    "ex6-generalization-gap": [
        (
            "wrong sign: validation minus training accuracy",
            'def generalization_gap(history, epoch="best"):\n'
            '    logs = getattr(history, "history", history)\n'
            '    if epoch == "best":\n'
            '        i = int(np.argmax(logs["val_accuracy"]))\n'
            '    elif epoch == "final":\n'
            "        i = -1\n"
            "    else:\n"
            "        raise ValueError(epoch)\n"
            '    return float(logs["val_accuracy"][i] - logs["accuracy"][i])\n',
        ),
        (
            "always the final epoch",
            'def generalization_gap(history, epoch="best"):\n'
            '    logs = getattr(history, "history", history)\n'
            '    return float(logs["accuracy"][-1] - logs["val_accuracy"][-1])\n',
        ),
        (
            "best training accuracy minus best validation accuracy (two different epochs)",
            'def generalization_gap(history, epoch="best"):\n'
            '    logs = getattr(history, "history", history)\n'
            '    if epoch == "final":\n'
            '        return float(logs["accuracy"][-1] - logs["val_accuracy"][-1])\n'
            '    if epoch != "best":\n'
            "        raise ValueError(epoch)\n"
            '    return float(max(logs["accuracy"]) - max(logs["val_accuracy"]))\n',
        ),
        (
            "the last of equal best epochs instead of the first (caught by the hidden tests)",
            'def generalization_gap(history, epoch="best"):\n'
            '    logs = getattr(history, "history", history)\n'
            '    val = list(logs["val_accuracy"])\n'
            '    if epoch == "best":\n'
            "        i = len(val) - 1 - int(np.argmax(val[::-1]))\n"
            '    elif epoch == "final":\n'
            "        i = len(val) - 1\n"
            "    else:\n"
            "        raise ValueError(epoch)\n"
            '    return float(logs["accuracy"][i] - val[i])\n',
        ),
        (
            "accepts only a dict, not a History",
            'def generalization_gap(history, epoch="best"):\n'
            '    if epoch == "best":\n'
            '        i = int(np.argmax(history["val_accuracy"]))\n'
            '    elif epoch == "final":\n'
            '        i = len(history["val_accuracy"]) - 1\n'
            "    else:\n"
            "        raise ValueError(epoch)\n"
            '    return float(history["accuracy"][i] - history["val_accuracy"][i])\n',
        ),
        (
            "no ValueError for an unknown epoch (caught by the hidden tests)",
            'def generalization_gap(history, epoch="best"):\n'
            '    logs = getattr(history, "history", history)\n'
            '    if epoch == "final":\n'
            '        i = len(logs["val_accuracy"]) - 1\n'
            "    else:\n"
            '        i = int(np.argmax(logs["val_accuracy"]))\n'
            '    return float(logs["accuracy"][i] - logs["val_accuracy"][i])\n',
        ),
    ],
    "ex7-augment": [
        (
            "np.roll: the content wraps around instead of zeros coming in",
            "def augment(images, labels, shifts, flips, flip_labels=None):\n"
            "    images, labels = np.asarray(images), np.asarray(labels)\n"
            "    shifts, flips = np.asarray(shifts, dtype=int), np.asarray(flips, dtype=bool)\n"
            "    n = len(images)\n"
            "    if labels.shape != (n,) or shifts.shape != (n, 2) or flips.shape != (n,):\n"
            '        raise ValueError("one entry per image")\n'
            "    height, width = images.shape[1:3]\n"
            "    new_images, new_labels = np.zeros_like(images), labels.copy()\n"
            "    for i in range(n):\n"
            "        image = images[i]\n"
            "        mirrored_label = labels[i] if flip_labels is None else flip_labels[labels[i]]\n"
            "        if flips[i] and mirrored_label >= 0:\n"
            "            image, new_labels[i] = image[:, ::-1], mirrored_label\n"
            "        dy, dx = shifts[i]\n"
            "        new_images[i] = np.roll(image, (dy, dx), axis=(0, 1))\n"
            "    return new_images, new_labels\n",
        ),
        (
            "mirrors up-down (reverses the rows)",
            "def augment(images, labels, shifts, flips, flip_labels=None):\n"
            "    images, labels = np.asarray(images), np.asarray(labels)\n"
            "    shifts, flips = np.asarray(shifts, dtype=int), np.asarray(flips, dtype=bool)\n"
            "    n = len(images)\n"
            "    if labels.shape != (n,) or shifts.shape != (n, 2) or flips.shape != (n,):\n"
            '        raise ValueError("one entry per image")\n'
            "    height, width = images.shape[1:3]\n"
            "    new_images, new_labels = np.zeros_like(images), labels.copy()\n"
            "    for i in range(n):\n"
            "        image = images[i]\n"
            "        mirrored_label = labels[i] if flip_labels is None else flip_labels[labels[i]]\n"
            "        if flips[i] and mirrored_label >= 0:\n"
            "            image, new_labels[i] = image[::-1], mirrored_label\n"
            "        dy, dx = shifts[i]\n"
            "        rows = slice(max(0, -dy), min(height, height - dy))\n"
            "        cols = slice(max(0, -dx), min(width, width - dx))\n"
            "        if rows.start < rows.stop and cols.start < cols.stop:\n"
            "            new_images[i, rows.start + dy : rows.stop + dy, cols.start + dx : cols.stop + dx] = image[rows, cols]\n"
            "    return new_images, new_labels\n",
        ),
        (
            "mirrors every image flips asks for, even classes that map to -1",
            "def augment(images, labels, shifts, flips, flip_labels=None):\n"
            "    images, labels = np.asarray(images), np.asarray(labels)\n"
            "    shifts, flips = np.asarray(shifts, dtype=int), np.asarray(flips, dtype=bool)\n"
            "    n = len(images)\n"
            "    if labels.shape != (n,) or shifts.shape != (n, 2) or flips.shape != (n,):\n"
            '        raise ValueError("one entry per image")\n'
            "    height, width = images.shape[1:3]\n"
            "    new_images, new_labels = np.zeros_like(images), labels.copy()\n"
            "    for i in range(n):\n"
            "        image = images[i]\n"
            "        mirrored_label = labels[i] if flip_labels is None else flip_labels[labels[i]]\n"
            "        if flips[i]:\n"
            "            image = image[:, ::-1]\n"
            "            if mirrored_label >= 0:\n"
            "                new_labels[i] = mirrored_label\n"
            "        dy, dx = shifts[i]\n"
            "        rows = slice(max(0, -dy), min(height, height - dy))\n"
            "        cols = slice(max(0, -dx), min(width, width - dx))\n"
            "        if rows.start < rows.stop and cols.start < cols.stop:\n"
            "            new_images[i, rows.start + dy : rows.stop + dy, cols.start + dx : cols.stop + dx] = image[rows, cols]\n"
            "    return new_images, new_labels\n",
        ),
        (
            "shifts in the opposite direction (positive dy moves up)",
            "def augment(images, labels, shifts, flips, flip_labels=None):\n"
            "    images, labels = np.asarray(images), np.asarray(labels)\n"
            "    shifts, flips = np.asarray(shifts, dtype=int), np.asarray(flips, dtype=bool)\n"
            "    n = len(images)\n"
            "    if labels.shape != (n,) or shifts.shape != (n, 2) or flips.shape != (n,):\n"
            '        raise ValueError("one entry per image")\n'
            "    height, width = images.shape[1:3]\n"
            "    new_images, new_labels = np.zeros_like(images), labels.copy()\n"
            "    for i in range(n):\n"
            "        image = images[i]\n"
            "        mirrored_label = labels[i] if flip_labels is None else flip_labels[labels[i]]\n"
            "        if flips[i] and mirrored_label >= 0:\n"
            "            image, new_labels[i] = image[:, ::-1], mirrored_label\n"
            "        dy, dx = shifts[i]\n"
            "        dy, dx = -dy, -dx\n"
            "        rows = slice(max(0, -dy), min(height, height - dy))\n"
            "        cols = slice(max(0, -dx), min(width, width - dx))\n"
            "        if rows.start < rows.stop and cols.start < cols.stop:\n"
            "            new_images[i, rows.start + dy : rows.stop + dy, cols.start + dx : cols.stop + dx] = image[rows, cols]\n"
            "    return new_images, new_labels\n",
        ),
        (
            "ignores the label map: a mirrored image keeps its label",
            "def augment(images, labels, shifts, flips, flip_labels=None):\n"
            "    images, labels = np.asarray(images), np.asarray(labels)\n"
            "    shifts, flips = np.asarray(shifts, dtype=int), np.asarray(flips, dtype=bool)\n"
            "    n = len(images)\n"
            "    if labels.shape != (n,) or shifts.shape != (n, 2) or flips.shape != (n,):\n"
            '        raise ValueError("one entry per image")\n'
            "    height, width = images.shape[1:3]\n"
            "    new_images, new_labels = np.zeros_like(images), labels.copy()\n"
            "    for i in range(n):\n"
            "        image = images[i]\n"
            "        mirrored_label = labels[i] if flip_labels is None else flip_labels[labels[i]]\n"
            "        if flips[i] and mirrored_label >= 0:\n"
            "            image = image[:, ::-1]\n"
            "        dy, dx = shifts[i]\n"
            "        rows = slice(max(0, -dy), min(height, height - dy))\n"
            "        cols = slice(max(0, -dx), min(width, width - dx))\n"
            "        if rows.start < rows.stop and cols.start < cols.stop:\n"
            "            new_images[i, rows.start + dy : rows.stop + dy, cols.start + dx : cols.stop + dx] = image[rows, cols]\n"
            "    return new_images, new_labels\n",
        ),
        (
            "shifts first, then mirrors",
            "def augment(images, labels, shifts, flips, flip_labels=None):\n"
            "    images, labels = np.asarray(images), np.asarray(labels)\n"
            "    shifts, flips = np.asarray(shifts, dtype=int), np.asarray(flips, dtype=bool)\n"
            "    n = len(images)\n"
            "    if labels.shape != (n,) or shifts.shape != (n, 2) or flips.shape != (n,):\n"
            '        raise ValueError("one entry per image")\n'
            "    height, width = images.shape[1:3]\n"
            "    new_images, new_labels = np.zeros_like(images), labels.copy()\n"
            "    for i in range(n):\n"
            "        image = images[i]\n"
            "        mirrored_label = labels[i] if flip_labels is None else flip_labels[labels[i]]\n"
            "\n"
            "        dy, dx = shifts[i]\n"
            "        rows = slice(max(0, -dy), min(height, height - dy))\n"
            "        cols = slice(max(0, -dx), min(width, width - dx))\n"
            "        if rows.start < rows.stop and cols.start < cols.stop:\n"
            "            new_images[i, rows.start + dy : rows.stop + dy, cols.start + dx : cols.stop + dx] = image[rows, cols]\n"
            "        if flips[i] and mirrored_label >= 0:\n"
            "            new_images[i], new_labels[i] = new_images[i][:, ::-1], mirrored_label\n"
            "    return new_images, new_labels\n",
        ),
        (
            "mirrors the last axis: reverses the channels of a color image",
            "def augment(images, labels, shifts, flips, flip_labels=None):\n"
            "    images, labels = np.asarray(images), np.asarray(labels)\n"
            "    shifts, flips = np.asarray(shifts, dtype=int), np.asarray(flips, dtype=bool)\n"
            "    n = len(images)\n"
            "    if labels.shape != (n,) or shifts.shape != (n, 2) or flips.shape != (n,):\n"
            '        raise ValueError("one entry per image")\n'
            "    height, width = images.shape[1:3]\n"
            "    new_images, new_labels = np.zeros_like(images), labels.copy()\n"
            "    for i in range(n):\n"
            "        image = images[i]\n"
            "        mirrored_label = labels[i] if flip_labels is None else flip_labels[labels[i]]\n"
            "        if flips[i] and mirrored_label >= 0:\n"
            "            image, new_labels[i] = image[..., ::-1], mirrored_label\n"
            "        dy, dx = shifts[i]\n"
            "        rows = slice(max(0, -dy), min(height, height - dy))\n"
            "        cols = slice(max(0, -dx), min(width, width - dx))\n"
            "        if rows.start < rows.stop and cols.start < cols.stop:\n"
            "            new_images[i, rows.start + dy : rows.stop + dy, cols.start + dx : cols.stop + dx] = image[rows, cols]\n"
            "    return new_images, new_labels\n",
        ),
    ],
    "ex8-early-stopping": [
        (
            "counts the patience from the first epoch, not from the last improvement",
            'def early_stopping(curve, patience, mode="max", min_delta=0.0):\n'
            '    if mode not in ("max", "min"):\n'
            "        raise ValueError(mode)\n"
            "    if patience < 0:\n"
            "        raise ValueError(patience)\n"
            "    values = [float(v) for v in curve]\n"
            "    if not values:\n"
            '        raise ValueError("empty")\n'
            '    sign = 1.0 if mode == "max" else -1.0\n'
            "    best, best_epoch = values[0], 0\n"
            "    for epoch in range(1, len(values)):\n"
            "        if sign * (values[epoch] - best) > abs(min_delta):\n"
            "            best, best_epoch = values[epoch], epoch\n"
            "        elif epoch >= patience:\n"
            "            return epoch + 1, best_epoch\n"
            "    return len(values), best_epoch\n"
            "\n"
            "\n"
            'def patience_needed(curve, mode="max", min_delta=0.0):\n'
            "    _, best_epoch = early_stopping(curve, len(curve), mode, min_delta)\n"
            "    patience = 1\n"
            "    while early_stopping(curve, patience, mode, min_delta)[1] != best_epoch:\n"
            "        patience += 1\n"
            "    return patience\n",
        ),
        (
            "an equal value counts as an improvement",
            'def early_stopping(curve, patience, mode="max", min_delta=0.0):\n'
            '    if mode not in ("max", "min"):\n'
            "        raise ValueError(mode)\n"
            "    if patience < 0:\n"
            "        raise ValueError(patience)\n"
            "    values = [float(v) for v in curve]\n"
            "    if not values:\n"
            '        raise ValueError("empty")\n'
            '    sign = 1.0 if mode == "max" else -1.0\n'
            "    best, best_epoch = values[0], 0\n"
            "    for epoch in range(1, len(values)):\n"
            "        if sign * (values[epoch] - best) >= abs(min_delta):\n"
            "            best, best_epoch = values[epoch], epoch\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            return epoch + 1, best_epoch\n"
            "    return len(values), best_epoch\n"
            "\n"
            "\n"
            'def patience_needed(curve, mode="max", min_delta=0.0):\n'
            "    _, best_epoch = early_stopping(curve, len(curve), mode, min_delta)\n"
            "    patience = 1\n"
            "    while early_stopping(curve, patience, mode, min_delta)[1] != best_epoch:\n"
            "        patience += 1\n"
            "    return patience\n",
        ),
        (
            "ignores min_delta",
            'def early_stopping(curve, patience, mode="max", min_delta=0.0):\n'
            '    if mode not in ("max", "min"):\n'
            "        raise ValueError(mode)\n"
            "    if patience < 0:\n"
            "        raise ValueError(patience)\n"
            "    values = [float(v) for v in curve]\n"
            "    if not values:\n"
            '        raise ValueError("empty")\n'
            '    sign = 1.0 if mode == "max" else -1.0\n'
            "    best, best_epoch = values[0], 0\n"
            "    for epoch in range(1, len(values)):\n"
            "        if sign * (values[epoch] - best) > 0:\n"
            "            best, best_epoch = values[epoch], epoch\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            return epoch + 1, best_epoch\n"
            "    return len(values), best_epoch\n"
            "\n"
            "\n"
            'def patience_needed(curve, mode="max", min_delta=0.0):\n'
            "    _, best_epoch = early_stopping(curve, len(curve), mode, min_delta)\n"
            "    patience = 1\n"
            "    while early_stopping(curve, patience, mode, min_delta)[1] != best_epoch:\n"
            "        patience += 1\n"
            "    return patience\n",
        ),
        (
            "stops one epoch late (more than patience epochs without improvement)",
            'def early_stopping(curve, patience, mode="max", min_delta=0.0):\n'
            '    if mode not in ("max", "min"):\n'
            "        raise ValueError(mode)\n"
            "    if patience < 0:\n"
            "        raise ValueError(patience)\n"
            "    values = [float(v) for v in curve]\n"
            "    if not values:\n"
            '        raise ValueError("empty")\n'
            '    sign = 1.0 if mode == "max" else -1.0\n'
            "    best, best_epoch = values[0], 0\n"
            "    for epoch in range(1, len(values)):\n"
            "        if sign * (values[epoch] - best) > abs(min_delta):\n"
            "            best, best_epoch = values[epoch], epoch\n"
            "        elif epoch - best_epoch > patience:\n"
            "            return epoch + 1, best_epoch\n"
            "    return len(values), best_epoch\n"
            "\n"
            "\n"
            'def patience_needed(curve, mode="max", min_delta=0.0):\n'
            "    _, best_epoch = early_stopping(curve, len(curve), mode, min_delta)\n"
            "    patience = 1\n"
            "    while early_stopping(curve, patience, mode, min_delta)[1] != best_epoch:\n"
            "        patience += 1\n"
            "    return patience\n",
        ),
        (
            "ignores mode: always maximizes",
            'def early_stopping(curve, patience, mode="max", min_delta=0.0):\n'
            '    if mode not in ("max", "min"):\n'
            "        raise ValueError(mode)\n"
            "    if patience < 0:\n"
            "        raise ValueError(patience)\n"
            "    values = [float(v) for v in curve]\n"
            "    if not values:\n"
            '        raise ValueError("empty")\n'
            "    sign = 1.0\n"
            "    best, best_epoch = values[0], 0\n"
            "    for epoch in range(1, len(values)):\n"
            "        if sign * (values[epoch] - best) > abs(min_delta):\n"
            "            best, best_epoch = values[epoch], epoch\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            return epoch + 1, best_epoch\n"
            "    return len(values), best_epoch\n"
            "\n"
            "\n"
            'def patience_needed(curve, mode="max", min_delta=0.0):\n'
            "    _, best_epoch = early_stopping(curve, len(curve), mode, min_delta)\n"
            "    patience = 1\n"
            "    while early_stopping(curve, patience, mode, min_delta)[1] != best_epoch:\n"
            "        patience += 1\n"
            "    return patience\n",
        ),
        (
            "patience_needed is one short: the gap before the best epoch minus 1",
            'def early_stopping(curve, patience, mode="max", min_delta=0.0):\n'
            '    if mode not in ("max", "min"):\n'
            "        raise ValueError(mode)\n"
            "    if patience < 0:\n"
            "        raise ValueError(patience)\n"
            "    values = [float(v) for v in curve]\n"
            "    if not values:\n"
            '        raise ValueError("empty")\n'
            '    sign = 1.0 if mode == "max" else -1.0\n'
            "    best, best_epoch = values[0], 0\n"
            "    for epoch in range(1, len(values)):\n"
            "        if sign * (values[epoch] - best) > abs(min_delta):\n"
            "            best, best_epoch = values[epoch], epoch\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            return epoch + 1, best_epoch\n"
            "    return len(values), best_epoch\n"
            "\n"
            "\n"
            'def patience_needed(curve, mode="max", min_delta=0.0):\n'
            "    _, best_epoch = early_stopping(curve, len(curve), mode, min_delta)\n"
            "    patience = 1\n"
            "    while early_stopping(curve, patience, mode, min_delta)[1] != best_epoch:\n"
            "        patience += 1\n"
            "    return max(1, patience - 1)\n",
        ),
        (
            "patience_needed ignores min_delta and mode",
            'def early_stopping(curve, patience, mode="max", min_delta=0.0):\n'
            '    if mode not in ("max", "min"):\n'
            "        raise ValueError(mode)\n"
            "    if patience < 0:\n"
            "        raise ValueError(patience)\n"
            "    values = [float(v) for v in curve]\n"
            "    if not values:\n"
            '        raise ValueError("empty")\n'
            '    sign = 1.0 if mode == "max" else -1.0\n'
            "    best, best_epoch = values[0], 0\n"
            "    for epoch in range(1, len(values)):\n"
            "        if sign * (values[epoch] - best) > abs(min_delta):\n"
            "            best, best_epoch = values[epoch], epoch\n"
            "        elif epoch - best_epoch >= patience:\n"
            "            return epoch + 1, best_epoch\n"
            "    return len(values), best_epoch\n"
            "\n"
            "\n"
            'def patience_needed(curve, mode="max", min_delta=0.0):\n'
            "    _, best_epoch = early_stopping(curve, len(curve))\n"
            "    patience = 1\n"
            "    while early_stopping(curve, patience)[1] != best_epoch:\n"
            "        patience += 1\n"
            "    return patience\n",
        ),
    ],
}
