import warnings

import keras
import matplotlib
import numpy as np
import pytest

from helpers import evaluation

matplotlib.use("Agg")
NAMES = ("cat", "dog", "fox")
Y_TRUE = np.array([0, 0, 1, 1, 2, 2, 2])
PROBS = np.array([
    [0.9, 0.05, 0.05],   # right
    [0.2, 0.7, 0.1],     # wrong: dog, 0.7
    [0.1, 0.8, 0.1],     # right
    [0.05, 0.05, 0.9],   # wrong: fox, 0.9  <- most confident mistake
    [0.1, 0.1, 0.8],     # right
    [0.3, 0.6, 0.1],     # wrong: dog, 0.6
    [0.2, 0.2, 0.6],     # right
])
Y_PRED = PROBS.argmax(axis=1)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    matplotlib.pyplot.close("all")


def test_confusion_matrix_figure_holds_the_counts():
    fig = evaluation.plot_confusion_matrix(Y_TRUE, Y_PRED, NAMES)
    ax = fig.axes[0]  # the colour bar comes after it
    expected = np.array([[1, 1, 0], [0, 1, 1], [0, 1, 2]])
    assert [t.get_text() for t in ax.texts] == [str(v) for v in expected.ravel()]
    diagonal, off_diagonal = ax.images  # the diagonal in grey, the confusions on their own scale
    shares = off_diagonal.get_array()
    assert shares.mask.tolist() == np.eye(3, dtype=bool).tolist()
    np.testing.assert_allclose(shares.filled(0), expected / expected.sum(axis=1, keepdims=True) * (1 - np.eye(3)))
    assert off_diagonal.get_clim()[1] == pytest.approx(0.5)  # the largest confusion, not the largest recall
    assert [t.get_text() for t in ax.get_xticklabels()] == list(NAMES)
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "actual class"


def test_most_confident_mistakes_come_first():
    np.testing.assert_array_equal(evaluation.most_confident_mistakes(Y_TRUE, PROBS, k=5), [3, 1, 5])
    np.testing.assert_array_equal(evaluation.most_confident_mistakes(Y_TRUE, PROBS, k=1), [3])


def test_most_confused_pairs_are_counted_and_sorted():
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([1, 1, 2, 1, 0, 2])
    assert evaluation.most_confused_pairs(y_true, y_pred, NAMES, k=5) == [(0, 1, 2), (0, 2, 1), (1, 0, 1)]


def test_classification_table_and_bars():
    text, report = evaluation.classification_table(Y_TRUE, Y_PRED, NAMES)
    assert "precision" in text and report["cat"]["recall"] == 0.5 and report["fox"]["precision"] == 2 / 3
    fig = evaluation.plot_precision_recall_f1(report, NAMES)
    heights = [round(p.get_height(), 3) for p in fig.axes[0].patches]
    assert heights[:3] == [1.0, 0.333, 0.667]  # precision of cat, dog, fox
    with pytest.raises(ValueError, match=r"report has no rows for \['wolf'\]"):
        evaluation.plot_precision_recall_f1(report, ("cat", "wolf"))


def test_prediction_grid_titles_show_confidence_and_mistakes():
    images = np.zeros((7, 4, 4))
    fig = evaluation.plot_predictions(images, Y_TRUE, PROBS, NAMES, indices=[0, 3])
    titles = [ax.get_title().replace("\n", " ") for ax in fig.axes if ax.images]
    assert titles == ["cat / cat 90%", "dog / fox 90% ✗"]


def test_confidence_plot_splits_right_and_wrong_as_shares_and_counts_each_bin():
    fig = evaluation.plot_confidence(Y_TRUE, PROBS, bins=10)
    hist_ax, reliability_ax = fig.axes
    labels = [t.get_text() for t in hist_ax.get_legend().get_texts()]
    assert labels == ["right (4 test answers)", "wrong (3 test answers)"]
    right_bars = hist_ax.containers[0]
    assert sum(bar.get_height() for bar in right_bars) == pytest.approx(1.0)  # a share of its own group
    assert sum(int(t.get_text()[2:]) for t in reliability_ax.texts) == len(Y_TRUE)  # n per bin adds up


def test_filters_one_panel_per_filter():
    layer = keras.layers.Conv2D(5, 3)
    layer.build((None, 8, 8, 3))
    fig = evaluation.plot_filters(layer)
    assert len([ax for ax in fig.axes if ax.images]) == 5
    assert fig.axes[0].images[0].get_array().shape == (3, 3, 3)
    with pytest.raises(TypeError, match="layer must be a keras Conv2D layer"):
        evaluation.plot_filters(keras.layers.Dense(3))


def test_feature_maps_one_row_per_chosen_conv_layer():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, name="first"),
                              keras.layers.MaxPooling2D(), keras.layers.Conv2D(2, 3, name="second"),
                              keras.layers.Conv2D(3, 1, name="last")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warned on every call when the probe took a list of inputs
        fig = evaluation.plot_feature_maps(model, np.ones((8, 8, 1)), max_maps=3)
    rows = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert rows == ["conv layer 1 of 3\n6×6", "conv layer 3 of 3\n1×1"]  # the first and the last by default
    assert len([ax for ax in fig.axes if ax.images]) == 3 + 3
    chosen = evaluation.plot_feature_maps(model, np.ones((8, 8, 1)), max_maps=8, layers=["second"])
    assert len([ax for ax in chosen.axes if ax.images]) == 2
    assert chosen.axes[0].images[0].get_array().shape == (1, 1)  # 8 → 6 → pool 3 → 1
    with pytest.raises(ValueError, match=r"image must have the model's input shape \(8, 8, 1\)"):
        evaluation.plot_feature_maps(model, np.ones((8, 8)))
    with pytest.raises(ValueError, match=r"layers must name Conv2D layers of the model \(first, second, last\)"):
        evaluation.plot_feature_maps(model, np.ones((8, 8, 1)), layers=["pool"])
    with pytest.raises(TypeError, match="layers must be a non-empty list"):
        evaluation.plot_feature_maps(model, np.ones((8, 8, 1)), layers="first")


def test_figures_name_the_split_and_use_10_point_text():
    fig = evaluation.plot_confusion_matrix(Y_TRUE, Y_PRED, NAMES, split="validation")
    assert fig.axes[0].get_title().startswith("7 validation images")
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 10
    confidence = evaluation.plot_confidence(Y_TRUE, PROBS, split="validation").axes[0]
    assert confidence.get_legend().get_texts()[0].get_text() == "right (4 validation answers)"
    with pytest.raises(ValueError, match="split must be one of"):
        evaluation.plot_confusion_matrix(Y_TRUE, Y_PRED, NAMES, split="train")


def test_class_probabilities_softmaxes_logits_only():
    logits = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    probs = evaluation.class_probabilities(logits, np.ones((4, 2)))
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-9)
    softmax = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    np.testing.assert_allclose(evaluation.class_probabilities(softmax, np.ones((1, 2))),
                               softmax.predict(np.ones((1, 2)), verbose=0), atol=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda: evaluation.plot_confusion_matrix(Y_TRUE, Y_PRED[:-1], NAMES), ValueError,
     "y_true and y_pred must have the same length"),
    (lambda: evaluation.plot_confusion_matrix(Y_TRUE, Y_PRED, NAMES[:2]), ValueError, r"y_true must lie in 0\.\.1"),
    (lambda: evaluation.most_confused_pairs(Y_TRUE, Y_PRED + 1, NAMES), ValueError, r"y_pred must lie in 0\.\.2"),
    (lambda: evaluation.most_confident_mistakes(Y_TRUE, PROBS[:3]), ValueError,
     r"probabilities must have one row per example \(7\), got 3"),
    (lambda: evaluation.most_confident_mistakes(Y_TRUE, PROBS, k=0), ValueError, "k must be at least 1"),
    (lambda: evaluation.most_confident_mistakes(Y_TRUE, PROBS * 5), ValueError, "If these are logits"),
    (lambda: evaluation.plot_predictions(np.zeros((6, 4, 4)), Y_TRUE, PROBS, NAMES), ValueError,
     "images and y_true must have the same length"),
    (lambda: evaluation.plot_predictions(np.zeros((7, 4, 4)), Y_TRUE, PROBS, NAMES[:2]), ValueError,
     r"probabilities must have one column per class \(2\), got 3"),
])
def test_bad_input_is_rejected(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_mcnemar_counts_only_the_examples_where_the_models_disagree():
    right_a = np.array([True] * 6 + [True] * 50 + [False] * 10)
    right_b = np.array([False] * 6 + [True] * 50 + [False] * 10)
    assert evaluation.mcnemar_p(right_a, right_b) == pytest.approx(2 / 2**6)  # 6 to 0: two tails of 1/64
    assert evaluation.mcnemar_p(right_b, right_a) == evaluation.mcnemar_p(right_a, right_b)
    agreeing = np.array([True, False, True])
    assert evaluation.mcnemar_p(agreeing, agreeing) == 1.0
    even = np.array([True, False] * 5)
    assert evaluation.mcnemar_p(even, ~even) == 1.0  # 5 to 5: no evidence either way


def test_mcnemar_matches_scipys_exact_binomial_test():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(5):
        right_a, right_b = rng.random(200) < 0.8, rng.random(200) < 0.7
        only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b))
        expected = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue
        assert evaluation.mcnemar_p(right_a, right_b) == pytest.approx(expected, rel=1e-9)


def test_mcnemar_refuses_scores_that_are_not_right_or_wrong():
    with pytest.raises(TypeError, match="right_a must be a boolean array"):
        evaluation.mcnemar_p(np.array([0.9, 0.1]), np.array([True, False]))
    with pytest.raises(ValueError, match="right_a and right_b must have the same length"):
        evaluation.mcnemar_p(np.array([True, False]), np.array([True]))
