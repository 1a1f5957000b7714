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


def _valid_map(image, kernel, bias=0.0):
    """A reference feature map for the explorer tests (valid, stride 1)."""
    from numpy.lib.stride_tricks import sliding_window_view

    windows = sliding_window_view(image, kernel.shape)
    return np.einsum("ijuv,uv->ij", windows, kernel) + bias


def test_explorer_steps_through_the_map_it_is_given():
    image = np.arange(16, dtype=float).reshape(4, 4)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
    feature_map = _valid_map(image, kernel, 0.5)
    explorer = ConvolutionExplorer(image, kernel, feature_map, bias=0.5)
    assert explorer.steps == 9 and explorer.output.shape == (3, 3)
    assert explorer.position(4) == (1, 1)
    assert explorer.describe(0) == "H[0, 0] = 0·1 + 1·0 + 4·0 + 5·(-1) + 0.5 = -4.5"
    np.testing.assert_allclose(explorer.output, feature_map)
    assert len(explorer.draw(8).axes) == 3


def test_explorer_says_when_the_map_disagrees_with_the_product_sum():
    image = np.arange(16, dtype=float).reshape(4, 4)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
    wrong = _valid_map(image, kernel[::-1, ::-1])  # a flipped kernel: true convolution
    explorer = ConvolutionExplorer(image, kernel, wrong)
    assert explorer.describe(0).endswith("= -5, but the feature map holds 5 here")


def test_explorer_widget_slider_changes_what_is_shown():
    image, kernel = np.eye(5), np.ones((3, 3))
    explorer = ConvolutionExplorer(image, kernel, _valid_map(image, kernel))
    box = explorer.widget()
    text = box.children[1]
    first = text.value
    explorer.slider.value = 4
    assert text.value != first and "H[1, 1]" in text.value


@pytest.mark.parametrize(
    ("image", "kernel", "feature_map", "message"),
    [
        (np.zeros((3, 3, 3)), np.ones((2, 2)), np.zeros((2, 2)), "2-D image"),
        (np.zeros((2, 2)), np.ones((3, 3)), np.zeros((1, 1)), "larger than image"),
        (np.zeros((4, 4)), np.ones((2, 2)), np.zeros((4, 4)), "windows outside the image"),
        (np.zeros((4, 4)), np.ones((2, 2)), np.zeros(3), "non-empty 2-D array"),
    ],
)
def test_explorer_rejects_bad_shapes(image, kernel, feature_map, message):
    with pytest.raises(ValueError, match=message):
        ConvolutionExplorer(image, kernel, feature_map)


def test_number_grids_write_every_value_and_outline_the_boxes():
    grids = [np.arange(25.0).reshape(5, 5) - 12, np.eye(3)]
    fig = plotting.show_grids(grids, titles=["X", "W"], boxes=[(1, 2, 3, 3), None])
    first, second = fig.axes[:2]
    assert [first.get_title(), second.get_title()] == ["X", "W"]
    assert len(first.texts) == 25 and len(second.texts) == 9
    assert len(first.patches) == 1 and not second.patches
    assert first.patches[0].get_xy() == (1.5, 0.5)  # column 2, row 1, cell centers at integers


def test_number_grids_reject_what_they_cannot_draw():
    with pytest.raises(ValueError, match="2-D array up to 12"):
        plotting.show_grids([np.zeros((3, 3, 3))])
    with pytest.raises(ValueError, match="2-D array up to 12"):
        plotting.show_grids([np.zeros((20, 20))])
    with pytest.raises(ValueError, match="1 titles for 2 grids"):
        plotting.show_grids([np.zeros((2, 2)), np.zeros((2, 2))], titles=["a"])


def test_new_figures_draw_what_they_are_given():
    fig = plotting.show_pooling(np.arange(16).reshape(4, 4), np.zeros((2, 2)), 2)
    assert len(fig.axes) == 2 and len(fig.axes[0].texts) == 16 and len(fig.axes[0].patches) == 4
    with pytest.raises(ValueError, match="one channel"):
        plotting.show_pooling(np.zeros((4, 4, 2)), np.zeros((2, 2)), 2)
    fig = plotting.plot_shift_similarity([0, 1, 2], {"a": [1, 0.5, 0.2], "b": [1, 1, 1]})
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="3 shifts"):
        plotting.plot_shift_similarity([0, 1, 2], {"a": [1, 0.5]})
    response = np.zeros((9, 9))
    response[3:6, 2:7] = 1.0
    fig = plotting.show_receptive_fields([response], titles=["a 3×5 field"])
    assert fig.axes[0].get_xlabel() == "receptive field 3×5"
    with pytest.raises(ValueError, match="2-D array"):
        plotting.show_receptive_fields([np.zeros(4)])
    fig = plotting.plot_parameter_bars(["conv", "dense"], [250, 125_100], ["3·3·1·25 + 25", None])
    assert len(fig.axes[0].patches) == 2 and "(99.8%)" in fig.axes[0].texts[1].get_text()
    with pytest.raises(ValueError, match="2 names for 1 counts"):
        plotting.plot_parameter_bars(["a", "b"], [1])


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
