"""Plausible wrong answers for lesson 04 (going deeper, regularized).

Each entry replaces the whole answer cell; the exercise's test cells must then fail.
"""

WRONG_ANSWERS = {
    "ex1-block-shape": [
        (
            "pooling rounds up (ceil) instead of down",
            "def output_shape_after_block(input_shape, filters):\n"
            "    height, width, _ = input_shape\n"
            "    return ((height + 1) // 2, (width + 1) // 2, filters)\n",
        ),
        (
            "'valid' convolutions: each 3×3 convolution shrinks the side by 2",
            "def output_shape_after_block(input_shape, filters):\n"
            "    height, width, _ = input_shape\n"
            "    return ((height - 4) // 2, (width - 4) // 2, filters)\n",
        ),
        (
            "keeps the input channels instead of the filters",
            "def output_shape_after_block(input_shape, filters):\n"
            "    height, width, channels = input_shape\n"
            "    return (height // 2, width // 2, channels)\n",
        ),
        (
            "forgets the pooling",
            "def output_shape_after_block(input_shape, filters):\n"
            "    height, width, _ = input_shape\n"
            "    return (height, width, filters)\n",
        ),
    ],
    "ex2-build-deep-cnn": [
        (
            "'valid' padding instead of 'same'",
            "def build_deep_cnn(input_shape, num_classes, batch_norm=True, dropout=0.2):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            model.add(L.Conv2D(filters, (3, 3), activation='relu'))\n"
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(512, activation='relu'))\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(num_classes, activation='softmax'))\n"
            "    return model\n",
        ),
        (
            "BatchNormalization before each convolution instead of after",
            "def build_deep_cnn(input_shape, num_classes, batch_norm=True, dropout=0.2):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "            model.add(L.Conv2D(filters, (3, 3), activation='relu', padding='same'))\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(512, activation='relu'))\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(num_classes, activation='softmax'))\n"
            "    return model\n",
        ),
        (
            "no Dropout after the blocks (only in the dense head)",
            "def build_deep_cnn(input_shape, num_classes, batch_norm=True, dropout=0.2):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            model.add(L.Conv2D(filters, (3, 3), activation='relu', padding='same'))\n"
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(512, activation='relu'))\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(num_classes, activation='softmax'))\n"
            "    return model\n",
        ),
        (
            "GlobalAveragePooling2D instead of GlobalMaxPooling2D",
            "def build_deep_cnn(input_shape, num_classes, batch_norm=True, dropout=0.2):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            model.add(L.Conv2D(filters, (3, 3), activation='relu', padding='same'))\n"
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalAveragePooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(512, activation='relu'))\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(num_classes, activation='softmax'))\n"
            "    return model\n",
        ),
        (
            "Dense(256) instead of Dense(512)",
            "def build_deep_cnn(input_shape, num_classes, batch_norm=True, dropout=0.2):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            model.add(L.Conv2D(filters, (3, 3), activation='relu', padding='same'))\n"
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(256, activation='relu'))\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(num_classes, activation='softmax'))\n"
            "    return model\n",
        ),
        (
            "ignores the dropout argument: always Dropout(0.2) (caught by the hidden tests)",
            "def build_deep_cnn(input_shape, num_classes, batch_norm=True, dropout=0.2):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            model.add(L.Conv2D(filters, (3, 3), activation='relu', padding='same'))\n"
            "            if batch_norm:\n"
            "                model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(0.2))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(0.2))\n"
            "    model.add(L.Dense(512, activation='relu'))\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(0.2))\n"
            "    model.add(L.Dense(num_classes, activation='softmax'))\n"
            "    return model\n",
        ),
        (
            "ignores batch_norm=False: the unregularized twin keeps its BN layers",
            "def build_deep_cnn(input_shape, num_classes, batch_norm=True, dropout=0.2):\n"
            "    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            model.add(L.Conv2D(filters, (3, 3), activation='relu', padding='same'))\n"
            "            model.add(L.BatchNormalization())\n"
            "        model.add(L.MaxPool2D(pool_size=(2, 2)))\n"
            "        if dropout:\n"
            "            model.add(L.Dropout(dropout))\n"
            "    model.add(L.GlobalMaxPooling2D())\n"
            "    model.add(L.Flatten())\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(512, activation='relu'))\n"
            "    if dropout:\n"
            "        model.add(L.Dropout(dropout))\n"
            "    model.add(L.Dense(num_classes, activation='softmax'))\n"
            "    return model\n",
        ),
    ],
    "ex3-param-counts": [
        (
            "counts all 4 BN numbers per channel as non-trainable",
            "def deep_cnn_param_counts(input_channels, num_classes, batch_norm=True):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = input_channels\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * filters + filters\n"
            "            if batch_norm:\n"
            "                non_trainable += 4 * filters\n"
            "            channels = filters\n"
            "    trainable += 128 * 512 + 512 + 512 * num_classes + num_classes\n"
            "    return trainable, non_trainable\n",
        ),
        (
            "counts BN as trainable entirely (no non-trainable parameters)",
            "def deep_cnn_param_counts(input_channels, num_classes, batch_norm=True):\n"
            "    trainable = 0\n"
            "    channels = input_channels\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * filters + filters\n"
            "            if batch_norm:\n"
            "                trainable += 4 * filters\n"
            "            channels = filters\n"
            "    trainable += 128 * 512 + 512 + 512 * num_classes + num_classes\n"
            "    return trainable, 0\n",
        ),
        (
            "forgets the biases of the convolutions and dense layers",
            "def deep_cnn_param_counts(input_channels, num_classes, batch_norm=True):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = input_channels\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * filters\n"
            "            if batch_norm:\n"
            "                trainable += 2 * filters\n"
            "                non_trainable += 2 * filters\n"
            "            channels = filters\n"
            "    trainable += 128 * 512 + 512 * num_classes\n"
            "    return trainable, non_trainable\n",
        ),
        (
            "one BN layer per block instead of one per convolution",
            "def deep_cnn_param_counts(input_channels, num_classes, batch_norm=True):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = input_channels\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * filters + filters\n"
            "            channels = filters\n"
            "        if batch_norm:\n"
            "            trainable += 2 * filters\n"
            "            non_trainable += 2 * filters\n"
            "    trainable += 128 * 512 + 512 + 512 * num_classes + num_classes\n"
            "    return trainable, non_trainable\n",
        ),
        (
            "ignores the input channels (always 1)",
            "def deep_cnn_param_counts(input_channels, num_classes, batch_norm=True):\n"
            "    trainable = non_trainable = 0\n"
            "    channels = 1\n"
            "    for filters in (32, 64, 128):\n"
            "        for _ in range(2):\n"
            "            trainable += 9 * channels * filters + filters\n"
            "            if batch_norm:\n"
            "                trainable += 2 * filters\n"
            "                non_trainable += 2 * filters\n"
            "            channels = filters\n"
            "    trainable += 128 * 512 + 512 + 512 * num_classes + num_classes\n"
            "    return trainable, non_trainable\n",
        ),
    ],
    "ex4-generalization-gap": [
        (
            "wrong sign: validation minus training accuracy",
            "def generalization_gap(history, epoch='best'):\n"
            "    logs = getattr(history, 'history', history)\n"
            "    if epoch == 'best':\n"
            "        i = int(np.argmax(logs['val_accuracy']))\n"
            "    elif epoch == 'final':\n"
            "        i = -1\n"
            "    else:\n"
            "        raise ValueError(epoch)\n"
            "    return float(logs['val_accuracy'][i] - logs['accuracy'][i])\n",
        ),
        (
            "always the final epoch",
            "def generalization_gap(history, epoch='best'):\n"
            "    logs = getattr(history, 'history', history)\n"
            "    return float(logs['accuracy'][-1] - logs['val_accuracy'][-1])\n",
        ),
        (
            "best training accuracy minus best validation accuracy (two different epochs)",
            "def generalization_gap(history, epoch='best'):\n"
            "    logs = getattr(history, 'history', history)\n"
            "    if epoch == 'final':\n"
            "        return float(logs['accuracy'][-1] - logs['val_accuracy'][-1])\n"
            "    if epoch != 'best':\n"
            "        raise ValueError(epoch)\n"
            "    return float(max(logs['accuracy']) - max(logs['val_accuracy']))\n",
        ),
        (
            "the last of equal best epochs instead of the first (caught by the hidden tests)",
            "def generalization_gap(history, epoch='best'):\n"
            "    logs = getattr(history, 'history', history)\n"
            "    val = list(logs['val_accuracy'])\n"
            "    if epoch == 'best':\n"
            "        i = len(val) - 1 - int(np.argmax(val[::-1]))\n"
            "    elif epoch == 'final':\n"
            "        i = len(val) - 1\n"
            "    else:\n"
            "        raise ValueError(epoch)\n"
            "    return float(logs['accuracy'][i] - val[i])\n",
        ),
        (
            "accepts only a dict, not a History",
            "def generalization_gap(history, epoch='best'):\n"
            "    if epoch == 'best':\n"
            "        i = int(np.argmax(history['val_accuracy']))\n"
            "    elif epoch == 'final':\n"
            "        i = len(history['val_accuracy']) - 1\n"
            "    else:\n"
            "        raise ValueError(epoch)\n"
            "    return float(history['accuracy'][i] - history['val_accuracy'][i])\n",
        ),
        (
            "no ValueError for an unknown epoch (caught by the hidden tests)",
            "def generalization_gap(history, epoch='best'):\n"
            "    logs = getattr(history, 'history', history)\n"
            "    if epoch == 'final':\n"
            "        i = len(logs['val_accuracy']) - 1\n"
            "    else:\n"
            "        i = int(np.argmax(logs['val_accuracy']))\n"
            "    return float(logs['accuracy'][i] - logs['val_accuracy'][i])\n",
        ),
    ],
    "ex5-augmentation": [
        (
            "flips vertically as well",
            "def make_augmentation(horizontal_flip=True, shift=0.1, rotation=0.05):\n"
            "    layers = [L.RandomFlip('horizontal_and_vertical')] if horizontal_flip else []\n"
            "    layers += [L.RandomTranslation(shift, shift), L.RandomRotation(rotation)]\n"
            "    return keras.Sequential(layers)\n",
        ),
        (
            "always flips, ignoring horizontal_flip=False",
            "def make_augmentation(horizontal_flip=True, shift=0.1, rotation=0.05):\n"
            "    return keras.Sequential([\n"
            "        L.RandomFlip('horizontal'),\n"
            "        L.RandomTranslation(shift, shift),\n"
            "        L.RandomRotation(rotation),\n"
            "    ])\n",
        ),
        (
            "rotation given in degrees instead of a fraction of a turn",
            "def make_augmentation(horizontal_flip=True, shift=0.1, rotation=0.05):\n"
            "    layers = [L.RandomFlip('horizontal')] if horizontal_flip else []\n"
            "    layers += [L.RandomTranslation(shift, shift), L.RandomRotation(rotation * 360)]\n"
            "    return keras.Sequential(layers)\n",
        ),
        (
            "translation only vertical (width factor 0)",
            "def make_augmentation(horizontal_flip=True, shift=0.1, rotation=0.05):\n"
            "    layers = [L.RandomFlip('horizontal')] if horizontal_flip else []\n"
            "    layers += [L.RandomTranslation(shift, 0.0), L.RandomRotation(rotation)]\n"
            "    return keras.Sequential(layers)\n",
        ),
        (
            "returns a list of layers instead of a keras.Sequential",
            "def make_augmentation(horizontal_flip=True, shift=0.1, rotation=0.05):\n"
            "    layers = [L.RandomFlip('horizontal')] if horizontal_flip else []\n"
            "    return layers + [L.RandomTranslation(shift, shift), L.RandomRotation(rotation)]\n",
        ),
    ],
    "ex6-callbacks": [
        (
            "early stopping on val_loss",
            "def make_callbacks(patience=5):\n"
            "    return [\n"
            "        keras.callbacks.EarlyStopping(monitor='val_loss', patience=patience,\n"
            "                                      restore_best_weights=True),\n"
            "        keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor=0.5,\n"
            "                                          patience=max(1, patience // 2)),\n"
            "    ]\n",
        ),
        (
            "does not restore the best weights",
            "def make_callbacks(patience=5):\n"
            "    return [\n"
            "        keras.callbacks.EarlyStopping(monitor='val_accuracy', mode='max',\n"
            "                                      patience=patience),\n"
            "        keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor=0.5,\n"
            "                                          patience=max(1, patience // 2)),\n"
            "    ]\n",
        ),
        (
            "the learning-rate patience equals the early-stopping patience",
            "def make_callbacks(patience=5):\n"
            "    return [\n"
            "        keras.callbacks.EarlyStopping(monitor='val_accuracy', mode='max',\n"
            "                                      patience=patience, restore_best_weights=True),\n"
            "        keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor=0.5,\n"
            "                                          patience=patience),\n"
            "    ]\n",
        ),
        (
            "divides the learning rate by 10 instead of 2",
            "def make_callbacks(patience=5):\n"
            "    return [\n"
            "        keras.callbacks.EarlyStopping(monitor='val_accuracy', mode='max',\n"
            "                                      patience=patience, restore_best_weights=True),\n"
            "        keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor=0.1,\n"
            "                                          patience=max(1, patience // 2)),\n"
            "    ]\n",
        ),
        (
            "patience // 2 without the floor of 1 (caught by the hidden tests: patience=1)",
            "def make_callbacks(patience=5):\n"
            "    return [\n"
            "        keras.callbacks.EarlyStopping(monitor='val_accuracy', mode='max',\n"
            "                                      patience=patience, restore_best_weights=True),\n"
            "        keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor=0.5,\n"
            "                                          patience=patience // 2),\n"
            "    ]\n",
        ),
    ],
}
