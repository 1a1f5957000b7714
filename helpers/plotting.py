"""Figures the lessons share: image grids, kernels, number grids, feature maps, learning curves, confusion matrices.

Every function returns the Matplotlib ``Figure`` it drew, so a notebook can save or
test it; in Jupyter the figure shows itself at the end of the cell.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def _numpy(value: Any) -> Any:
    """A backend tensor (TensorFlow, JAX, or PyTorch, which refuses ``np.asarray`` on a
    tensor that carries gradients) as a NumPy array; lists, arrays and numbers as they are."""
    if value is None or isinstance(value, (np.ndarray, list, tuple, numbers.Number)):
        return value
    import keras

    return keras.ops.convert_to_numpy(value)


def _grid(n: int, ncols: int | None, panel: float, extra_width: float = 0.0):
    """A figure with ``n`` panels in rows of ``ncols``; unused panels are hidden."""
    if n < 1:
        raise ValueError("nothing to plot: the list of images is empty")
    ncols = min(n, ncols or 8)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * (panel + extra_width), nrows * panel), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes.flat[:n]


def _as_images(images: Any) -> list[np.ndarray]:
    """Accept a list of 2-D/3-D arrays or one stacked array ``(N, H, W[, C])``."""
    images = _numpy(images)
    if isinstance(images, np.ndarray) and images.ndim in (2,):
        return [images]
    items = [np.asarray(_numpy(image)) for image in images]
    for i, image in enumerate(items):
        if image.ndim == 3 and image.shape[-1] == 1:
            items[i] = image[..., 0]
        elif image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] not in (3, 4)):
            raise ValueError(
                f"image {i} has shape {image.shape}: expected (H, W), (H, W, 1) or (H, W, 3)"
            )
    return items


def show_images(
    images: Any,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    cmap: str = "gray",
    suptitle: str | None = None,
    panel: float = 1.6,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """A grid of images (gray or RGB) with optional titles.

    ``vmin`` and ``vmax`` put every gray image on the same scale (by default each panel
    stretches its own values from black to white).
    """
    items = _as_images(images)
    if titles is not None and len(titles) != len(items):
        raise ValueError(f"{len(titles)} titles for {len(items)} images")
    fig, axes = _grid(len(items), ncols, panel)
    for i, (ax, image) in enumerate(zip(axes, items, strict=True)):
        ax.imshow(image, cmap=cmap if image.ndim == 2 else None, vmin=vmin, vmax=vmax)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_kernels(
    kernels: Any,
    titles: Sequence[str] | None = None,
    annotate: bool = True,
    ncols: int | None = None,
    suptitle: str | None = None,
) -> Figure:
    """Small 2-D kernels on a diverging color scale centered at 0, each with a colorbar.

    Args:
        kernels: one ``(k, k)`` array, a list of them, or a Keras kernel
            ``(kh, kw, 1, F)`` / ``(kh, kw, F)`` whose filters are shown one per panel.
        annotate: write each weight in its cell (only for kernels up to 7×7).
    """
    array = kernels if isinstance(kernels, list) else np.asarray(_numpy(kernels))
    if isinstance(array, np.ndarray):
        if array.ndim == 2:
            array = [array]
        elif array.ndim == 4:
            array = [array[:, :, 0, f] for f in range(array.shape[-1])]
        elif array.ndim == 3:
            array = [array[:, :, f] for f in range(array.shape[-1])]
        else:
            raise ValueError(
                f"kernels of shape {array.shape}: expected (k, k), (k, k, F) or (k, k, C, F)"
            )
    items = [np.asarray(_numpy(k), dtype=float) for k in array]
    fig, axes = _grid(len(items), ncols, 1.9, extra_width=0.5)
    for i, (ax, kernel) in enumerate(zip(axes, items, strict=True)):
        limit = float(np.abs(kernel).max()) or 1.0
        image = ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        if annotate and max(kernel.shape) <= 7:
            for (r, c), value in np.ndenumerate(kernel):
                ax.text(c, r, f"{value:.2g}", ha="center", va="center", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(titles[i]) if titles is not None else f"filter {i}", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_grids(
    grids: Sequence[Any],
    titles: Sequence[str] | None = None,
    boxes: Sequence[tuple[int, int, int, int] | None] | None = None,
    ncols: int | None = None,
    suptitle: str | None = None,
    panel: float = 2.4,
) -> Figure:
    """Small matrices drawn as tables of numbers, for worked examples of a computation.

    Each grid is colored on a diverging scale centered at 0 (red positive, blue negative),
    every entry is written in its cell, and a rectangle can mark a region of interest.

    Args:
        grids: 2-D arrays, at most 12 × 12 each (the numbers must stay readable).
        titles: one title per grid.
        boxes: one entry per grid: ``None``, or ``(row, col, height, width)`` of a
            rectangle to outline (a window, an output pixel).
    """
    items = [np.asarray(grid, dtype=float) for grid in grids]
    for i, grid in enumerate(items):
        if grid.ndim != 2 or max(grid.shape) > 12:
            raise ValueError(f"grid {i} has shape {grid.shape}: expected a 2-D array up to 12 × 12")
    for what, values in (("titles", titles), ("boxes", boxes)):
        if values is not None and len(values) != len(items):
            raise ValueError(f"{len(values)} {what} for {len(items)} grids")
    fig, axes = _grid(len(items), ncols, panel)
    for i, (ax, grid) in enumerate(zip(axes, items, strict=True)):
        limit = float(np.abs(grid).max()) or 1.0
        ax.imshow(grid, cmap="RdBu_r", vmin=-1.6 * limit, vmax=1.6 * limit)
        size = 10 if max(grid.shape) <= 5 else 8 if max(grid.shape) <= 8 else 6
        for (r, c), value in np.ndenumerate(grid):
            ax.text(c, r, f"{value:.3g}", ha="center", va="center", fontsize=size)
        ax.set_xticks(np.arange(grid.shape[1] + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(grid.shape[0] + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", linewidth=1)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        box = boxes[i] if boxes is not None else None
        if box is not None:
            row, col, height, width = box
            ax.add_patch(
                plt.Rectangle(
                    (col - 0.5, row - 0.5),
                    width,
                    height,
                    fill=False,
                    edgecolor="black",
                    lw=2.5,
                    zorder=5,
                )
            )
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_feature_maps(
    maps: Any,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    cmap: str = "viridis",
    suptitle: str | None = None,
    max_maps: int = 32,
    symmetric: bool = False,
) -> Figure:
    """One panel per filter for feature maps shaped ``(H, W, F)`` (or ``(1, H, W, F)``), with colorbars.

    ``symmetric=True`` centers each map's color scale on 0, for signed responses such as
    edge detectors (use it with a diverging colormap, e.g. ``cmap="RdBu_r"``).
    """
    array = np.asarray(_numpy(maps), dtype=float)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise ValueError(f"feature maps of shape {array.shape}: expected (H, W, F)")
    count = min(array.shape[-1], max_maps)
    fig, axes = _grid(count, ncols, 2.0, extra_width=0.5)
    for f, ax in enumerate(axes):
        limit = float(np.abs(array[:, :, f]).max()) or 1.0
        scale = {"vmin": -limit, "vmax": limit} if symmetric else {}
        image = ax.imshow(array[:, :, f], cmap=cmap, **scale)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(titles[f]) if titles is not None else f"map {f}", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_pooling(
    x: Any,
    pooled: Any,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    title: str | None = None,
) -> Figure:
    """A small one-channel input beside its pooled output, each window in its own color.

    Every value is written in its cell. Each window of the input is outlined in the color
    of the output cell it produces, so the reader can match them; the windows are those of
    ``padding="valid"`` (the top-left corner of output ``(i, j)`` is input ``(i·s, j·s)``).

    Args:
        x: the input, shape ``(H, W)``.
        pooled: the output, shape ``(H_out, W_out)``, as the caller computed it.
        pool_size, strides: the window and its step (an int or a pair; ``strides``
            defaults to the pool size, as in Keras).
    """
    grid, out = np.asarray(x, dtype=float), np.asarray(pooled, dtype=float)
    if grid.ndim != 2 or out.ndim != 2:
        raise ValueError(
            f"show_pooling draws one channel: x {grid.shape} and pooled {out.shape} must be 2-D"
        )
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else tuple(pool_size)
    sh, sw = (
        (ph, pw)
        if strides is None
        else ((strides, strides) if np.ndim(strides) == 0 else tuple(strides))
    )
    colors = plt.get_cmap("tab10").colors
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(0.55 * (grid.shape[1] + out.shape[1]) + 2.2, 0.55 * grid.shape[0] + 1.2),
        gridspec_kw={"width_ratios": [grid.shape[1], max(out.shape[1], 1)]},
    )
    for ax, values in ((left, grid), (right, out)):
        ax.imshow(np.zeros_like(values), cmap="Greys", vmin=0, vmax=1)
        for (r, c), value in np.ndenumerate(values):
            ax.text(c, r, f"{value:.3g}", ha="center", va="center", fontsize=9)
        ax.set_xticks(np.arange(-0.5, values.shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, values.shape[0]), minor=True)
        ax.grid(which="minor", color="0.8", linewidth=0.8)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    for (i, j), _ in np.ndenumerate(out):
        color = colors[(i * out.shape[1] + j) % len(colors)]
        inset = 0.06 + 0.08 * ((i + j) % 2)
        left.add_patch(
            plt.Rectangle(
                (j * sw - 0.5 + inset, i * sh - 0.5 + inset),
                pw - 2 * inset,
                ph - 2 * inset,
                fill=False,
                edgecolor=color,
                linewidth=2,
            )
        )
        right.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, color=color, alpha=0.35))
    left.set_title(f"input {grid.shape[0]}×{grid.shape[1]}", fontsize=10)
    right.set_title(f"output {out.shape[0]}×{out.shape[1]}", fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_shift_similarity(
    shifts: Sequence[int], similarity: Mapping[str, Sequence[float]], title: str | None = None
) -> Figure:
    """How similar feature maps stay when the input is shifted: one line per pooling.

    Args:
        shifts: the shifts of the input, in pixels (the x axis).
        similarity: ``{label: values}``, one value per shift (1 means unchanged).
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, values in similarity.items():
        if len(values) != len(shifts):
            raise ValueError(f"{label!r}: {len(values)} values for {len(shifts)} shifts")
        ax.plot(shifts, values, marker="o", label=label)
    ax.set_xlabel("shift of the input (pixels)")
    ax.set_ylabel("similarity to the unshifted map")
    ax.set_ylim(0, 1.05)
    ax.set_xticks(list(shifts))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_receptive_fields(
    responses: Sequence[Any], titles: Sequence[str] | None = None, suptitle: str | None = None
) -> Figure:
    """Impulse responses of one output pixel, one panel per network, on the input's grid.

    Each response is a 2-D array the size of the input: how strongly each input pixel
    reaches the chosen output pixel (0 where it cannot). The nonzero region, the
    receptive field, is outlined and its size written under the panel.
    """
    items = [np.asarray(r, dtype=float) for r in responses]
    if not items or any(r.ndim != 2 for r in items):
        raise ValueError("each response must be a 2-D array (input height × width)")
    if titles is not None and len(titles) != len(items):
        raise ValueError(f"{len(titles)} titles for {len(items)} responses")
    fig, axes = _grid(len(items), None, 2.6)
    for i, (ax, response) in enumerate(zip(axes, items, strict=True)):
        shown = np.where(response > 0, response, np.nan)
        ax.imshow(shown, cmap="viridis")
        ax.set_xticks(np.arange(-0.5, response.shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, response.shape[0]), minor=True)
        ax.grid(which="minor", color="0.88", linewidth=0.5)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        rows, cols = np.flatnonzero((response > 0).any(1)), np.flatnonzero((response > 0).any(0))
        if rows.size:
            height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
            ax.add_patch(
                plt.Rectangle(
                    (cols[0] - 0.5, rows[0] - 0.5), width, height, fill=False, color="tab:red"
                )
            )
            ax.set_xlabel(f"receptive field {height}×{width}", fontsize=9)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_parameter_bars(
    names: Sequence[str],
    counts: Sequence[int],
    formulas: Sequence[str | None] | None = None,
    title: str | None = None,
) -> Figure:
    """One horizontal bar per layer with its parameter count, share of the total and formula.

    The largest layer is drawn in orange. ``formulas`` (optional, one per layer, ``None``
    to leave one out) are written after the counts.
    """
    if len(names) != len(counts) or (formulas is not None and len(formulas) != len(names)):
        raise ValueError(f"{len(names)} names for {len(counts)} counts")
    total = sum(counts) or 1
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(names) + 1.2))
    biggest = max(counts) if counts else 0
    ax.barh(
        range(len(names)),
        counts,
        color=["tab:orange" if c == biggest and c else "tab:blue" for c in counts],
    )
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    for i, count in enumerate(counts):
        text = f"{count:,} ({100 * count / total:.1f}%)" if count else "0"
        if formulas is not None and formulas[i]:
            text += f"   {formulas[i]}"
        ax.text(count + total * 0.01, i, text, va="center", fontsize=7)
    ax.set_xlim(0, max(biggest, 1) * 1.6)
    if biggest >= 1_000_000:
        ax.xaxis.set_major_formatter(lambda value, _: f"{value / 1e6:,.0f}")
        ax.set_xlabel("millions of parameters")
    else:
        ax.xaxis.set_major_formatter("{x:,.0f}")
        ax.set_xlabel("parameters")
    ax.set_title(title or f"{sum(counts):,} parameters")
    fig.tight_layout()
    return fig


def plot_history(
    histories: Mapping[str, Any] | Any,
    metrics: Sequence[str] = ("loss", "accuracy"),
    title: str | None = None,
) -> Figure:
    """Learning curves (train and validation) of one or several Keras ``History`` objects.

    Args:
        histories: a ``History`` (or its ``.history`` dict), or a mapping
            ``{"label": history}`` to compare runs side by side.
    """
    if not isinstance(histories, Mapping) or "loss" in histories:
        histories = {"": histories}
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for label, history in histories.items():
            logs = getattr(history, "history", history)
            prefix = f"{label} " if label else ""
            for key, style in ((metric, "-"), (f"val_{metric}", "--")):
                if key in logs:
                    epochs = np.arange(1, len(logs[key]) + 1)
                    ax.plot(
                        epochs,
                        logs[key],
                        style,
                        marker="o",
                        markersize=3,
                        label=prefix + ("validation" if key.startswith("val_") else "train"),
                    )
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    matrix: Any,
    class_names: Sequence[str] | None = None,
    title: str = "Confusion matrix",
    normalize: bool = False,
) -> Figure:
    """A confusion matrix (rows: true class, columns: predicted) with counts in the cells."""
    counts = np.asarray(_numpy(matrix), dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {counts.shape}")
    shown = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    n = len(counts)
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    fig, ax = plt.subplots(figsize=(0.5 * n + 2.5, 0.5 * n + 2))
    image = ax.imshow(shown, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    limit = shown.max() / 2 if shown.size else 0
    for (r, c), value in np.ndenumerate(shown):
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        ax.text(
            c,
            r,
            text,
            ha="center",
            va="center",
            fontsize=7,
            color="white" if value > limit else "black",
        )
    ax.set_xticks(range(n), names, rotation=45 if max(map(len, names)) > 2 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig
