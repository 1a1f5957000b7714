"""helpers.plotting and helpers.explorer: figures have the panels, titles and colorbars promised."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plotting  # noqa: E402
from helpers.explorer import ConvolutionExplorer  # noqa: E402


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.axison and ax.get_label() != "<colorbar>"]


def test_image_grid_has_one_titled_panel_per_image():
    fig = plotting.show_images(np.zeros((5, 28, 28, 1)), titles=list("abcde"), ncols=3)
    axes = visible_axes(fig)
    assert len(axes) == 5 and [ax.get_title() for ax in axes] == list("abcde")


def test_image_grid_rejects_mismatched_titles_and_shapes():
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        plotting.show_images(np.zeros((3, 8, 8)), titles=["a", "b"])
    with pytest.raises(ValueError, match="expected"):
        plotting.show_images([np.zeros((8, 8, 5))])


def test_kernels_from_a_keras_tensor_one_panel_and_colorbar_each():
    kernel = np.random.default_rng(0).normal(size=(3, 3, 1, 4))
    fig = plotting.show_kernels(kernel)
    images = [ax for ax in fig.axes if ax.images]
    colorbars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(images) == 4 and len(colorbars) == 4
    assert [ax.get_title() for ax in images] == [f"filter {i}" for i in range(4)]
    assert len(images[0].texts) == 9  # each weight written in its cell


def test_feature_maps_one_panel_per_filter():
    fig = plotting.show_feature_maps(np.zeros((1, 26, 26, 6)))
    assert sum(1 for ax in fig.axes if ax.get_title().startswith("map ")) == 6
    signed = np.stack([np.full((4, 4), -1.0), np.linspace(-0.5, 2, 16).reshape(4, 4)], axis=-1)
    fig = plotting.show_feature_maps(signed, symmetric=True, cmap="RdBu_r")
    limits = [ax.images[0].get_clim() for ax in fig.axes if ax.images]
    assert limits == [(-1.0, 1.0), (-2.0, 2.0)]
    with pytest.raises(ValueError, match=r"expected \(H, W, F\)"):
        plotting.show_feature_maps(np.zeros((2, 3, 4, 5, 6)))


def test_history_and_confusion_matrix():
    history = {
        "loss": [1.0, 0.5],
        "val_loss": [1.1, 0.7],
        "accuracy": [0.5, 0.8],
        "val_accuracy": [0.4, 0.7],
    }
    fig = plotting.plot_history({"a": history, "b": history})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4
    cm = plotting.plot_confusion_matrix([[5, 1], [0, 4]], ["cat", "dog"])
    assert len(cm.axes[0].texts) == 4
    with pytest.raises(ValueError, match="square"):
        plotting.plot_confusion_matrix([[1, 2, 3]])


def test_explorer_steps_match_the_product_sums():
    image = np.arange(16, dtype=float).reshape(4, 4)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
    explorer = ConvolutionExplorer(image, kernel, bias=0.5)
    assert explorer.steps == 9 and explorer.output.shape == (3, 3)
    assert explorer.position(4) == (1, 1)
    assert explorer.describe(0) == "H[0, 0] = 0·1 + 1·0 + 4·0 + 5·(-1) + 0.5 = -4.5"
    expected = image[:-1, :-1] - image[1:, 1:] + 0.5
    np.testing.assert_allclose(explorer.output, expected)
    assert len(explorer.draw(8).axes) == 3


def test_explorer_widget_slider_changes_what_is_shown():
    explorer = ConvolutionExplorer(np.eye(5), np.ones((3, 3)))
    box = explorer.widget()
    text = box.children[1]
    first = text.value
    explorer.slider.value = 4
    assert text.value != first and "H[1, 1]" in text.value


@pytest.mark.parametrize(
    ("image", "kernel", "message"),
    [
        (np.zeros((3, 3, 3)), np.ones((2, 2)), "2-D image"),
        (np.zeros((2, 2)), np.ones((3, 3)), "larger than image"),
    ],
)
def test_explorer_rejects_bad_shapes(image, kernel, message):
    with pytest.raises(ValueError, match=message):
        ConvolutionExplorer(image, kernel)


def test_figures_accept_backend_tensors_that_carry_gradients():
    """A layer's output on any backend (PyTorch's refuses np.asarray) plots like an array."""
    import keras

    layer = keras.layers.Conv2D(3, 3)
    maps = layer(np.random.default_rng(0).random((1, 10, 10, 1), dtype="float32"))
    fig = plotting.show_feature_maps(maps)
    assert len([ax for ax in fig.axes if ax.images]) == 3
    fig = plotting.show_kernels(layer.kernel)
    assert len([ax for ax in fig.axes if ax.images]) == 3
    matplotlib.pyplot.close("all")
