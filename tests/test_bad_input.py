"""The slips learners make, one row each: every public helper refuses them with a clear error.

Each row calls a helper with one wrong argument and states the error type and a
fragment of the message that names the argument (and, where the slip is common,
the hint). No row may end in an error raised inside NumPy, Keras or matplotlib:
the error must be raised by ``helpers`` itself.
"""

from __future__ import annotations

import functools
import inspect
import traceback
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import helpers
from helpers import (
    artifacts,
    checks,
    data,
    evaluation,
    models,
    network,
    ops,
    plots,
    recipes,
    runtime,
    standins,
    training,
    widgets,
)
from helpers.training import TrainingRecord

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, (12, 28, 28), dtype=np.uint8)  # images as the loaders return them
UNIT = U8.astype(np.float32) / 255  # the same, scaled for a model
RGB = RNG.random((6, 8, 8, 3)).astype(np.float32)
Y = np.arange(12) % 3  # three classes
NAMES = ("a", "b", "c")
PROBS = np.full((12, 3), 1 / 3)
LOGITS = RNG.normal(0, 3, (12, 3))
ONE_HOT = np.eye(3)[Y]
NAN_UNIT = UNIT.copy()
NAN_UNIT[0, 0, 0] = np.nan
PROFILE = helpers.Profile("smoke", "set by the test", True, Path("/nonexistent/artifacts"))
RECORD = TrainingRecord(iterations=[1, 2], train_loss=[1.0, 0.9], train_accuracy=[0.2, 0.3],
                        batch_size=4, eval_size=2)


@functools.cache
def tiny_model():
    """One compiled 3-class model on 28×28×1 images, shared by every row that needs a model."""
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@functools.cache
def tiny_conv():
    import keras

    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3)])


def train(**changes):
    """train_on_batches with valid arguments, except ``changes``."""
    kwargs = dict(model=tiny_model(), x_train=UNIT[..., None], y_train=Y, x_eval=UNIT[..., None],
                  y_eval=Y, iterations=1, batch_size=4, eval_every=1, eval_size=4, progress=False)
    kwargs.update(changes)
    return training.train_on_batches(**kwargs)


def quietly(function, *args, **kwargs):
    """Call ``function`` without the stand-in's warning (announced and tested elsewhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.StandInWarning)
        return function(*args, **kwargs)


def uncompiled():
    import keras

    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])


CASES = [
    # --- checks: the shared wording --------------------------------------------------------
    ("integer bool", lambda: checks.integer(True, "epochs"), TypeError, "epochs must be an integer"),
    ("integer str", lambda: checks.integer("3", "epochs"), TypeError, "epochs must be an integer, got str"),
    ("integer float", lambda: checks.integer(3.0, "epochs"), TypeError, "epochs must be an integer"),
    ("integer too big", lambda: checks.integer(10**16, "n", maximum=100), ValueError, "n must be at most 100"),
    ("positive_int zero", lambda: checks.positive_int(0, "k"), ValueError, "k must be at least 1"),
    ("number str", lambda: checks.number("0.1", "rate"), TypeError, "rate must be a number"),
    ("number nan", lambda: checks.number(float("nan"), "rate"), ValueError, "rate must be a finite number"),
    ("number bool", lambda: checks.number(False, "rate"), TypeError, "rate must be a number"),
    ("number range", lambda: checks.number(1.5, "rate", 0, 1), ValueError, r"rate must lie in \[0, 1\]"),
    ("boolean str", lambda: checks.boolean("no", "shuffle"), TypeError, "shuffle must be True or False"),
    ("boolean int", lambda: checks.boolean(1, "shuffle"), TypeError, "shuffle must be True or False"),
    ("one_of list", lambda: checks.one_of(["a"], "mode", ("a", "b")), ValueError, "mode must be one of"),
    ("text empty", lambda: checks.text("  ", "title"), ValueError, "title must not be empty"),
    ("text none", lambda: checks.text(None, "title"), TypeError, "title must be a string"),
    ("file_stem path", lambda: checks.file_stem("../x", "stem"), ValueError, "stem must be a plain file name"),
    ("array none", lambda: checks.array(None, "x"), TypeError, "x must be an array, got NoneType"),
    ("array str", lambda: checks.array("abc", "x"), TypeError, "x must be an array"),
    ("array ragged", lambda: checks.array([[1, 2], [3]], "x"), ValueError, "x must be a rectangular array"),
    ("array objects", lambda: checks.array([object()], "x"), TypeError, "x must hold numbers"),
    ("array empty", lambda: checks.array([], "x"), ValueError, "x is empty"),
    ("array rank", lambda: checks.array(np.zeros(3), "x", ndim=2), ValueError, "x must have 2 dimensions"),
    ("finite inf", lambda: checks.finite(np.array([1.0, np.inf]), "x"), ValueError, "x must be finite"),
    ("same_length", lambda: checks.same_length([1], "x", [1, 2], "y"), ValueError,
     "x and y must have the same length"),
    ("same_length none", lambda: checks.same_length(None, "x", [1], "y"), TypeError, "x must have a length"),
    ("images 0-255 floats", lambda: checks.images(U8.astype(float), "x"), ValueError, "divide by 255"),
    ("images uint8 for unit", lambda: checks.images(U8, "x", scale="unit"), ValueError,
     r"x.astype\('float32'\) / 255"),
    ("images float for uint8", lambda: checks.images(UNIT, "x", scale="uint8"), ValueError,
     "x must be uint8 images"),
    ("images channels", lambda: checks.images(np.zeros((2, 4, 4, 5)), "x"), ValueError, "C in"),
    ("images int range", lambda: checks.images(np.full((1, 2, 2), 300), "x"), ValueError, "0–255"),
    ("images negative", lambda: checks.images(UNIT - 0.5, "x"), ValueError, "x must hold float pixel values"),
    ("pixel_values scale", lambda: checks.pixel_values(UNIT, "x", scale="0-1"), ValueError, "scale must be"),
    ("labels one-hot", lambda: checks.labels(ONE_HOT, "y"), ValueError, r"y.argmax\(axis=1\)"),
    ("labels float", lambda: checks.labels(Y.astype(float), "y"), TypeError, r"y.astype\(int\)"),
    ("labels range", lambda: checks.labels(Y, "y", num_classes=2), ValueError, "y must lie in 0..1"),
    ("labels negative", lambda: checks.labels(Y - 1, "y", num_classes=3), ValueError, "y must lie in 0..2"),
    ("class_names str", lambda: checks.class_names("abc"), TypeError, "class_names must be a sequence"),
    ("class_names one", lambda: checks.class_names(["a"]), ValueError, "class_names must name at least two"),
    ("class_names repeat", lambda: checks.class_names(["a", "a"]), ValueError, "must not repeat"),
    ("class_names ints", lambda: checks.class_names([0, 1]), TypeError, "class_names must hold non-empty strings"),
    ("probabilities logits", lambda: checks.probabilities(LOGITS, "p"), ValueError, "softmax"),
    ("probabilities rows", lambda: checks.probabilities(PROBS, "p", rows=3), ValueError, "p must have one row"),
    ("probabilities cols", lambda: checks.probabilities(PROBS, "p", columns=4), ValueError,
     "p must have one column per class"),

    # --- data --------------------------------------------------------------------------------
    ("dataset_info unknown", lambda: helpers.dataset_info("svhn"), ValueError, "name must be one of"),
    ("dataset_info none", lambda: helpers.dataset_info(None), TypeError, "name must be a string"),
    ("expected_files int", lambda: helpers.expected_files(3), TypeError, "name must be a string"),
    ("is_cached unknown", lambda: helpers.is_cached("MNIST-ish"), ValueError, "name must be one of"),
    ("check_cache unknown", lambda: data.check_cache("cifar100"), ValueError, "name must be one of"),
    ("load_dataset profile str", lambda: helpers.load_dataset("mnist", "smoke"), TypeError,
     "profile must be a helpers.Profile"),
    ("load_dataset 10**16", lambda: helpers.load_dataset("mnist", PROFILE, train_size=10**16), ValueError,
     "train_size must be at most 60,000"),
    ("load_dataset test_size bool", lambda: helpers.load_dataset("mnist", PROFILE, test_size=True), TypeError,
     "test_size must be an integer"),
    ("load_dataset size str", lambda: helpers.load_dataset("mnist", PROFILE, train_size="all"), TypeError,
     "train_size must be an integer"),
    ("load_dataset seed", lambda: helpers.load_dataset("mnist", PROFILE, seed=-1), ValueError,
     "seed must be at least 0"),
    ("load_dataset validation 1.0", lambda: helpers.load_dataset("mnist", PROFILE, validation_size=1.0),
     ValueError, "validation_size must lie in"),
    ("load_dataset validation bool", lambda: helpers.load_dataset("mnist", PROFILE, validation_size=True),
     TypeError, "validation_size must be an int"),
    ("load_dataset validation too big",
     lambda: quietly(helpers.load_dataset, "mnist", PROFILE, train_size=100, test_size=20,
                     validation_size=100),
     ValueError, "validation_size"),
    ("stratified_indices one-hot", lambda: data.stratified_indices(ONE_HOT, 3), ValueError,
     r"y.argmax\(axis=1\)"),
    ("stratified_indices size 0", lambda: data.stratified_indices(Y, 0), ValueError, "size must be at least 1"),
    ("stratified_indices seed", lambda: data.stratified_indices(Y, 3, seed="0"), TypeError,
     "seed must be an integer"),
    ("stratified_subset one-hot", lambda: helpers.stratified_subset(UNIT, ONE_HOT, 6), ValueError,
     r"y.argmax\(axis=1\)"),
    ("stratified_subset x none", lambda: helpers.stratified_subset(None, Y, 6), TypeError, "x must be an array"),
    ("stratified_subset y none", lambda: helpers.stratified_subset(UNIT, None, 6), TypeError, "y must be an array"),
    ("stratified_subset size", lambda: helpers.stratified_subset(UNIT, Y, 13), ValueError, "size must be at most 12"),
    ("stratified_subset size float", lambda: helpers.stratified_subset(UNIT, Y, 0.5), TypeError,
     "size must be an integer"),
    ("stratified_subset lengths", lambda: helpers.stratified_subset(UNIT[:5], Y, 3), ValueError,
     "x and y must have the same length"),
    ("validation_split size 0", lambda: helpers.validation_split(UNIT, Y, 0), ValueError, "validation_size"),
    ("validation_split all", lambda: helpers.validation_split(UNIT, Y, 12), ValueError, "validation_size"),
    ("validation_split str", lambda: helpers.validation_split(UNIT, Y, "10%"), TypeError, "validation_size"),
    ("image_batches floats", lambda: helpers.image_batches(UNIT, Y, 4), ValueError, "x must be uint8 images"),
    ("image_batches batch 0", lambda: helpers.image_batches(U8, Y, 0), ValueError, "batch_size must be at least 1"),
    ("image_batches shuffle str", lambda: helpers.image_batches(U8, Y, 4, shuffle="yes"), TypeError,
     "shuffle must be True or False"),
    ("image_batches labels", lambda: helpers.image_batches(U8, Y[:5], 4), ValueError,
     "x and y must have the same length"),
    ("sample_images huge", lambda: helpers.sample_images(downscale=10**6), ValueError,
     "downscale must be at most 32"),
    ("sample_images float", lambda: helpers.sample_images(downscale=2.5), TypeError,
     "downscale must be an integer"),
    ("sample_images zero", lambda: helpers.sample_images(downscale=0), ValueError, "downscale must be at least 1"),

    # --- standins ----------------------------------------------------------------------------
    ("make_shapes 10**16", lambda: standins.make_shapes(10**16), ValueError, "n must be at most 60,000"),
    ("make_shapes channels", lambda: standins.make_shapes(10, channels=2), ValueError, "channels must be one of"),
    ("make_shapes size", lambda: standins.make_shapes(10, image_size=8), ValueError, "image_size must be at least 16"),
    ("make_shapes n str", lambda: standins.make_shapes("10"), TypeError, "n must be an integer"),
    ("digits fraction", lambda: standins.digits_like_mnist(test_fraction=1.0), ValueError, "test_fraction must lie"),
    ("digits seed", lambda: standins.digits_like_mnist(seed=0.5), TypeError, "seed must be an integer"),

    # --- runtime -----------------------------------------------------------------------------
    ("setup deterministic no", lambda: helpers.setup(0, PROFILE, deterministic="no"), TypeError,
     "deterministic must be True or False"),
    ("setup profile str", lambda: helpers.setup(0, "smoke"), TypeError, "profile must be a helpers.Profile"),
    ("setup seed negative", lambda: helpers.setup(-1, PROFILE), ValueError, "seed must be at least 0"),
    ("setup seed float", lambda: helpers.setup(1.5, PROFILE), TypeError, "seed must be an integer"),
    ("seed_everything big", lambda: runtime.seed_everything(2**40), ValueError, "seed must be at most"),
    ("resolve_profile unknown", lambda: helpers.resolve_profile("fast"), ValueError, "PROFILE must be one of"),
    ("resolve_profile int", lambda: helpers.resolve_profile(1), TypeError, "PROFILE must be a string"),
    ("resolve_profile standin str", lambda: helpers.resolve_profile("smoke", allow_standin="yes"), TypeError,
     "allow_standin must be True or False"),
    ("Profile name", lambda: helpers.Profile("turbo"), ValueError, "Profile.name must be one of"),
    ("Profile root str", lambda: helpers.Profile("smoke", artifacts_root="/tmp"), TypeError,
     "Profile.artifacts_root must be a pathlib.Path"),
    ("environment_report", lambda: runtime.environment_report(None), TypeError, "profile must be a helpers.Profile"),
    ("artifacts_dir", lambda: helpers.artifacts_dir("smoke"), TypeError, "profile must be a helpers.Profile"),
    ("use_test_environment profile", lambda: runtime.use_test_environment("/tmp", profile="fast"), ValueError,
     "profile must be one of"),
    ("use_test_environment root", lambda: runtime.use_test_environment(None), TypeError,
     "root must be a str or pathlib.Path"),

    # --- plots -------------------------------------------------------------------------------
    ("plot_image_grid none", lambda: helpers.plot_image_grid(None), TypeError, "images must be an array"),
    ("plot_image_grid 0-255 floats", lambda: helpers.plot_image_grid(U8.astype(float)), ValueError,
     "divide by 255"),
    ("plot_image_grid nan", lambda: helpers.plot_image_grid(NAN_UNIT), ValueError, "images must be finite"),
    ("plot_image_grid labels long", lambda: helpers.plot_image_grid(UNIT, np.arange(13) % 3, NAMES),
     ValueError, "labels and images must have the same length"),
    ("plot_image_grid label range", lambda: helpers.plot_image_grid(UNIT, Y + 1, NAMES), ValueError,
     "labels must lie in 0..2"),
    ("plot_image_grid names none", lambda: helpers.plot_image_grid(UNIT, Y, 5), TypeError,
     "class_names must be a sequence"),
    ("plot_image_grid ncols", lambda: helpers.plot_image_grid(UNIT, ncols=0), ValueError, "ncols must be at least 1"),
    ("plot_image_grid predictions alone", lambda: helpers.plot_image_grid(UNIT, predictions=Y), ValueError,
     "predictions need labels"),
    ("plot_image_grid confidences", lambda: helpers.plot_image_grid(
        UNIT, Y, NAMES, predictions=Y, confidences=np.full(12, 3.0)), ValueError, "confidences"),
    ("plot_image_grid panel_size", lambda: helpers.plot_image_grid(UNIT, panel_size="big"), TypeError,
     "panel_size must be a number"),
    ("plot_class_distribution list", lambda: helpers.plot_class_distribution([Y], NAMES), TypeError,
     "label_sets must be a non-empty mapping"),
    ("plot_class_distribution range", lambda: helpers.plot_class_distribution({"train": Y + 5}, NAMES),
     ValueError, r"label_sets\['train'\] must lie in 0..2"),
    ("plot_class_distribution names", lambda: helpers.plot_class_distribution({"train": Y}, None), TypeError,
     "class_names must be a sequence"),
    ("plot_channel_histograms 0-255 float64",
     lambda: helpers.plot_channel_histograms(RGB.astype(np.float64) * 255), ValueError, "divide by 255"),
    ("plot_channel_histograms names none", lambda: helpers.plot_channel_histograms(RGB, None), TypeError,
     "channel_names must be a sequence"),
    ("plot_channel_histograms names count", lambda: helpers.plot_channel_histograms(RGB, ("r", "g")),
     ValueError, "channel_names has 2 names for 3 channels"),
    ("plot_channel_histograms bins", lambda: helpers.plot_channel_histograms(RGB, bins=0), ValueError,
     "bins must be at least 1"),
    ("examples_per_class one-hot", lambda: helpers.examples_per_class(ONE_HOT, 2), ValueError,
     r"labels.argmax\(axis=1\)"),
    ("examples_per_class per_class", lambda: helpers.examples_per_class(Y, 0), ValueError,
     "per_class must be at least 1"),
    ("examples_per_class 10**16 classes", lambda: helpers.examples_per_class(Y, 2, num_classes=10**16),
     ValueError, "num_classes must be at most 10,000"),
    ("examples_per_class num_classes", lambda: helpers.examples_per_class(Y, 2, num_classes=2), ValueError,
     "labels must lie in 0..1"),
    ("plot_search log of 0", lambda: helpers.plot_search({"SGD": [0.1, 0.2]}, [0, 1e-2]), ValueError,
     "values must be one or more positive numbers"),
    ("plot_search lengths", lambda: helpers.plot_search({"SGD": [0.1]}, [1e-3, 1e-2]), ValueError,
     r"scores\['SGD'\] must hold one score per value \(2\), got 1"),
    ("plot_search log_x", lambda: helpers.plot_search({"SGD": [0.1]}, [1e-3], log_x="no"), TypeError,
     "log_x must be True or False"),
    ("plot_panels single image", lambda: helpers.plot_panels(UNIT[0], ["x"]), TypeError,
     "images must be a list of 2-D arrays"),
    ("plot_panels titles str", lambda: helpers.plot_panels([UNIT[0]], "x"), TypeError,
     "images and titles must be lists"),
    ("plot_panels lengths", lambda: helpers.plot_panels([UNIT[0], UNIT[1]], ["x"]), ValueError,
     "images and titles must be non-empty and of equal length"),
    ("plot_panels nan", lambda: helpers.plot_panels([NAN_UNIT[0]], ["x"]), ValueError, r"images\[0\] must be finite"),
    ("plot_panels cmap", lambda: helpers.plot_panels([UNIT[0]], ["x"], cmap=None), TypeError,
     "cmap must be a string"),
    ("plot_panels panel_size", lambda: helpers.plot_panels([UNIT[0]], ["x"], panel_size=0), ValueError,
     "panel_size must lie in"),
    ("plot_panels titles ints", lambda: helpers.plot_panels([UNIT[0]], [3]), TypeError, "titles must hold strings"),
    ("plot_panels scale name", lambda: helpers.plot_panels([UNIT[0]], ["x"], scale="centred"), ValueError,
     "scale must be one of 'own', 'unit', 'signed'"),
    ("plot_panels scale reversed", lambda: helpers.plot_panels([UNIT[0]], ["x"], scale=(1, -1)), ValueError,
     r"scale must be a \(low, high\) pair with low < high"),
    ("plot_panels scale count", lambda: helpers.plot_panels([UNIT[0], UNIT[1]], ["x", "y"], scale=["unit"] * 3),
     ValueError, "scale must be one setting for every panel or a list of 2"),
    ("plot_panels colorbar", lambda: helpers.plot_panels([UNIT[0]], ["x"], colorbar="yes"), TypeError,
     "colorbar must be True or False"),
    ("plot_panels true_size", lambda: helpers.plot_panels([UNIT[0]], ["x"], true_size=1), TypeError,
     "true_size must be True or False"),
    ("show_image none", lambda: plots.show_image(plt.gca(), None), TypeError, "image must be an array"),
    ("show_image 0-255 floats", lambda: plots.show_image(plt.gca(), U8[0].astype(float)), ValueError,
     "divide by 255"),
    ("smooth factor", lambda: plots.smooth([1.0, 2.0], 1.0), ValueError, "smoothing must lie in"),
    ("smooth values", lambda: plots.smooth([1.0, np.nan], 0.5), ValueError, "values must be finite"),
    ("plot_learning_curves none", lambda: helpers.plot_learning_curves(None), TypeError,
     "each run must be a keras History"),
    ("plot_learning_curves smoothing", lambda: helpers.plot_learning_curves(RECORD, smoothing=2), ValueError,
     "smoothing must lie in"),
    ("plot_learning_curves empty record", lambda: helpers.plot_learning_curves({"a": TrainingRecord()}),
     ValueError, r"runs\['a'\] is an empty TrainingRecord"),
    ("plot_learning_curves empty dict", lambda: helpers.plot_learning_curves({}), ValueError,
     "runs must not be empty"),
    ("plot_learning_curves strings", lambda: helpers.plot_learning_curves({"loss": ["a", "b"]}), TypeError,
     r"runs\['loss'\] must hold numbers"),

    # --- evaluation --------------------------------------------------------------------------
    ("mistakes rows sum to 5", lambda: evaluation.most_confident_mistakes(Y, PROBS * 5), ValueError,
     "probabilities must be probabilities"),
    ("mistakes nan", lambda: evaluation.most_confident_mistakes(Y, np.full((12, 3), np.nan)), ValueError,
     "probabilities must be finite"),
    ("mistakes labels beyond classes", lambda: evaluation.most_confident_mistakes(Y + 3, PROBS), ValueError,
     "y_true must lie in 0..2"),
    ("mistakes logits", lambda: evaluation.most_confident_mistakes(Y, LOGITS), ValueError, "softmax"),
    ("mistakes rows", lambda: evaluation.most_confident_mistakes(Y[:5], PROBS), ValueError,
     "probabilities must have one row per example"),
    ("mistakes k", lambda: evaluation.most_confident_mistakes(Y, PROBS, k=True), TypeError, "k must be an integer"),
    ("mistakes none", lambda: evaluation.most_confident_mistakes(None, PROBS), TypeError, "y_true must be an array"),
    ("plot_confidence logits", lambda: evaluation.plot_confidence(Y, LOGITS), ValueError,
     "If these are logits"),
    ("plot_confidence bins", lambda: evaluation.plot_confidence(Y, PROBS, bins=0), ValueError,
     "bins must be at least 1"),
    ("plot_confidence one-hot labels", lambda: evaluation.plot_confidence(ONE_HOT, PROBS), ValueError,
     r"y_true.argmax\(axis=1\)"),
    ("mcnemar predicted labels", lambda: evaluation.mcnemar_p(Y, Y), TypeError,
     r"right_a must be a boolean array \(True where the model is right\)"),
    ("mcnemar lengths", lambda: evaluation.mcnemar_p(Y == 0, Y[:5] == 0), ValueError,
     "right_a and right_b must have the same length"),
    ("confusion lengths", lambda: evaluation.plot_confusion_matrix(Y, Y[:5], NAMES), ValueError,
     "y_true and y_pred must have the same length"),
    ("confusion names none", lambda: evaluation.plot_confusion_matrix(Y, Y, None), TypeError,
     "class_names must be a sequence"),
    ("confusion range", lambda: evaluation.plot_confusion_matrix(Y, Y + 1, NAMES), ValueError,
     "y_pred must lie in 0..2"),
    ("classification_table probs", lambda: evaluation.classification_table(Y, PROBS, NAMES), ValueError,
     r"y_pred.argmax\(axis=1\)"),
    ("precision_recall report", lambda: evaluation.plot_precision_recall_f1([], NAMES), TypeError,
     "report must be the dict"),
    ("precision_recall rows", lambda: evaluation.plot_precision_recall_f1({"a": {}}, NAMES), ValueError,
     "report has no rows"),
    ("precision_recall metrics", lambda: evaluation.plot_precision_recall_f1(
        {n: {"precision": 1.0} for n in (*NAMES, "macro avg")}, NAMES), ValueError, "report"),
    ("confused_pairs k", lambda: evaluation.most_confused_pairs(Y, Y, NAMES, k=0), ValueError,
     "k must be at least 1"),
    ("grad_cam model", lambda: helpers.grad_cam(None, UNIT[..., None]), TypeError, "model must be a keras.Model"),
    ("grad_cam 0-255", lambda: helpers.grad_cam(models.lenet5(), U8[..., None]), ValueError,
     "images must be float images"),
    ("grad_cam no conv", lambda: helpers.grad_cam(tiny_model(), UNIT[..., None]), ValueError, "model has no Conv2D"),
    ("grad_cam feature-map output", lambda: helpers.grad_cam(tiny_conv(), UNIT[:2, :8, :8, None]), ValueError,
     r"model must output class scores shaped \(N, classes\)"),
    ("plot_grad_cam heatmap size", lambda: evaluation.plot_grad_cam(UNIT, UNIT[:, :8, :8], Y, PROBS, NAMES),
     ValueError, "heatmaps must have the images' height and width"),
    ("plot_grad_cam heatmap range", lambda: evaluation.plot_grad_cam(UNIT, UNIT * 2, Y, PROBS, NAMES), ValueError,
     r"heatmaps must lie in \[0, 1\]"),
    ("plot_predictions 0-255", lambda: evaluation.plot_predictions(U8.astype(float), Y, PROBS, NAMES),
     ValueError, "divide by 255"),
    ("plot_predictions names count", lambda: evaluation.plot_predictions(UNIT, Y, PROBS, ("a", "b")),
     ValueError, "probabilities must have one column per class"),
    ("plot_predictions indices", lambda: evaluation.plot_predictions(UNIT, Y, PROBS, NAMES, indices=[20]),
     ValueError, "indices must lie in 0..11"),
    ("plot_predictions indices float", lambda: evaluation.plot_predictions(
        UNIT, Y, PROBS, NAMES, indices=[0.5]), TypeError, "indices must be integer positions"),
    ("class_probabilities model", lambda: evaluation.class_probabilities(None, UNIT), TypeError,
     "model must be a keras.Model"),
    ("class_probabilities uint8", lambda: evaluation.class_probabilities(tiny_model(), U8[..., None]),
     ValueError, "x must be float images in"),
    ("class_probabilities shape", lambda: evaluation.class_probabilities(tiny_model(), RGB), ValueError,
     "x must be shaped"),
    ("class_probabilities batch", lambda: evaluation.class_probabilities(tiny_model(), UNIT[..., None],
                                                                          batch_size=0),
     ValueError, "batch_size must be at least 1"),
    ("plot_filters dense", lambda: evaluation.plot_filters(tiny_model().layers[-1]), TypeError,
     "layer must be a keras Conv2D layer"),
    ("plot_feature_maps model", lambda: evaluation.plot_feature_maps(None, UNIT[0]), TypeError,
     "model must be a keras.Model"),
    ("plot_feature_maps uint8", lambda: evaluation.plot_feature_maps(tiny_conv(), U8[0, :8, :8, None]),
     ValueError, "image must be float images in"),
    ("plot_feature_maps max_maps", lambda: evaluation.plot_feature_maps(tiny_conv(), UNIT[0, :8, :8, None],
                                                                        max_maps=0),
     ValueError, "max_maps must be at least 1"),
    ("plot_feature_maps shape", lambda: evaluation.plot_feature_maps(tiny_conv(), UNIT[0]), ValueError,
     "image must have the model's input shape"),

    # --- ops ---------------------------------------------------------------------------------
    ("kernel unknown", lambda: ops.kernel("blur"), ValueError, "name must be one of"),
    ("conv_output_size k", lambda: ops.conv_output_size(5, 7), ValueError, "kernel size k=7"),
    ("conv_output_size str", lambda: ops.conv_output_size("28", 3), TypeError, "n must be an integer"),
    ("conv_output_size stride 0", lambda: ops.conv_output_size(28, 3, stride=0), ValueError,
     "stride must be at least 1"),
    ("same_padding bool", lambda: ops.same_padding(28, True), TypeError, "k must be an integer"),
    ("conv2d x none", lambda: ops.conv2d(None, ops.kernel("identity")), TypeError, "x must be an array"),
    ("conv2d x rank", lambda: ops.conv2d(RGB, ops.kernel("identity")), ValueError, "x must have 2 or 3 dimensions"),
    ("conv2d channels", lambda: ops.conv2d(RGB[0], np.ones((3, 3, 1, 2))), ValueError,
     "kernels expect 1 input channel"),
    ("conv2d padding", lambda: ops.conv2d(UNIT[0], ops.kernel("identity"), padding="full"), ValueError,
     "padding must be 'valid', 'same'"),
    ("conv2d padding negative", lambda: ops.conv2d(UNIT[0], ops.kernel("identity"), padding=-1), ValueError,
     "padding must be at least 0"),
    ("conv2d stride", lambda: ops.conv2d(UNIT[0], ops.kernel("identity"), stride=(1, 2, 3)), ValueError,
     "stride must be an int or a pair"),
    ("conv2d bias str", lambda: ops.conv2d(UNIT[0], ops.kernel("identity"), bias="zero"), TypeError,
     "bias must be an array"),
    ("conv2d bias shape", lambda: ops.conv2d(UNIT[0], ops.kernel("identity"), bias=[1.0, 2.0]), ValueError,
     "bias must hold one value per output channel"),
    ("conv2d kernel nan", lambda: ops.conv2d(UNIT[0], np.full((3, 3), np.nan)), ValueError,
     "kernels must be finite"),
    ("conv2d padding huge", lambda: ops.conv2d(UNIT[0], ops.kernel("identity"), padding=10**16), ValueError,
     "padding 10000000000000000 with a 3-pixel window"),
    ("pool2d size huge same", lambda: ops.pool2d(UNIT[0], size=10**16, padding="same"), ValueError,
     "padding 'same' with a 10000000000000000-pixel window"),
    ("pool2d mode", lambda: ops.pool2d(UNIT[0], mode="min"), ValueError, "mode must be 'max' or 'average'"),
    ("pool2d size", lambda: ops.pool2d(UNIT[0], size=0), ValueError, "size must be at least 1"),
    ("pool2d padding", lambda: ops.pool2d(UNIT[0], padding=1), ValueError, "padding must be 'valid' or 'same'"),
    ("pool2d too big", lambda: ops.pool2d(UNIT[0], size=40), ValueError, "larger than the padded input"),

    # --- training ----------------------------------------------------------------------------
    ("train uint8 0-255", lambda: train(x_train=U8[..., None]), ValueError, r"x_train.astype\('float32'\) / 255"),
    ("train nan images", lambda: train(x_train=NAN_UNIT[..., None]), ValueError, "x_train must be finite"),
    ("train float 0-255", lambda: train(x_eval=U8[..., None] * 1.0), ValueError, "divide by 255"),
    ("train model none", lambda: train(model=None), TypeError, "model must be a keras.Model"),
    ("train uncompiled", lambda: train(model=uncompiled()), ValueError, "model must be compiled"),
    ("train labels beyond outputs", lambda: train(y_train=Y + 3), ValueError, "y_train must lie in 0..2"),
    ("train one-hot labels", lambda: train(y_eval=ONE_HOT), ValueError, r"y_eval.argmax\(axis=1\)"),
    ("train image shape", lambda: train(x_train=UNIT), ValueError, "x_train must be shaped"),
    ("train lengths", lambda: train(y_train=Y[:5]), ValueError, "x_train and y_train must have the same length"),
    ("train batch too big", lambda: train(batch_size=100), ValueError, "batch_size must be at most 12"),
    ("train iterations 10**16", lambda: train(iterations=10**16), ValueError,
     "iterations must be at most 1,000,000"),
    ("train iterations 0", lambda: train(iterations=0), ValueError, "iterations must be at least 1"),
    ("train eval_size", lambda: train(eval_size=50), ValueError, "eval_size must be at most 12"),
    ("train progress str", lambda: train(progress="no"), TypeError, "progress must be True or False"),
    ("train eval_split", lambda: train(eval_split="train"), ValueError, "eval_split must be one of"),
    ("train x none", lambda: train(x_train=None), TypeError, "x_train must be an array"),
    ("train schedule number", lambda: train(schedule=1e-3), TypeError, "schedule must be a function step -> "),
    ("train schedule nan", lambda: train(schedule=lambda step: float("nan")), ValueError,
     r"schedule must return finite learning rates ≥ 0; schedule\(0\) returned nan"),
    ("learning_rates steps", lambda: training.learning_rates(lambda step: 1e-3, 1.5), TypeError,
     "steps must be an integer"),
    ("learning_rates schedule", lambda: training.learning_rates("cosine", 10), TypeError,
     "schedule must be a function step -> learning rate"),
    ("warmup_cosine peak", lambda: training.warmup_cosine(-1e-3, 100), ValueError, "peak_learning_rate must lie in"),
    ("warmup_cosine steps", lambda: training.warmup_cosine(1e-3, 1, warmup_fraction=0.6), ValueError,
     "leaves no step to decay over"),
    ("record lengths", lambda: TrainingRecord(iterations=[1], train_loss=[], train_accuracy=[]), ValueError,
     "iterations, train_loss and train_accuracy must have the same length"),
    ("record strings", lambda: TrainingRecord(iterations=[1], train_loss=["a"], train_accuracy=[0.1]),
     TypeError, "train_loss must hold numbers"),
    ("record not list", lambda: TrainingRecord(iterations=None), TypeError, "iterations must be a list"),
    ("record batch_size", lambda: TrainingRecord(batch_size=-1), ValueError, "batch_size must be at least 0"),
    ("record from_dict", lambda: TrainingRecord.from_dict({"loss": [1.0]}), ValueError,
     "values has keys a TrainingRecord does not know"),
    ("record from_dict list", lambda: TrainingRecord.from_dict([1, 2]), TypeError, "values must be a dict"),
    ("record extend", lambda: RECORD.extend({"loss": [1.0]}), TypeError, "later must be a TrainingRecord"),
    ("record save path", lambda: RECORD.save(None), TypeError, "path must be a str or pathlib.Path"),
    ("record load path", lambda: TrainingRecord.load(3), TypeError, "path must be a str or pathlib.Path"),
    ("compiled_predictor", lambda: training.compiled_predictor("model"), TypeError, "model must be a keras.Model"),

    # --- widgets -----------------------------------------------------------------------------
    ("show_class_example class", lambda: widgets.show_class_example(UNIT, Y, NAMES, 5, 0), ValueError,
     "class_index must be at most 2"),
    ("show_class_example position", lambda: widgets.show_class_example(UNIT, Y, NAMES, 0, 99), ValueError,
     "position must be at most 3"),
    ("show_class_example labels", lambda: widgets.show_class_example(UNIT, None, NAMES, 0, 0), TypeError,
     "labels must be an array"),
    ("image_browser per_class", lambda: helpers.image_browser(UNIT, Y, NAMES, static_per_class=0), ValueError,
     "static_per_class must be at least 1"),
    ("image_browser names none", lambda: helpers.image_browser(UNIT, Y, None), TypeError,
     "class_names must be a sequence"),
    ("image_browser 0-255", lambda: helpers.image_browser(U8 * 1.0, Y, NAMES), ValueError, "divide by 255"),
    ("convolution_explorer list", lambda: helpers.convolution_explorer([UNIT[0]]), TypeError,
     "images must be a non-empty dict"),
    ("convolution_explorer rgb", lambda: helpers.convolution_explorer({"x": RGB[0]}), ValueError,
     r"images\['x'\] must have 2 dimensions"),

    # --- models ------------------------------------------------------------------------------
    ("lenet5 shape list", lambda: models.lenet5([32, 32, 1]), TypeError, "input_shape must be a tuple"),
    ("lenet5 10**16 classes", lambda: models.lenet5(num_classes=10**16), ValueError,
     "num_classes must be at most 10,000"),
    ("lenet5 classes", lambda: models.lenet5(num_classes=1), ValueError, "num_classes must be at least 2"),
    ("plain_cnn size", lambda: models.plain_cnn((0, 32, 3)), ValueError, r"input_shape\[0\] must be at least 1"),
    ("batchnorm dropout", lambda: models.batchnorm_cnn(dropout=1.0), ValueError, "dropout must lie in"),
    ("batchnorm momentum", lambda: models.batchnorm_cnn(momentum="0.9"), TypeError, "momentum must be a number"),
    ("describe_layers", lambda: models.describe_layers(None), TypeError, "model must be a keras.Model"),
    ("plain_cnn 8x8 digits", lambda: models.plain_cnn((8, 8, 3)), ValueError,
     r"input_shape \(8, 8, 3\) is too small for plain_cnn.* at least 18×18"),
    ("lenet5 12x12", lambda: models.lenet5((12, 12, 1)), ValueError,
     r"input_shape \(12, 12, 1\) is too small for lenet5.* at least 16×16"),
    ("batchnorm_cnn 7x7", lambda: models.batchnorm_cnn((7, 32, 3)), ValueError,
     r"too small for batchnorm_cnn.* at least 8×8"),
    ("smallest_image not layers", lambda: models.smallest_image([3]), TypeError,
     "stack must be a list of Keras layers"),

    # --- recipes and artifacts ---------------------------------------------------------------
    ("recipe unknown", lambda: recipes.recipe("vgg"), ValueError, "name must be one of"),
    ("recipe stem", lambda: recipes.LENET5.stem("cifar10"), ValueError, "dataset must be one of"),
    ("recipe budget", lambda: recipes.LENET5.budget("smoke"), TypeError, "profile must be a helpers.Profile"),
    ("pad_to_32 floats", lambda: recipes.pad_to_32(UNIT), ValueError, "images must be uint8 images"),
    ("pad_to_32 size", lambda: recipes.pad_to_32(np.zeros((2, 32, 32), np.uint8)), ValueError,
     "images must be 28×28"),
    ("pad_to_32 channel axis", lambda: recipes.pad_to_32(U8[:4, ..., None]), ValueError,
     r"images must be shaped \(N, 28, 28\).*got \(4, 28, 28, 1\).*images\[\.\.\., 0\]"),
    ("scale_to_unit floats", lambda: recipes.scale_to_unit(UNIT), ValueError, "images must be uint8 images"),
    ("save_trained recipe", lambda: helpers.save_trained("lenet5", PROFILE, None, None, None), TypeError,
     "recipe must be a helpers.recipes.Recipe"),
    ("save_trained data", lambda: helpers.save_trained(recipes.LENET5, PROFILE, UNIT, None, RECORD), TypeError,
     "data must be a helpers.Dataset"),
    ("load_or_train dataset", lambda: helpers.load_or_train(recipes.LENET5, PROFILE, dataset="cifar10"),
     ValueError, "dataset must be one of"),
    ("load_or_train profile", lambda: helpers.load_or_train(recipes.LENET5, None), TypeError,
     "profile must be a helpers.Profile"),
    ("latest_dataset", lambda: recipes.latest_dataset(None, PROFILE), TypeError, "recipe must be"),
    ("history_kind", lambda: artifacts.history_kind({"accuracy": [1.0]}), TypeError, "history must be"),
    ("save_artifact stem", lambda: artifacts.save_artifact("a/b", PROFILE, tiny_model(), RECORD), ValueError,
     "stem must be a plain file name"),
    ("save_artifact profile", lambda: artifacts.save_artifact("x", "smoke", tiny_model(), RECORD), TypeError,
     "profile must be a helpers.Profile"),
    ("save_artifact model", lambda: artifacts.save_artifact("x", PROFILE, None, RECORD), TypeError,
     "model must be a keras.Model"),
    ("save_artifact metadata", lambda: artifacts.save_artifact("x", PROFILE, tiny_model(), RECORD, ["a"]),
     TypeError, "metadata must be a dict"),
    ("save_artifact history strings", lambda: artifacts.save_artifact("x", PROFILE, tiny_model(),
                                                                       {"loss": ["a"]}),
     TypeError, r"history\['loss'\] must hold numbers"),
    ("load_artifact kind", lambda: artifacts.load_artifact("x", PROFILE, expect_kind="pickle"), ValueError,
     "expect_kind must be one of"),
    ("load_artifact stem", lambda: artifacts.load_artifact("", PROFILE), ValueError, "stem must not be empty"),
    ("load_artifact profile", lambda: artifacts.load_artifact("x", None), TypeError,
     "profile must be a helpers.Profile"),
    ("saved_stems prefix", lambda: artifacts.saved_stems(PROFILE, prefix=None), TypeError,
     "prefix must be a string"),

    # --- augmentation and network ------------------------------------------------------------
    ("plot_augmented empty", lambda: plots.plot_augmented([], []), ValueError, "images is empty"),
    ("plot_augmented none", lambda: plots.plot_augmented(None, []), TypeError,
     "images must be a list of images"),
    ("augmented_variants augment", lambda: plots.augmented_variants("flip", np.zeros((4, 4, 1)), 2), TypeError,
     "augment must be a Keras layer"),
    ("download_limits deadline", lambda: network.download_limits(deadline_s=0).__enter__(), ValueError,
     "deadline_s must lie in"),
    ("download_limits first byte str", lambda: network.download_limits(first_byte_s="8").__enter__(),
     TypeError, "first_byte_s must be a number"),
    ("download_limits rate", lambda: network.download_limits(min_rate=-1).__enter__(), ValueError,
     "min_rate must lie in"),
    ("bounded_urlretrieve limits", lambda: network.bounded_urlretrieve("http://127.0.0.1:9/", limits=None),
     TypeError, "limits must be a helpers.network.Limits"),
    ("by_hand", lambda: network.by_hand("text"), TypeError, "error must be an exception"),
]


@pytest.mark.parametrize("call, error, fragment", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_is_refused_by_helpers_with_a_named_argument(call, error, fragment):
    with pytest.raises(error, match=fragment) as caught:
        call()
    plt.close("all")
    raised_in = traceback.extract_tb(caught.value.__traceback__)[-1].filename
    assert f"{Path('helpers')}/" in raised_in, f"raised inside {raised_in}, not by helpers"


def test_the_table_is_large_and_reaches_every_public_helper():
    assert len(CASES) >= 120
    assert len({case[0] for case in CASES}) == len(CASES)  # every row has its own id
    source = Path(__file__).read_text()
    missing = []
    for module in (checks, data, standins, runtime, plots, evaluation, ops, training, widgets, models,
                   recipes, artifacts, network):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            takes_arguments = bool(inspect.signature(function).parameters)
            if function.__module__ == module.__name__ and not name.startswith("_") and takes_arguments \
                    and f"{name}(" not in source and function is not checks.describe:  # takes anything
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"public helpers with no bad-input row: {missing}"


@pytest.mark.parametrize("build", [models.plain_cnn, models.lenet5, models.batchnorm_cnn],
                         ids=lambda build: build.__name__)
def test_the_smallest_image_an_architecture_takes_is_read_from_its_layers(build):
    """The limit in the message is the real one: that size builds, one pixel less is refused."""
    model = build((64, 64, 3))
    height, width = models.smallest_image(model.layers)
    smallest = build((height, width, 3))
    spatial = [layer.output.shape[1:3] for layer in smallest.layers if len(layer.output.shape) == 4]
    assert min(min(shape) for shape in spatial) == 1  # the last window has exactly one pixel left
    for shape in ((height - 1, width, 3), (height, width - 1, 3)):
        with pytest.raises(ValueError, match=f"input_shape .* at least {height}×{width}") as caught:
            build(shape)
        assert f"{Path('helpers')}/" in traceback.extract_tb(caught.value.__traceback__)[-1].filename
