"""Networks described as layer tables, built on demand.

A lesson that needs a network it has already taught (lesson 3's CNN, lesson 4's deeper one,
a stack of convolutions for an experiment) describes it as **data**, one row per layer,
and builds it with :func:`from_table`::

    TABLE = [
        ("Conv2D", {"filters": 8, "kernel_size": 3, "activation": "relu"}),
        ("MaxPooling2D", {"pool_size": 2}),
        ("Flatten", {}),
        ("Dense", {"units": 10, "activation": "softmax"}),
    ]
    model = from_table(TABLE, input_shape=(28, 28, 1))

A row is ``(class name in keras.layers, keyword arguments)``, or a ready Keras layer or
model (which is used as it is, e.g. a block built by a function of the lesson).
:func:`table_text` prints a table back as aligned text, for a lesson to show a network
without showing code. :func:`without_weights` builds a large architecture (VGG16, ResNet50)
for counting and reading its shapes, without allocating its weights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

Row = tuple[str, Mapping[str, Any]]
Built = TypeVar("Built")


def _layer(row: Any, index: int) -> Any:
    """The Keras layer a row describes (a new one for a ``(name, kwargs)`` row)."""
    import keras

    if isinstance(row, keras.layers.Layer):
        return row
    if not (isinstance(row, (tuple, list)) and len(row) == 2 and isinstance(row[0], str)):
        raise ValueError(
            f"row {index} should be (layer class name, keyword arguments) or a Keras layer, "
            f"got {row!r}"
        )
    name, kwargs = row
    cls = getattr(keras.layers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        raise ValueError(f"row {index}: keras.layers has no layer class {name!r}")
    if not isinstance(kwargs, Mapping):
        raise ValueError(f"row {index} ({name}): the settings should be a dict, got {kwargs!r}")
    return cls(**dict(kwargs))


def from_table(
    rows: Sequence[Any], input_shape: Sequence[int | None], name: str | None = None
) -> Any:
    """A ``keras.Sequential`` model with an ``Input`` of ``input_shape`` and one layer per row.

    Raises:
        ValueError: for a row that is neither ``(name, kwargs)`` nor a Keras layer, or that
            names no class of ``keras.layers``.
    """
    import keras

    layers = [_layer(row, i) for i, row in enumerate(rows)]
    return keras.Sequential([keras.Input(shape=tuple(input_shape)), *layers], name=name)


def without_weights(build: Callable[..., Built], *args: Any, **kwargs: Any) -> Built:
    """``build(*args, **kwargs)`` (a model such as ``keras.applications.VGG16``) as an
    architecture only: every layer, configuration, shape and parameter count, but no weight
    values, so building VGG16 costs a few megabytes instead of the 1.3 GB its 138 million
    random initial values take while they are drawn.

    Keras creates the weights in a ``keras.StatelessScope`` that defers their initial values,
    and they are then taken off Keras's list of weights to initialize later, so they are never
    allocated. What needs only shapes works: ``count_params()``, ``trainable_weights``,
    ``get_config()``, ``layer.input.shape``, ``layer.kernel.shape``. Calling, training or
    reading the weights' values does not: build the model normally for that.
    """
    import keras
    from keras.src.backend.common import global_state  # Keras's list of deferred weights

    def pending() -> list[Any]:
        return list(global_state.get_global_attribute("uninitialized_variables", None) or [])

    before = pending()
    with keras.StatelessScope(initialize_variables=False):
        built = build(*args, **kwargs)
    mine = {id(v) for v in pending()} - {id(v) for v in before}
    global_state.set_global_attribute(
        "uninitialized_variables", [v for v in pending() if id(v) not in mine]
    )
    return built


def table_text(rows: Sequence[Any]) -> str:
    """The rows as aligned text, one layer per line (settings as ``key=value``)."""
    lines = []
    for i, row in enumerate(rows):
        if isinstance(row, (tuple, list)) and len(row) == 2 and isinstance(row[0], str):
            settings = ", ".join(f"{key}={value!r}" for key, value in dict(row[1]).items())
            lines.append(f"{i + 1:3d}  {row[0]:<24s} {settings}")
        else:
            lines.append(f"{i + 1:3d}  {type(row).__name__:<24s} (a ready layer: {row.name})")
    return "\n".join(lines)


def draw_residual_block() -> Any:
    """A diagram of ResNet's residual block: identity shortcut (left), projection (right).

    Returns:
        The Matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    fig, axes = plt.subplots(1, 2, figsize=(10, 6.2))
    panels = (
        ("identity shortcut\n(stride 1 and C = F: same shape)", False, "1", "(H, W, F)"),
        ("projection shortcut\n(stride s > 1 or C ≠ F)", True, "s", "(⌈H/s⌉, ⌈W/s⌉, F)"),
    )
    mid, side, width = 4.2, 8.3, 4.0
    for ax, (title, projection, stride, out_shape) in zip(axes, panels, strict=True):
        ax.set_xlim(0, 10)
        ax.set_ylim(-0.6, 10.8)
        ax.axis("off")
        ax.set_title(title, fontsize=11)

        def box(x: float, y: float, text: str, color: str, w: float = width, ax=ax) -> None:
            ax.add_patch(
                FancyBboxPatch(
                    (x - w / 2, y - 0.32),
                    w,
                    0.64,
                    boxstyle="round,pad=0.05",
                    facecolor=color,
                    edgecolor="#444444",
                )
            )
            ax.text(x, y, text, ha="center", va="center", fontsize=9)

        def line(points: list, ax=ax) -> None:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs[:-1], ys[:-1], color="#333333", lw=1.2)
            arrow(points[-2], points[-1])

        def arrow(start: tuple, end: tuple, ax=ax) -> None:
            ax.add_patch(
                FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="#333333")
            )

        branch = [
            (f"3×3 conv, F filters, stride {stride}", "#c6dbef"),
            ("batch normalization", "#e5e5e5"),
            ("ReLU", "#fdd0a2"),
            ("3×3 conv, F filters, stride 1", "#c6dbef"),
            ("batch normalization", "#e5e5e5"),
        ]
        ax.text(mid, 10.3, "input x: (H, W, C)", ha="center", va="center", fontsize=10)
        ys = [9.0 - 1.2 * i for i in range(len(branch))]
        arrow((mid, 10.0), (mid, ys[0] + 0.38))
        for i, (text, color) in enumerate(branch):
            box(mid, ys[i], text, color)
            if i:
                arrow((mid, ys[i - 1] - 0.38), (mid, ys[i] + 0.38))
        plus_y = ys[-1] - 1.2
        ax.add_patch(Circle((mid, plus_y), 0.33, facecolor="white", edgecolor="#333333"))
        ax.text(mid, plus_y, "+", ha="center", va="center", fontsize=14)
        arrow((mid, ys[-1] - 0.38), (mid, plus_y + 0.35))
        box(mid, plus_y - 1.1, "ReLU", "#fdd0a2")
        arrow((mid, plus_y - 0.35), (mid, plus_y - 1.1 + 0.38))
        ax.text(mid, plus_y - 2.05, f"output: {out_shape}", ha="center", va="center", fontsize=10)
        arrow((mid, plus_y - 1.1 - 0.38), (mid, plus_y - 1.75))
        ax.text(0.75, ys[2], "residual\nbranch\nF(x)", ha="center", va="center", fontsize=9)
        top = (mid + 1.3, 10.3)
        if projection:
            box(side, 6.2, "1×1 conv, F, stride s", "#c7e9c0", w=3.0)
            box(side, 5.0, "batch normalization", "#e5e5e5", w=3.0)
            line([top, (side, 10.3), (side, 6.2 + 0.38)])
            arrow((side, 6.2 - 0.38), (side, 5.0 + 0.38))
            line([(side, 5.0 - 0.38), (side, plus_y), (mid + 0.36, plus_y)])
            ax.text(
                side,
                7.9,
                "shortcut\nS(x) = BN(P * x)",
                ha="center",
                va="center",
                fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none"},
            )
        else:
            line([top, (side, 10.3), (side, plus_y), (mid + 0.36, plus_y)])
            ax.text(
                side + 0.1,
                6.4,
                "shortcut\nS(x) = x\n(no parameters)",
                ha="left",
                va="center",
                fontsize=9,
            )
    fig.suptitle("Residual block: output = ReLU(F(x) + S(x))", fontsize=12)
    fig.tight_layout()
    return fig
