"""Figures the lessons share: image grids, kernels, feature maps, learning curves, confusion matrices.

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
) -> Figure:
    """A grid of images (grey or RGB) with optional titles."""
    items = _as_images(images)
    if titles is not None and len(titles) != len(items):
        raise ValueError(f"{len(titles)} titles for {len(items)} images")
    fig, axes = _grid(len(items), ncols, panel)
    for i, (ax, image) in enumerate(zip(axes, items, strict=True)):
        ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
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
    """Small 2-D kernels on a diverging colour scale centred at 0, each with a colorbar.

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

    ``symmetric=True`` centres each map's colour scale on 0, for signed responses such as
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
