"""Plausible wrong answers for lesson 05 (transfer learning); each must fail its exercise's tests."""

WRONG_ANSWERS = {
    "ex1-build-feature-extractor": [
        (
            "forgets to freeze the backbone",
            """
def build_feature_extractor(name, input_shape=(32, 32, 3), weights=None):
    constructors = {"vgg16": keras.applications.VGG16, "resnet50": keras.applications.ResNet50}
    return constructors[name.lower()](include_top=False, weights=weights, input_shape=input_shape)
""",
        ),
        (
            "ignores the name: always VGG16",
            """
def build_feature_extractor(name, input_shape=(32, 32, 3), weights=None):
    backbone = keras.applications.VGG16(
        include_top=False, weights=weights, input_shape=input_shape
    )
    backbone.trainable = False
    return backbone
""",
        ),
        (
            "case-sensitive name: 'ResNet50' is not found",
            """
def build_feature_extractor(name, input_shape=(32, 32, 3), weights=None):
    constructors = {"vgg16": keras.applications.VGG16, "resnet50": keras.applications.ResNet50}
    backbone = constructors[name](include_top=False, weights=weights, input_shape=input_shape)
    backbone.trainable = False
    return backbone
""",
        ),
        (
            "keeps the ImageNet top (include_top=True)",
            """
def build_feature_extractor(name, input_shape=(32, 32, 3), weights=None):
    constructors = {"vgg16": keras.applications.VGG16, "resnet50": keras.applications.ResNet50}
    backbone = constructors[name.lower()](
        include_top=True, weights=weights, input_shape=input_shape
    )
    backbone.trainable = False
    return backbone
""",
        ),
        (
            "ignores the input shape: always 32×32",
            """
def build_feature_extractor(name, input_shape=(32, 32, 3), weights=None):
    constructors = {"vgg16": keras.applications.VGG16, "resnet50": keras.applications.ResNet50}
    if name.lower() not in constructors:
        raise ValueError(name)
    backbone = constructors[name.lower()](
        include_top=False, weights=weights, input_shape=(32, 32, 3)
    )
    backbone.trainable = False
    return backbone
""",
        ),
    ],
    "ex2-residual-block": [
        (
            "always uses the projection, even when the shapes agree",
            """
def residual_block_model(input_shape, filters, stride=1):
    inputs = keras.Input(shape=tuple(input_shape))
    branch = keras.layers.Conv2D(filters, 3, strides=stride, padding="same")(inputs)
    branch = keras.layers.BatchNormalization()(branch)
    branch = keras.layers.ReLU()(branch)
    branch = keras.layers.Conv2D(filters, 3, strides=1, padding="same")(branch)
    branch = keras.layers.BatchNormalization()(branch)
    shortcut = inputs
    if True:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride)(inputs)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    outputs = keras.layers.ReLU()(keras.layers.Add()([branch, shortcut]))
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "puts the stride on the second 3×3 convolution",
            """
def residual_block_model(input_shape, filters, stride=1):
    inputs = keras.Input(shape=tuple(input_shape))
    branch = keras.layers.Conv2D(filters, 3, strides=1, padding="same")(inputs)
    branch = keras.layers.BatchNormalization()(branch)
    branch = keras.layers.ReLU()(branch)
    branch = keras.layers.Conv2D(filters, 3, strides=stride, padding="same")(branch)
    branch = keras.layers.BatchNormalization()(branch)
    shortcut = inputs
    if stride != 1 or input_shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride)(inputs)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    outputs = keras.layers.ReLU()(keras.layers.Add()([branch, shortcut]))
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "applies the ReLU to the branch before the sum, and none after",
            """
def residual_block_model(input_shape, filters, stride=1):
    inputs = keras.Input(shape=tuple(input_shape))
    branch = keras.layers.Conv2D(filters, 3, strides=stride, padding="same")(inputs)
    branch = keras.layers.BatchNormalization()(branch)
    branch = keras.layers.ReLU()(branch)
    branch = keras.layers.Conv2D(filters, 3, strides=1, padding="same")(branch)
    branch = keras.layers.BatchNormalization()(branch)
    shortcut = inputs
    if stride != 1 or input_shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride)(inputs)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    outputs = keras.layers.Add()([keras.layers.ReLU()(branch), shortcut])
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "no batch normalization on the projection",
            """
def residual_block_model(input_shape, filters, stride=1):
    inputs = keras.Input(shape=tuple(input_shape))
    branch = keras.layers.Conv2D(filters, 3, strides=stride, padding="same")(inputs)
    branch = keras.layers.BatchNormalization()(branch)
    branch = keras.layers.ReLU()(branch)
    branch = keras.layers.Conv2D(filters, 3, strides=1, padding="same")(branch)
    branch = keras.layers.BatchNormalization()(branch)
    shortcut = inputs
    if stride != 1 or input_shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride)(inputs)
    outputs = keras.layers.ReLU()(keras.layers.Add()([branch, shortcut]))
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "'valid' padding",
            """
def residual_block_model(input_shape, filters, stride=1):
    inputs = keras.Input(shape=tuple(input_shape))
    branch = keras.layers.Conv2D(filters, 3, strides=stride, padding="valid")(inputs)
    branch = keras.layers.BatchNormalization()(branch)
    branch = keras.layers.ReLU()(branch)
    branch = keras.layers.Conv2D(filters, 3, strides=1, padding="valid")(branch)
    branch = keras.layers.BatchNormalization()(branch)
    shortcut = inputs
    if stride != 1 or input_shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride)(inputs)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    outputs = keras.layers.ReLU()(keras.layers.Add()([branch, shortcut]))
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "ReLU inside the first convolution, before its batch normalization",
            """
def residual_block_model(input_shape, filters, stride=1):
    inputs = keras.Input(shape=tuple(input_shape))
    branch = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(inputs)
    branch = keras.layers.BatchNormalization()(branch)
    branch = keras.layers.Conv2D(filters, 3, strides=1, padding="same")(branch)
    branch = keras.layers.BatchNormalization()(branch)
    shortcut = inputs
    if stride != 1 or input_shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride)(inputs)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    outputs = keras.layers.ReLU()(keras.layers.Add()([branch, shortcut]))
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "no ReLU after the sum",
            """
def residual_block_model(input_shape, filters, stride=1):
    inputs = keras.Input(shape=tuple(input_shape))
    branch = keras.layers.Conv2D(filters, 3, strides=stride, padding="same")(inputs)
    branch = keras.layers.BatchNormalization()(branch)
    branch = keras.layers.ReLU()(branch)
    branch = keras.layers.Conv2D(filters, 3, strides=1, padding="same")(branch)
    branch = keras.layers.BatchNormalization()(branch)
    shortcut = inputs
    if stride != 1 or input_shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=stride)(inputs)
        shortcut = keras.layers.BatchNormalization()(shortcut)
    outputs = keras.layers.Add()([branch, shortcut])
    return keras.Model(inputs, outputs)
""",
        ),
    ],
    "ex3-prepare-images": [
        (
            "scales to [0, 1] before preprocess_input (the classic silent bug)",
            """
def prepare_images(images, name, size=32):
    modules = {
        "vgg16": keras.applications.vgg16,
        "resnet50": keras.applications.resnet50,
        "mobilenet_v2": keras.applications.mobilenet_v2,
    }
    if name not in modules:
        raise ValueError(name)
    rgb = as_rgb(images) / 255.0
    resized = keras.ops.convert_to_numpy(keras.ops.image.resize(rgb, (size, size)))
    return modules[name].preprocess_input(resized).astype("float32")
""",
        ),
        (
            "uses VGG16's preprocess_input whatever the model",
            """
def prepare_images(images, name, size=32):
    if name not in ("vgg16", "resnet50", "mobilenet_v2"):
        raise ValueError(name)
    resized = keras.ops.convert_to_numpy(keras.ops.image.resize(as_rgb(images), (size, size)))
    return keras.applications.vgg16.preprocess_input(resized).astype("float32")
""",
        ),
        (
            "resizes with nearest-neighbor interpolation instead of bilinear",
            """
def prepare_images(images, name, size=32):
    modules = {
        "vgg16": keras.applications.vgg16,
        "resnet50": keras.applications.resnet50,
        "mobilenet_v2": keras.applications.mobilenet_v2,
    }
    if name not in modules:
        raise ValueError(name)
    resized = keras.ops.image.resize(as_rgb(images), (size, size), interpolation="nearest")
    return modules[name].preprocess_input(keras.ops.convert_to_numpy(resized)).astype("float32")
""",
        ),
        (
            "returns float64",
            """
def prepare_images(images, name, size=32):
    modules = {
        "vgg16": keras.applications.vgg16,
        "resnet50": keras.applications.resnet50,
        "mobilenet_v2": keras.applications.mobilenet_v2,
    }
    if name not in modules:
        raise ValueError(name)
    resized = keras.ops.convert_to_numpy(keras.ops.image.resize(as_rgb(images), (size, size)))
    return modules[name].preprocess_input(resized).astype("float64")
""",
        ),
        (
            "forgets that gray images need three channels",
            """
def prepare_images(images, name, size=32):
    modules = {
        "vgg16": keras.applications.vgg16,
        "resnet50": keras.applications.resnet50,
        "mobilenet_v2": keras.applications.mobilenet_v2,
    }
    if name not in modules:
        raise ValueError(name)
    x = np.asarray(images, dtype="float32")
    resized = keras.ops.convert_to_numpy(keras.ops.image.resize(x, (size, size)))
    return modules[name].preprocess_input(resized).astype("float32")
""",
        ),
    ],
    "ex4-build-transfer-model": [
        (
            "Flatten instead of averaging each feature map",
            """
def build_transfer_model(backbone, num_classes):
    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    features = backbone(inputs, training=False)
    pooled = keras.layers.Flatten()(features)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(pooled)
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "the maximum of each feature map instead of its average",
            """
def build_transfer_model(backbone, num_classes):
    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    features = backbone(inputs, training=False)
    pooled = keras.layers.GlobalMaxPooling2D()(features)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(pooled)
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "forgets to freeze the backbone",
            """
def build_transfer_model(backbone, num_classes):
    inputs = keras.Input(shape=backbone.input_shape[1:])
    features = backbone(inputs, training=False)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(pooled)
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "a relu output layer instead of softmax",
            """
def build_transfer_model(backbone, num_classes):
    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    features = backbone(inputs, training=False)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(num_classes, activation="relu")(pooled)
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "an extra hidden dense layer in the head",
            """
def build_transfer_model(backbone, num_classes):
    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    features = backbone(inputs, training=False)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    pooled = keras.layers.Dense(32, activation="relu")(pooled)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(pooled)
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "a fresh copy of the backbone (clone_model) with new random weights",
            """
def build_transfer_model(backbone, num_classes):
    backbone = keras.models.clone_model(backbone)
    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    features = backbone(inputs, training=False)
    pooled = keras.layers.GlobalAveragePooling2D()(features)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(pooled)
    return keras.Model(inputs, outputs)
""",
        ),
    ],
    "ex5-extract-features": [
        (
            "calls the backbone in training mode",
            """
def extract_features(backbone, images, batch_size=64):
    if batch_size < 1:
        raise ValueError(batch_size)
    rows = []
    for start in range(0, len(images), batch_size):
        maps = backbone(images[start : start + batch_size], training=True)
        rows.append(keras.ops.convert_to_numpy(keras.ops.mean(maps, axis=(1, 2))))
    return np.concatenate(rows).astype("float32")
""",
        ),
        (
            "drops the last, smaller batch",
            """
def extract_features(backbone, images, batch_size=64):
    if batch_size < 1:
        raise ValueError(batch_size)
    rows = []
    for start in range(0, len(images) - batch_size + 1, batch_size):
        maps = backbone(images[start : start + batch_size], training=False)
        rows.append(keras.ops.convert_to_numpy(keras.ops.mean(maps, axis=(1, 2))))
    return np.concatenate(rows).astype("float32")
""",
        ),
        (
            "the maximum of each map instead of its average",
            """
def extract_features(backbone, images, batch_size=64):
    if batch_size < 1:
        raise ValueError(batch_size)
    rows = []
    for start in range(0, len(images), batch_size):
        maps = backbone(images[start : start + batch_size], training=False)
        rows.append(keras.ops.convert_to_numpy(keras.ops.max(maps, axis=(1, 2))))
    return np.concatenate(rows).astype("float32")
""",
        ),
        (
            "returns the feature maps without averaging them",
            """
def extract_features(backbone, images, batch_size=64):
    if batch_size < 1:
        raise ValueError(batch_size)
    rows = []
    for start in range(0, len(images), batch_size):
        maps = backbone(images[start : start + batch_size], training=False)
        rows.append(keras.ops.convert_to_numpy(maps))
    return np.concatenate(rows).astype("float32")
""",
        ),
        (
            "ignores batch_size: all the images in one call",
            """
def extract_features(backbone, images, batch_size=64):
    maps = backbone(images, training=False)
    return keras.ops.convert_to_numpy(keras.ops.mean(maps, axis=(1, 2))).astype("float32")
""",
        ),
    ],
    "ex6-unfreeze-top": [
        (
            "leaves BatchNormalization layers trainable",
            """
def unfreeze_top(backbone, n):
    backbone.trainable = True
    for i, layer in enumerate(backbone.layers):
        layer.trainable = i >= len(backbone.layers) - n
    return backbone
""",
        ),
        (
            "slices with layers[-n:], which unfreezes everything when n = 0",
            """
def unfreeze_top(backbone, n):
    backbone.trainable = True
    for layer in backbone.layers[:-n]:
        layer.trainable = False
    for layer in backbone.layers[-n:]:
        layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)
    return backbone
""",
        ),
        (
            "forgets backbone.trainable = True, so the model stays frozen",
            """
def unfreeze_top(backbone, n):
    first = len(backbone.layers) - n
    for i, layer in enumerate(backbone.layers):
        bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = i >= first and not bn
    return backbone
""",
        ),
        (
            "unfreezes the last n layers but never freezes the others",
            """
def unfreeze_top(backbone, n):
    backbone.trainable = True
    for layer in backbone.layers[len(backbone.layers) - n :]:
        layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)
    return backbone
""",
        ),
        (
            "changes the model but does not return it",
            """
def unfreeze_top(backbone, n):
    backbone.trainable = True
    first = len(backbone.layers) - n
    for i, layer in enumerate(backbone.layers):
        bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = i >= first and not bn
""",
        ),
    ],
    "ex7-reuse-conv-base": [
        (
            "clones the architecture but not the trained weights",
            """
def reuse_conv_base(source_model, num_classes):
    clone = keras.models.clone_model(source_model)
    base = []
    for layer in clone.layers:
        layer.trainable = False
        base.append(layer)
        if isinstance(layer, keras.layers.Flatten):
            break
    return keras.Sequential(
        [
            keras.Input(shape=source_model.input_shape[1:]),
            *base,
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
""",
        ),
        (
            "forgets to freeze the copied layers",
            """
def reuse_conv_base(source_model, num_classes):
    clone = keras.models.clone_model(source_model)
    clone.set_weights(source_model.get_weights())
    base = []
    for layer in clone.layers:
        base.append(layer)
        if isinstance(layer, keras.layers.Flatten):
            break
    return keras.Sequential(
        [
            keras.Input(shape=source_model.input_shape[1:]),
            *base,
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
""",
        ),
        (
            "keeps the source's Dense(100) too and adds only the output layer",
            """
def reuse_conv_base(source_model, num_classes):
    clone = keras.models.clone_model(source_model)
    clone.set_weights(source_model.get_weights())
    base = clone.layers[:-1]
    for layer in base:
        layer.trainable = False
    return keras.Sequential(
        [
            keras.Input(shape=source_model.input_shape[1:]),
            *base,
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
""",
        ),
        (
            "a head without the hidden Dense(100) layer",
            """
def reuse_conv_base(source_model, num_classes):
    clone = keras.models.clone_model(source_model)
    clone.set_weights(source_model.get_weights())
    base = []
    for layer in clone.layers:
        layer.trainable = False
        base.append(layer)
        if isinstance(layer, keras.layers.Flatten):
            break
    return keras.Sequential(
        [
            keras.Input(shape=source_model.input_shape[1:]),
            *base,
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
""",
        ),
        (
            "copies only the first layer's weights (the first convolution), not every layer",
            """
def reuse_conv_base(source_model, num_classes):
    clone = keras.models.clone_model(source_model)
    clone.layers[0].set_weights(source_model.layers[0].get_weights())
    base = []
    for layer in clone.layers:
        layer.trainable = False
        base.append(layer)
        if isinstance(layer, keras.layers.Flatten):
            break
    return keras.Sequential(
        [
            keras.Input(shape=source_model.input_shape[1:]),
            *base,
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
""",
        ),
    ],
}
