"""An interactive explorer that steps through a feature map and shows each product-sum.

``ConvolutionExplorer(image, kernel, feature_map).widget()`` returns a slider (with a play
button), a line of text with the product-sum at the current position, and a figure with
three panels: the input with the kernel's window, the kernel, and the feature map filled in
up to the current position. The explorer does not compute the feature map: it animates one
computed elsewhere (in lesson 1, by the student's own function), and its line of text says
so when a value of that map is not the product-sum under the window. It uses only widgets
that exist in ipywidgets 7 and 8.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class ConvolutionExplorer:
    """Step through a valid, stride-``s`` feature map of a 2-D image and a 2-D kernel.

    Args:
        image: the input, shape ``(H, W)``.
        kernel: the kernel, shape ``(kh, kw)``, no larger than the image.
        feature_map: the output to animate, shape ``(H_out, W_out)``: output pixel
            ``(i, j)`` belongs to the window whose top-left corner is ``(i·s, j·s)``.
        bias: the bias added to every product-sum.
        stride: the step ``s`` between two windows.
    """

    def __init__(
        self, image: Any, kernel: Any, feature_map: Any, bias: float = 0.0, stride: int = 1
    ) -> None:
        self.image = np.asarray(image, dtype=float)
        self.kernel = np.asarray(kernel, dtype=float)
        self.output = np.asarray(feature_map, dtype=float)
        if self.image.ndim != 2 or self.kernel.ndim != 2:
            raise ValueError(
                f"the explorer takes a 2-D image and a 2-D kernel, got shapes "
                f"{self.image.shape} and {self.kernel.shape}"
            )
        kh, kw = self.kernel.shape
        if kh > self.image.shape[0] or kw > self.image.shape[1]:
            raise ValueError(f"kernel {self.kernel.shape} is larger than image {self.image.shape}")
        if stride < 1:
            raise ValueError(f"stride must be at least 1, not {stride}")
        if self.output.ndim != 2 or self.output.size == 0:
            raise ValueError(
                f"the feature map must be a non-empty 2-D array, got {self.output.shape}"
            )
        rows, cols = self.output.shape
        if (rows - 1) * stride + kh > self.image.shape[0] or (cols - 1) * stride + kw > (
            self.image.shape[1]
        ):
            raise ValueError(
                f"a feature map of shape {self.output.shape} has windows outside the image "
                f"{self.image.shape} (kernel {self.kernel.shape}, stride {stride})"
            )
        self.bias = float(bias)
        self.stride = int(stride)
        self.slider = None

    @property
    def steps(self) -> int:
        """How many positions the kernel visits (one per output pixel)."""
        return self.output.size

    def position(self, step: int) -> tuple[int, int]:
        """The output (row, column) computed at ``step``, in reading order."""
        if not 0 <= step < self.steps:
            raise ValueError(f"step {step} is outside 0 … {self.steps - 1}")
        return divmod(step, self.output.shape[1])

    def window(self, row: int, col: int) -> np.ndarray:
        """The patch of the input under the kernel for output pixel (row, col)."""
        kh, kw = self.kernel.shape
        top, left = row * self.stride, col * self.stride
        return self.image[top : top + kh, left : left + kw]

    def value_at(self, row: int, col: int) -> float:
        """The product-sum plus bias for output pixel (row, col)."""
        return float(np.sum(self.window(row, col) * self.kernel) + self.bias)

    def describe(self, step: int, max_terms: int = 9) -> str:
        """The product-sum at ``step`` written out, e.g. ``H[0, 1] = 1·0 + 2·(−1) + … = −3``."""
        row, col = self.position(step)
        patch = self.window(row, col)
        terms = [
            f"{_fmt(x)}·{_fmt(w) if w >= 0 else '(' + _fmt(w) + ')'}"
            for x, w in zip(patch.ravel(), self.kernel.ravel(), strict=True)
        ]
        shown = " + ".join(terms[:max_terms]) + (" + …" if len(terms) > max_terms else "")
        bias = f" + {_fmt(self.bias)}" if self.bias else ""
        line = f"H[{row}, {col}] = {shown}{bias} = {_fmt(self.value_at(row, col))}"
        given = float(self.output[row, col])
        if not np.isclose(given, self.value_at(row, col)):
            line += f", but the feature map holds {_fmt(given)} here"
        return line

    def draw(self, step: int) -> Figure:
        """Input with the current window, the kernel, and the output up to ``step``."""
        row, col = self.position(step)
        kh, kw = self.kernel.shape
        fig, (ax_in, ax_k, ax_out) = plt.subplots(1, 3, figsize=(10, 3.4))
        ax_in.imshow(self.image, cmap="gray")
        ax_in.add_patch(
            Rectangle(
                (col * self.stride - 0.5, row * self.stride - 0.5),
                kw,
                kh,
                fill=False,
                edgecolor="red",
                linewidth=2,
            )
        )
        ax_in.set_title(f"input {self.image.shape}")
        limit = float(np.abs(self.kernel).max()) or 1.0
        ax_k.imshow(self.kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        if max(self.kernel.shape) <= 5:
            for (r, c), w in np.ndenumerate(self.kernel):
                ax_k.text(c, r, _fmt(w), ha="center", va="center", fontsize=9)
        ax_k.set_title(f"kernel {self.kernel.shape}")
        shown = np.full(self.output.shape, np.nan)
        shown.flat[: step + 1] = self.output.flat[: step + 1]
        ax_out.imshow(shown, cmap="viridis", vmin=self.output.min(), vmax=self.output.max())
        ax_out.add_patch(
            Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2)
        )
        ax_out.set_title(f"feature map {self.output.shape}")
        for ax in (ax_in, ax_k, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        return fig

    def widget(self) -> Any:
        """The interactive explorer: play button, slider, product-sum text and figure."""
        import ipywidgets as widgets
        from IPython.display import display

        self.slider = widgets.IntSlider(
            value=0, min=0, max=self.steps - 1, description="step", continuous_update=False
        )
        play = widgets.Play(value=0, min=0, max=self.steps - 1, interval=400)
        widgets.jslink((play, "value"), (self.slider, "value"))
        text = widgets.HTML()
        out = widgets.Output()

        def render(change: Any = None) -> None:
            step = self.slider.value
            text.value = f"<code>{self.describe(step)}</code>"
            with out:
                out.clear_output(wait=True)
                fig = self.draw(step)
                display(fig)
                plt.close(fig)

        self.slider.observe(render, names="value")
        render()
        return widgets.VBox([widgets.HBox([play, self.slider]), text, out])
