import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import helpers
from helpers import widgets

matplotlib.use("Agg")
NAMES = ("zero", "one", "two")
LABELS = np.array([0, 1, 1, 2, 1, 0])
IMAGES = np.arange(6 * 4 * 4).reshape(6, 4, 4)


@pytest.fixture
def frontend(monkeypatch):
    monkeypatch.setattr(widgets, "widget_frontend_available", lambda: True)


def test_static_fallback_without_a_frontend(monkeypatch, capsys):
    monkeypatch.setenv("CNN_STATIC_WIDGETS", "1")
    assert not helpers.widget_frontend_available()
    fig = helpers.image_browser(IMAGES / IMAGES.max(), LABELS, NAMES, static_per_class=2)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["zero", "zero", "one", "one", "two"]
    assert "static overview" in capsys.readouterr().out
    # Closed in pyplot: the cell shows it once, as its value, and the inline backend not again.
    assert not plt.fignum_exists(fig.number)


def test_outside_a_kernel_there_is_no_frontend(monkeypatch):
    monkeypatch.delenv("CNN_STATIC_WIDGETS", raising=False)
    assert not helpers.widget_frontend_available()  # pytest is not a Jupyter kernel


def test_browser_follows_the_class_and_slider(frontend):
    box = helpers.image_browser(IMAGES, LABELS, NAMES)
    dropdown, slider = box.children[0].children
    assert box.shown == {"class": 0, "index": 0} and slider.max == 1
    dropdown.value = 1
    assert slider.max == 2 and box.shown == {"class": 1, "index": 1}
    slider.value = 2
    assert box.shown == {"class": 1, "index": 4}
    dropdown.value = 2  # slider goes back to the first image of the new class
    assert slider.value == 0 and slider.max == 0 and box.shown == {"class": 2, "index": 3}


def test_show_class_example_titles_its_place():
    fig = helpers.show_class_example(IMAGES, LABELS, NAMES, 1, 2)
    assert fig.axes[0].get_title() == "one – 3 of 3\n(dataset index 4)"
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), IMAGES[4])
    with pytest.raises(ValueError, match=r"position must be at most 2, got 3"):
        helpers.show_class_example(IMAGES, LABELS, NAMES, 1, 3)
    with pytest.raises(ValueError, match=r"class_index must be at most 2, got 3"):
        helpers.show_class_example(IMAGES, LABELS, NAMES, 3, 0)


def test_browser_rejects_mismatched_input():
    with pytest.raises(ValueError, match="labels and images must have the same length, got 5 and 6"):
        helpers.image_browser(IMAGES, LABELS[:5], NAMES)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        helpers.image_browser(IMAGES, LABELS, NAMES[:2])


def test_convolution_explorer_reports_the_formulas_shape(frontend):
    image = np.random.default_rng(0).uniform(size=(20, 30))
    box = helpers.convolution_explorer({"noise": image, "flat": np.zeros((9, 9))})
    controls, _ = box.children
    left, right = controls.children
    image_choice, kernel_choice = left.children
    stride, padding = right.children
    assert box.shown["output_shape"] == (18, 28) and box.shown["kernel"] == "sobel x"
    stride.value, padding.value = 2, "same"
    assert box.shown["output_shape"] == (10, 15)
    padding.value = 2
    assert box.shown["output_shape"] == (helpers.ops.conv_output_size(20, 3, 2, 2),
                                         helpers.ops.conv_output_size(30, 3, 2, 2))
    image_choice.value = "flat"
    assert box.shown["image"] == "flat" and box.shown["output_shape"] == (6, 6)


def test_convolution_explorer_static_fallback(monkeypatch):
    monkeypatch.setenv("CNN_STATIC_WIDGETS", "1")
    image = np.random.default_rng(1).uniform(size=(20, 30))
    fig = helpers.convolution_explorer({"noise": image})
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_xlabel() for ax in panels] == ["20×30 pixels", "18×28 pixels", "10×15 pixels", "7×10 pixels"]
    assert not plt.fignum_exists(fig.number)  # shown once
    # One pixel scale: every panel spans the input's 20×30, so stride 3's 7×10 output looks small.
    assert all((np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim())) == (30, 20) for ax in panels)
    # Sobel x (weights sum to 0) is drawn symmetric about 0; the box blur on the image's 0..1.
    low, high = panels[1].images[0].get_clim()
    assert -low == high > 0 and panels[3].images[0].get_clim() == (0, 1)


def test_convolution_explorer_rejects_colour_images():
    with pytest.raises(ValueError, match=r"images\['rgb'\] must have 2 dimensions"):
        helpers.convolution_explorer({"rgb": np.zeros((4, 4, 3))})
    with pytest.raises(TypeError, match="non-empty dict"):
        helpers.convolution_explorer({})


@pytest.mark.parametrize("name", ["identity", "sobel x", "box blur"])
def test_explorer_draws_the_kernel_on_a_range_symmetric_about_zero(name):
    from helpers import widgets

    fig = widgets._explore_figure(np.zeros((9, 9)), name, 1, "valid", np.zeros((7, 7)))
    kernel_image = fig.axes[1].images[0]
    limit = float(np.abs(helpers.ops.kernel(name)).max())
    assert kernel_image.norm.vmin == -limit and kernel_image.norm.vmax == limit
    assert len(fig.axes) == 4  # input, kernel, output and the kernel's colour bar


def test_explorer_draws_input_and_output_at_one_pixel_scale():
    image = np.random.default_rng(2).uniform(size=(12, 16))
    output = helpers.ops.conv2d(image, helpers.ops.kernel("sobel x"), stride=2)  # 5×7
    fig = widgets._explore_figure(image, "sobel x", 2, "valid", output)
    given, _, result = fig.axes[:3]
    assert given.get_xlim() == (-0.5, 15.5) and result.get_xlim() == (-5, 11)  # same 16-pixel span
    assert np.ptp(given.get_ylim()) == np.ptp(result.get_ylim()) == 12
    low, high = result.images[0].get_clim()
    assert low == -high == -float(np.abs(output).max())  # signed output: mid-grey is 0
    padded = helpers.ops.conv2d(image, helpers.ops.kernel("box blur"), padding=2)  # 14×18: larger
    fig = widgets._explore_figure(image, "box blur", 1, 2, padded)
    assert np.ptp(fig.axes[0].get_xlim()) == np.ptp(fig.axes[2].get_xlim()) == 18
