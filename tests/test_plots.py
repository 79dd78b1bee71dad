import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

import helpers

matplotlib.use("Agg")
NAMES = tuple("abcdefghij")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    matplotlib.pyplot.close("all")


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_image_grid_has_one_titled_panel_per_image():
    images = np.random.default_rng(0).integers(0, 255, (7, 8, 8, 3), dtype=np.uint8)
    fig = helpers.plot_image_grid(images, np.arange(7), NAMES, ncols=3, title="grid")
    assert isinstance(fig, Figure)
    panels = image_axes(fig)
    assert len(panels) == 7 and len(fig.axes) == 9  # 3×3, two blank
    assert [ax.get_title() for ax in panels] == list("abcdefg")
    np.testing.assert_array_equal(panels[2].images[0].get_array(), images[2])
    assert fig._suptitle.get_text() == "grid"


@pytest.mark.parametrize("predicted", [False, True])
def test_image_grid_titles_clear_the_row_above(predicted):
    # Two rows of CIFAR-sized images, as notebook 02 shows one class: a second-row title drawn over
    # the first row's images could not be read.
    images = np.random.default_rng(0).integers(0, 255, (16, 32, 32, 3), dtype=np.uint8)
    names = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    labels = np.arange(16) % 10
    predictions = (labels + 1) % 10 if predicted else None
    fig = helpers.plot_image_grid(images, labels, names, ncols=8, predictions=predictions, title="grid")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    panels = image_axes(fig)
    covered = [(a.get_title(), b.get_title()) for a in panels for b in panels
               if a is not b and a.title.get_window_extent(renderer).overlaps(b.get_window_extent(renderer))]
    assert not covered, f"titles drawn over other panels: {covered}"


def test_image_grid_marks_mistakes():
    images = np.zeros((3, 8, 8))
    fig = helpers.plot_image_grid(images, [0, 1, 2], NAMES, predictions=[0, 2, 2])
    titles = [ax.get_title() for ax in image_axes(fig)]
    assert titles == ["a / a", "b / c ✗", "c / c"]
    assert image_axes(fig)[1].title.get_color() == helpers.plots.MISTAKE_COLOUR


def test_image_grid_accepts_cifar_shaped_labels_and_single_channel():
    fig = helpers.plot_image_grid(np.zeros((2, 8, 8, 1)), np.array([[1], [2]]), NAMES)
    assert [ax.get_title() for ax in image_axes(fig)] == ["b", "c"]


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((np.zeros((2, 8)),), {}, ValueError, "images must have 3 or 4 dimensions"),
    ((np.zeros((2, 8, 8, 2)),), {}, ValueError, r"images must be shaped \(N, H, W\) or \(N, H, W, C\)"),
    ((np.zeros((2, 8, 8)), [0]), {}, ValueError, "labels and images must have the same length, got 1 and 2"),
    ((np.zeros((2, 8, 8)), [0, 10], NAMES), {}, ValueError, r"labels must lie in 0\.\.9"),
    ((np.zeros((2, 8, 8)), [0.5, 1.0]), {}, TypeError, "labels must be integer class indices"),
    ((np.zeros((2, 8, 8)),), {"ncols": 0}, ValueError, "ncols must be at least 1"),
    ((np.zeros((2, 8, 8)), None), {"predictions": [0, 1]}, ValueError, "predictions need labels"),
    ((np.full((2, 8, 8), 200.0),), {}, ValueError, "divide by 255 first"),
])
def test_image_grid_rejects_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        helpers.plot_image_grid(*args, **kwargs)


def test_class_distribution_bars_hold_the_counts():
    train = np.array([0, 0, 0, 1, 2, 2])
    test = np.array([[0], [1], [1]])
    fig = helpers.plot_class_distribution({"train": train, "test": test}, ("x", "y", "z"))
    ax = fig.axes[0]
    heights = [round(p.get_height()) for p in ax.patches]
    assert heights == [3, 1, 2, 1, 2, 0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert ax.get_ylabel() == "number of images"
    assert "train (6 images)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_class_distribution_legend_covers_no_bar_or_label():
    # Balanced classes (as CIFAR-10's): every bar equally tall, so a legend inside the bars' area hides some.
    labels = np.repeat(np.arange(10), 350)
    fig = helpers.plot_class_distribution({"train": labels, "test": labels[::2]}, NAMES)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    covered = [artist for artist in [*ax.patches, *ax.texts]
               if artist.get_window_extent(renderer).overlaps(legend)]
    assert not covered, f"the legend covers {len(covered)} bar(s) or label(s)"
    assert all(text.get_fontsize() >= 10 for text in ax.texts)  # the counts on the bars


def test_class_distribution_rejects_bad_input():
    with pytest.raises(TypeError, match="non-empty mapping"):
        helpers.plot_class_distribution({}, NAMES)
    with pytest.raises(ValueError, match=r"label_sets\['train'\] must lie in 0\.\.2"):
        helpers.plot_class_distribution({"train": np.array([0, 3])}, ("x", "y", "z"))


def test_channel_histograms_one_panel_per_channel():
    images = np.zeros((4, 5, 5, 3), dtype=np.uint8)
    images[..., 2] = 200
    fig = helpers.plot_channel_histograms(images)
    assert [ax.get_title() for ax in fig.axes] == ["red channel", "green channel", "blue channel"]
    blue_counts = [p.get_height() for p in fig.axes[2].patches]
    assert sum(blue_counts) == 100 and max(blue_counts) == 100  # all 100 blue pixels in one bin
    with pytest.raises(ValueError, match="channel_names has 3 names for 1 channels"):
        helpers.plot_channel_histograms(np.zeros((2, 5, 5)))


def test_channel_histogram_legends_cover_no_bar():
    # Many pixels at 0 and 255 (saturated), as in CIFAR-10: tall bars at both ends.
    images = np.random.default_rng(0).integers(0, 256, (20, 8, 8, 3), dtype=np.uint8)
    images[:, :2] = 0
    images[:, -2:] = 255
    fig = helpers.plot_channel_histograms(images)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend().get_window_extent(renderer)
        assert not [bar for bar in ax.patches if bar.get_window_extent(renderer).overlaps(legend)]


@pytest.mark.parametrize("low, high", [(0, 256), (0, 90), (170, 256)])  # mean in the middle, left, right
def test_channel_histogram_legends_leave_the_mean_line_visible(low, high):
    # CIFAR-10's channel means sit near 127 of 255: a legend centred at the top hid the line's top.
    images = np.random.default_rng(1).integers(low, high, (20, 8, 8, 3), dtype=np.uint8)
    for shown in (images, images.astype(np.float32) / 255):
        fig = helpers.plot_channel_histograms(shown)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            (line,) = ax.lines
            x = ax.transData.transform((line.get_xdata()[0], 0))[0]
            legend = ax.get_legend().get_window_extent(renderer)
            assert not legend.x0 - 2 <= x <= legend.x1 + 2, "the legend hides the mean line"
            assert not [bar for bar in ax.patches if bar.get_window_extent(renderer).overlaps(legend)]


def test_examples_per_class_picks_the_first_of_each_class():
    labels = np.array([2, 0, 1, 0, 2, 1, 0])
    np.testing.assert_array_equal(helpers.examples_per_class(labels, 2), [1, 3, 2, 5, 0, 4])
    with pytest.raises(ValueError, match="per_class must be at least 1"):
        helpers.examples_per_class(labels, 0)


def test_plot_panels_titles_and_shapes():
    fig = helpers.plot_panels([np.zeros((4, 6)), np.ones((2, 3, 3)) * 0.5, np.ones((5, 5, 1))],
                              ["a", "b", "c"], ncols=2, title="t")
    shown = image_axes(fig)
    assert [ax.get_title() for ax in shown] == ["a", "b", "c"]
    assert [ax.get_xlabel() for ax in shown] == ["4×6 pixels", "2×3 pixels", "5×5 pixels"]
    assert len(fig.axes) == 4 and not fig.axes[3].axison  # the spare panel is blank


def test_plot_panels_scales_say_what_a_grey_means():
    ramp, signed = np.linspace(0.2, 0.6, 12).reshape(3, 4), np.array([[-2.0, 0.5], [1.0, 0.0]])
    fig = helpers.plot_panels([ramp, signed, ramp, signed], list("abcd"),
                              scale=["own", "signed", "unit", (-5, 5)])
    limits = [ax.images[0].get_clim() for ax in image_axes(fig)]
    assert limits == [(0.2, 0.6), (-2.0, 2.0), (0.0, 1.0), (-5.0, 5.0)]
    one_for_all = helpers.plot_panels([ramp, signed], ["a", "b"], scale="signed", colorbar=True)
    assert [ax.images[0].get_clim() for ax in image_axes(one_for_all)] == [(-0.6, 0.6), (-2.0, 2.0)]
    assert len(one_for_all.axes) == 4  # two panels, two colour bars


def test_plot_panels_labels_its_colour_bars_and_can_draw_zero_apart():
    # A derivative that is 0 outside a field and small at its edge: a colour map alone draws the
    # small values almost like the zeros; zero_colour sets the zeros apart.
    field = np.zeros((6, 6))
    field[1:5, 1:5] = 0.01
    field[2:4, 2:4] = 5.0
    fig = helpers.plot_panels([field], ["d"], cmap="viridis", colorbar=True, colorbar_label="∂y / ∂x",
                              zero_colour="white")
    (panel,) = image_axes(fig)
    drawn = panel.images[0]
    np.testing.assert_array_equal(np.ma.getmaskarray(drawn.get_array()), field == 0)
    assert drawn.get_cmap().get_bad().tolist() == [1.0, 1.0, 1.0, 1.0]
    bar_axes = [ax for ax in fig.axes if ax is not panel]
    assert [ax.get_ylabel() for ax in bar_axes] == ["∂y / ∂x"]
    plain = image_axes(helpers.plot_panels([field], ["d"], cmap="viridis"))[0].images[0]
    assert not np.ma.getmaskarray(plain.get_array()).any()  # without zero_colour, nothing is set apart
    with pytest.raises(ValueError, match="colorbar_label titles the colour bars: pass colorbar=True"):
        helpers.plot_panels([field], ["d"], colorbar_label="x")
    with pytest.raises(ValueError, match="zero_colour must be a matplotlib colour"):
        helpers.plot_panels([field], ["d"], zero_colour="whiteish")
    with pytest.raises(TypeError, match="colorbar_label must be"):
        helpers.plot_panels([field], ["d"], colorbar=True, colorbar_label=3)


def test_plot_panels_true_size_draws_one_pixel_scale():
    big, small = np.zeros((20, 30)), np.ones((5, 10))
    fig = helpers.plot_panels([big, small], ["in", "out"], true_size=True)
    spans = [(np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim())) for ax in image_axes(fig)]
    assert spans == [(30, 20), (30, 20)]  # same extent in both panels: the small one looks small
    assert image_axes(fig)[1].get_xlim() == (-10.5, 19.5)  # centred
    stretched = helpers.plot_panels([big, small], ["in", "out"])
    assert np.ptp(image_axes(stretched)[1].get_xlim()) == 10


@pytest.mark.parametrize("scale, error, message", [
    ("bright", ValueError, r"scale must be one of 'own', 'unit', 'signed'"),
    ((1, 0), ValueError, r"scale must be a \(low, high\) pair with low < high"),
    (["unit"], ValueError, "scale must be one setting for every panel or a list of 2"),
    (["unit", 3], TypeError, r"scale\[1\] must be one of 'own', 'unit', 'signed' or a \(low, high\) pair"),
    ((0, "x"), TypeError, r"scale\[0\] must be one of"),
])
def test_plot_panels_rejects_bad_scales(scale, error, message):
    with pytest.raises(error, match=message):
        helpers.plot_panels([np.zeros((2, 2)), np.ones((2, 2))], ["a", "b"], scale=scale)


@pytest.mark.parametrize("images, titles, message", [
    ([np.zeros((2, 2))], ["a", "b"], "equal length"),
    ([], [], "non-empty"),
    ([np.zeros((2, 2, 2))], ["a"], r"each image must be 2-D"),
])
def test_plot_panels_rejects_bad_input(images, titles, message):
    with pytest.raises(ValueError, match=message):
        helpers.plot_panels(images, titles)


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}


def test_learning_curves_from_a_history_dict():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.6],
               "accuracy": [0.5, 0.7, 0.9], "val_accuracy": [0.4, 0.6, 0.65]}
    fig = helpers.plot_learning_curves(history)
    loss_ax, acc_ax = fig.axes
    lines = lines_by_label(loss_ax)
    np.testing.assert_array_equal(lines["train"].get_ydata(), history["loss"])
    np.testing.assert_array_equal(lines["validation"].get_xdata(), [1, 2, 3])
    assert lines["train"].get_linestyle() == "-" and lines["validation"].get_linestyle() == "--"
    assert acc_ax.get_xlabel() == "epoch" and acc_ax.get_ylabel() == "accuracy"


def test_learning_curves_from_a_record_and_overlaid():
    record = helpers.TrainingRecord(iterations=[1, 2, 3, 4], train_loss=[2, 1, 1, 0.5],
                                    train_accuracy=[0.1, 0.3, 0.5, 0.6], eval_iterations=[2, 4],
                                    eval_accuracy=[0.2, 0.55])
    fig = helpers.plot_learning_curves({"lenet": record, "other": {"loss": [1.0, 0.8]}})
    acc = lines_by_label(fig.axes[1])
    np.testing.assert_array_equal(acc["lenet validation"].get_xdata(), [2, 4])
    assert fig.axes[0].get_xlabel() in ("iteration", "epoch")
    assert lines_by_label(fig.axes[0])["other train"].get_color() != acc["lenet validation"].get_color()
    # a second cue besides colour: each overlaid run has its own marker
    assert lines_by_label(fig.axes[0])["other train"].get_marker() != acc["lenet validation"].get_marker()
    assert all(t.get_fontsize() >= 10 for t in fig.legends[0].get_texts())


def test_overlaid_runs_differ_in_marker_as_well_as_colour():
    runs = {f"run {k}": {"loss": [1.0, 0.5], "val_loss": [1.2, 0.9]} for k in range(5)}
    lines = lines_by_label(helpers.plot_learning_curves(runs).axes[0])
    markers = [lines[f"run {k} validation"].get_marker() for k in range(5)]
    assert len(set(markers)) == 5 and lines["run 2 train"].get_marker() == markers[2]
    long = helpers.plot_learning_curves({"a": {"loss": list(np.linspace(1, 0, 200))}})
    assert long.axes[0].lines[0].get_markevery() == 10  # a long curve keeps about 20 markers


def test_several_runs_share_one_legend_under_the_panels():
    runs = {f"run {k}": {"loss": [1.0, 0.5], "val_loss": [1.2, 0.9]} for k in range(5)}
    fig = helpers.plot_learning_curves(runs)
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][:2] == ["run 0 train", "run 0 validation"]
    assert len(legend.get_texts()) == 10 and all(t.get_fontsize() >= 10 for t in legend.get_texts())
    two = helpers.plot_learning_curves({"a": runs["run 0"], "b": runs["run 1"]})
    assert len(two.legends) == 1 and all(ax.get_legend() is None for ax in two.axes)
    one = helpers.plot_learning_curves(runs["run 0"])  # one run: its legend stays in the panel
    assert not one.legends and one.axes[0].get_legend() is not None


def test_smoothing_and_bad_runs():
    np.testing.assert_allclose(helpers.plots.smooth([1, 1, 1], 0.9), [1, 1, 1])
    np.testing.assert_allclose(helpers.plots.smooth([0, 10], 0.5), [0, 10 * 0.5 / 0.75])
    with pytest.raises(ValueError, match=r"smoothing must lie in \[0, 1\)"):
        helpers.plots.smooth([1], 1.0)
    with pytest.raises(TypeError, match="each run must be a keras History"):
        helpers.plot_learning_curves({"a": [1, 2, 3]})
    with pytest.raises(ValueError, match="is an empty TrainingRecord"):
        helpers.plot_learning_curves(helpers.TrainingRecord())


def test_search_plot_draws_one_marked_line_per_option_on_a_log_axis():
    fig = helpers.plot_search({"SGD": [0.1, 0.3, 0.2], "Adam": [0.6, 0.1, 0.1]}, [1e-3, 1e-2, 1e-1], chance=0.1,
                              title="search")
    ax = fig.axes[0]
    lines = lines_by_label(ax)
    np.testing.assert_array_equal(lines["Adam"].get_ydata(), [0.6, 0.1, 0.1])
    np.testing.assert_array_equal(lines["SGD"].get_xdata(), [1e-3, 1e-2, 1e-1])
    assert ax.get_xscale() == "log" and lines["SGD"].get_marker() != lines["Adam"].get_marker()
    assert lines["chance (0.1)"].get_linestyle() == ":" and ax.get_title() == "search"
    linear = helpers.plot_search({"schedule": [0.0, 1.0, 0.5]}, [0, 1, 2], log_x=False).axes[0]
    assert linear.get_xscale() == "linear"
    dodged = lines_by_label(helpers.plot_search({"a": [0.1, 0.1], "b": [0.1, 0.1]}, [1e-2, 1e-1], dodge=0.1).axes[0])
    np.testing.assert_allclose(dodged["a"].get_xdata() * 1.1, dodged["b"].get_xdata())  # side by side, not on top


@pytest.mark.parametrize("scores, values, message", [
    ({"a": [1, 2]}, [1e-3, 0], "values must be one or more positive numbers"),
    ({"a": [1, 2]}, [1e-3], r"scores\['a'\] must hold one score per value \(1\), got 2"),
    ({}, [1e-3], "scores must be a non-empty dict"),
    ({"a": [1]}, [float("nan")], "values must be finite"),
    ([0.1], [1e-3], "scores must be a non-empty dict"),
])
def test_search_plot_rejects_bad_input(scores, values, message):
    with pytest.raises((TypeError, ValueError), match=message):
        helpers.plot_search(scores, values)


def test_augmented_variants_are_random_shaped_and_reproducible_from_the_seed_the_layer_was_built_under():
    import keras  # here, not at the top: the other figure tests need no TensorFlow

    image = np.random.default_rng(0).uniform(0, 1, (12, 12, 1)).astype("float32")

    def draw(seed):
        keras.utils.set_random_seed(seed)
        return helpers.augmented_variants(keras.layers.RandomTranslation(0.3, 0.3, fill_mode="constant"),
                                           image, 4)
    first = draw(1)
    assert first.shape == (4, 12, 12, 1) and first.dtype == np.float32
    assert np.array_equal(first, draw(1))
    assert not np.allclose(first[0], first[1])
    assert not np.allclose(first, draw(2))


def test_an_identity_augmentation_returns_copies():
    import keras

    image = np.full((6, 6, 1), 0.5, dtype="float32")
    assert np.array_equal(helpers.augmented_variants(keras.layers.Identity(), image, 3),
                          np.repeat(image[None], 3, axis=0))


def test_augmented_variants_bad_inputs():
    import keras

    with pytest.raises(ValueError, match="0–255|divide by 255"):
        helpers.augmented_variants(keras.layers.Identity(), np.full((4, 4, 1), 200.0), 2)
    with pytest.raises(TypeError, match="augment"):
        helpers.augmented_variants("flip", np.zeros((4, 4, 1)), 2)
    with pytest.raises(ValueError, match="count"):
        helpers.augmented_variants(keras.layers.Identity(), np.zeros((4, 4, 1)), 0)


def test_augmented_figure_draws_every_image_on_one_fixed_scale():
    images = [np.full((5, 5, 1), 0.2), np.full((5, 5, 1), 0.4), np.full((5, 5), 0.9)]
    fig = helpers.plot_augmented(images, ["original", "a", "b"], ncols=2, title="t")
    assert isinstance(fig, Figure)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 3 and all(ax.images[0].get_clim() == (0.0, 1.0) for ax in drawn)
    assert [ax.get_title() for ax in drawn] == ["original", "a", "b"]


def test_augmented_figure_refuses_mismatched_titles_and_unscaled_images():
    with pytest.raises(ValueError, match="same length"):
        helpers.plot_augmented([np.zeros((4, 4))] * 2, ["one"])
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        helpers.plot_augmented([np.full((4, 4), 3.0)], ["x"])
    with pytest.raises(ValueError, match="one shape"):
        helpers.plot_augmented([np.zeros((4, 4)), np.zeros((5, 5))], ["x", "y"])
