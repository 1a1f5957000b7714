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
    ],
    "ex2-prepare-images": [
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
            "preprocesses the caller's array in place, then resizes",
            """
def prepare_images(images, name, size=32):
    modules = {
        "vgg16": keras.applications.vgg16,
        "resnet50": keras.applications.resnet50,
        "mobilenet_v2": keras.applications.mobilenet_v2,
    }
    if name not in modules:
        raise ValueError(name)
    x = images if images.ndim == 4 else np.repeat(images[..., None], 3, axis=-1)
    x = modules[name].preprocess_input(x)
    return keras.ops.convert_to_numpy(keras.ops.image.resize(x, (size, size))).astype("float32")
""",
        ),
        (
            "forgets that grey images need three channels",
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
    "ex3-build-transfer-model": [
        (
            "a Sequential model: no Input layer, backbone not called with training=False",
            """
def build_transfer_model(backbone, num_classes):
    backbone.trainable = False
    return keras.Sequential(
        [
            backbone,
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
""",
        ),
        (
            "Flatten instead of GlobalAveragePooling2D",
            """
def build_transfer_model(backbone, num_classes):
    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    x = keras.layers.Flatten()(backbone(inputs, training=False))
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "forgets to freeze the backbone",
            """
def build_transfer_model(backbone, num_classes):
    inputs = keras.Input(shape=backbone.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(backbone(inputs, training=False))
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
""",
        ),
        (
            "a relu output layer instead of softmax",
            """
def build_transfer_model(backbone, num_classes):
    backbone.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(backbone(inputs, training=False))
    outputs = keras.layers.Dense(num_classes, activation="relu")(x)
    return keras.Model(inputs, outputs)
""",
        ),
    ],
    "ex4-unfreeze-top": [
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
    ],
    "ex5-rank-results": [
        (
            "sorts lowest accuracy first",
            """
def rank_results(results):
    if not results:
        return []
    best = max(r["accuracy"] for r in results.values())
    rows = [
        {"method": m, "accuracy": r["accuracy"], "seconds": r["seconds"],
         "behind_best": best - r["accuracy"]}
        for m, r in results.items()
    ]
    return sorted(rows, key=lambda row: (row["accuracy"], row["seconds"]))
""",
        ),
        (
            "ignores the tie rule (faster first)",
            """
def rank_results(results):
    if not results:
        return []
    best = max(r["accuracy"] for r in results.values())
    rows = [
        {"method": m, "accuracy": r["accuracy"], "seconds": r["seconds"],
         "behind_best": best - r["accuracy"]}
        for m, r in results.items()
    ]
    return sorted(rows, key=lambda row: row["accuracy"], reverse=True)
""",
        ),
        (
            "behind_best in percentage points instead of a fraction",
            """
def rank_results(results):
    if not results:
        return []
    best = max(r["accuracy"] for r in results.values())
    rows = [
        {"method": m, "accuracy": r["accuracy"], "seconds": r["seconds"],
         "behind_best": 100 * (best - r["accuracy"])}
        for m, r in results.items()
    ]
    return sorted(rows, key=lambda row: (-row["accuracy"], row["seconds"]))
""",
        ),
        (
            "behind_best measured from the first method listed, not the best",
            """
def rank_results(results):
    if not results:
        return []
    first = next(iter(results.values()))["accuracy"]
    rows = [
        {"method": m, "accuracy": r["accuracy"], "seconds": r["seconds"],
         "behind_best": first - r["accuracy"]}
        for m, r in results.items()
    ]
    return sorted(rows, key=lambda row: (-row["accuracy"], row["seconds"]))
""",
        ),
    ],
    "ex6-reuse-conv-base": [
        (
            "shares the source model's layer objects (and so freezes the source model)",
            """
def reuse_conv_base(source_model, num_classes):
    base = []
    for layer in source_model.layers:
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
    ],
}
