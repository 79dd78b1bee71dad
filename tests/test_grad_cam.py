"""helpers.grad_cam points at the evidence, agrees with the keras-io recipe, and works on the series' models."""

import functools
import warnings

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers import evaluation, models

matplotlib.use("Agg")
SIZE = 16


def objects(count: int, seed: int):
    """Noise images of three classes: 0 nothing, 1 a bright 3×3 square, 2 a bright 1×5 bar.

    The square and the bar sit at a random place in each image, so the evidence for
    classes 1 and 2 is where the object is, and nowhere else. Returns the images
    (N, 16, 16, 1), labels, and each object's box (row, column, height, width).
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 0.4, (count, SIZE, SIZE, 1)).astype(np.float32)
    y = rng.integers(0, 3, count)
    boxes = np.zeros((count, 4), int)
    for i, label in enumerate(y):
        if label:
            h, w = (3, 3) if label == 1 else (1, 5)
            r, c = rng.integers(0, SIZE - h + 1), rng.integers(0, SIZE - w + 1)
            x[i, r:r + h, c:c + w, 0] = 1.0
            boxes[i] = r, c, h, w
    return x, y, boxes


@functools.cache
def trained():
    """A small Sequential CNN (softmax output, like the series' models) trained on :func:`objects`."""
    keras.utils.set_random_seed(0)
    x, y, _ = objects(480, seed=1)
    model = keras.Sequential([
        keras.Input((SIZE, SIZE, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="last_conv"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    return model


def peak_inside(heatmaps, boxes, margin=1):
    """For each heatmap, whether its maximum lies on the object's box (grown by ``margin`` pixels)."""
    hits = []
    for heatmap, (r, c, h, w) in zip(heatmaps, boxes):
        row, col = np.unravel_index(np.argmax(heatmap), heatmap.shape)
        hits.append(r - margin <= row < r + h + margin and c - margin <= col < c + w + margin)
    return np.array(hits)


def keras_io_grad_cam(model, image, layer_name, class_index):
    """The keras-io example's ``make_gradcam_heatmap``, as written there, for one image.

    Two changes that Keras 3 needs for a Sequential model: ``model.outputs[0]`` for
    ``model.output`` (which raises), and the call with ``[image]`` (a bare array warns).
    The example removes the softmax first (``model.layers[-1].activation = None``); so
    does the caller, on a copy. Returns the coarse map (h, w), divided by its maximum.
    """
    grad_model = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model([image[None]])
        class_channel = preds[:, class_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


def without_softmax(model):
    """A copy of ``model`` with the same weights whose output layer gives logits (keras-io's way)."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.layers[-1].activation = None
    return copy


def at_input_size(coarse, size):
    """The coarse map resized as grad_cam does it (bilinear), divided by its maximum."""
    resized = tf.image.resize(coarse[None, ..., None], size, method="bilinear")[0, ..., 0].numpy()
    return resized / resized.max()


def test_the_heatmap_peaks_on_the_object_that_is_the_evidence():
    model = trained()
    x, y, boxes = objects(120, seed=2)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9, "the small CNN did not learn the task"
    heatmaps = helpers.grad_cam(model, x)
    shown = y > 0  # images with an object (class 0 has no evidence at one place)
    hits = peak_inside(heatmaps[shown], boxes[shown])
    assert hits.mean() > 0.8, f"the heatmap peaked on the object in {hits.mean():.0%} of the images"
    # A heatmap that ignored where the object is would do no better than another image's heatmap.
    shuffled = peak_inside(np.roll(heatmaps[shown], 1, axis=0), boxes[shown])
    assert shuffled.mean() < 0.3, f"control: someone else's heatmap hit {shuffled.mean():.0%}"
    # Most of the heat is near the object, which covers about a tenth of the image with its margin.
    share = [m[max(r - 1, 0):r + h + 1, max(c - 1, 0):c + w + 1].sum() / m.sum()
             for m, (r, c, h, w) in zip(heatmaps[shown], boxes[shown]) if m.sum() > 0]
    assert np.mean(share) > 0.3


def test_it_follows_the_class_asked_for():
    model = trained()
    x, y, boxes = objects(60, seed=3)
    squares = np.flatnonzero(y == 1)
    asked = helpers.grad_cam(model, x[squares], class_index=1)
    per_image = helpers.grad_cam(model, x[squares], class_index=np.ones(len(squares), int))
    predicted = helpers.grad_cam(model, x[squares])
    np.testing.assert_allclose(asked, per_image, atol=1e-6)
    right = model.predict(x[squares], verbose=0).argmax(axis=1) == 1
    np.testing.assert_allclose(asked[right], predicted[right], atol=1e-6)
    # The "nothing" class has no evidence on the square: its map is not brightest there.
    nothing = helpers.grad_cam(model, x[squares], class_index=0)
    assert peak_inside(nothing, boxes[squares]).mean() < peak_inside(asked, boxes[squares]).mean()


def test_it_matches_the_keras_io_recipe_on_the_logit_not_the_probability():
    model = trained()
    x, _, _ = objects(8, seed=4)
    image = x[np.argmax(model.predict(x, verbose=0).argmax(axis=1) > 0)]
    target = int(np.argmax(model(image[None])))
    ours = helpers.grad_cam(model, image[None], class_index=target)[0]
    coarse = keras_io_grad_cam(without_softmax(model), image, "last_conv", target)
    np.testing.assert_allclose(ours, at_input_size(coarse, (SIZE, SIZE)), atol=1e-5)
    # The probability's gradient (the recipe without removing the softmax) gives another map.
    from_probability = keras_io_grad_cam(model, image, "last_conv", target)
    assert not np.allclose(ours, at_input_size(np.nan_to_num(from_probability), (SIZE, SIZE)), atol=1e-2)


@pytest.mark.parametrize("build, last_conv", [
    (lambda: models.lenet5(), "C3"),                                       # 10×10 map on 32×32×1
    (lambda: models.batchnorm_cnn(), None),                                # 8×8 map on 32×32×3
], ids=["lenet5", "batchnorm_cnn"])
def test_the_series_sequential_models_work_quietly(build, last_conv, capfd):
    keras.utils.set_random_seed(1)
    model = build()
    shape = tuple(model.inputs[0].shape[1:])
    x = np.random.default_rng(0).uniform(0, 1, (3, *shape)).astype(np.float32)
    last_conv = last_conv or [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)][-1]
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        heatmaps = helpers.grad_cam(model, x)
    assert not caught, [str(w.message) for w in caught]
    assert capfd.readouterr().err == ""
    assert heatmaps.shape == (3, *shape[:2]) and heatmaps.dtype == np.float32
    assert heatmaps.min() >= 0 and np.all(np.isin(heatmaps.max(axis=(1, 2)), [0.0, 1.0]))
    # The automatic choice is the last Conv2D, and it agrees with the keras-io recipe.
    np.testing.assert_array_equal(heatmaps, helpers.grad_cam(model, x, layer=last_conv))
    target = int(np.argmax(model(x[:1])))
    coarse = keras_io_grad_cam(without_softmax(model), x[0], last_conv, target)
    if np.isfinite(coarse).all() and coarse.max() > 0:
        np.testing.assert_allclose(heatmaps[0], at_input_size(coarse, shape[:2]), atol=1e-5)


def test_a_functional_model_with_a_shortcut_and_logits():
    keras.utils.set_random_seed(2)
    inputs = keras.Input((12, 12, 3))
    stem = keras.layers.Conv2D(6, 3, padding="same", activation="relu")(inputs)
    branch = keras.layers.Conv2D(6, 3, padding="same", name="branch")(stem)
    merged = keras.layers.Activation("relu", name="merged")(keras.layers.Add()([stem, branch]))
    logits = keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(merged))
    model = keras.Model(inputs, logits)
    x = np.random.default_rng(1).uniform(0, 1, (5, 12, 12, 3)).astype(np.float32)
    heatmaps = helpers.grad_cam(model, x, class_index=2, layer="merged")
    for k in range(2):
        coarse = keras_io_grad_cam(model, x[k], "merged", 2)
        np.testing.assert_allclose(heatmaps[k], at_input_size(coarse, (12, 12)), atol=1e-5)
    automatic = helpers.grad_cam(model, x, class_index=2)  # the last Conv2D: "branch"
    np.testing.assert_array_equal(automatic, helpers.grad_cam(model, x, class_index=2, layer="branch"))
    # A separate Softmax layer: the gradient is taken of its input, so the maps do not change.
    with_softmax = keras.Model(inputs, keras.layers.Softmax()(logits))
    np.testing.assert_allclose(helpers.grad_cam(with_softmax, x, class_index=2, layer="merged"), heatmaps,
                               atol=1e-6)


def test_a_model_saved_and_loaded_back_gives_the_same_maps(tmp_path):
    """Notebook 06 evaluates models loaded from disk, whose layers loading has called several times
    (so ``layer.output`` may lie off the path from input to output)."""
    model = trained()
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    x, _, _ = objects(6, seed=6)
    np.testing.assert_allclose(helpers.grad_cam(loaded, x), helpers.grad_cam(model, x), atol=1e-5)
    inputs = keras.Input((SIZE, SIZE, 1))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
    functional = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(h)))
    functional.save(tmp_path / "functional.keras")
    np.testing.assert_allclose(helpers.grad_cam(keras.models.load_model(tmp_path / "functional.keras"), x),
                               helpers.grad_cam(functional, x), atol=1e-5)


def test_the_overlay_figure_shows_each_heatmap_and_marks_mistakes():
    x = np.random.default_rng(0).uniform(0, 1, (3, 8, 8, 1)).astype(np.float32)
    heatmaps = np.linspace(0, 1, 3 * 64, dtype=np.float32).reshape(3, 8, 8)
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    fig = evaluation.plot_grad_cam(x, heatmaps, [0, 0, 0], probabilities, ("coat", "bag"))
    panels = [ax for ax in fig.axes if ax.images and ax.get_title()]
    assert len(panels) == 3
    overlay = panels[1].images[1].get_array()  # RGBA over the grey image: opaque where the heat is
    np.testing.assert_allclose(overlay[..., 3], 0.8 * heatmaps[1], atol=1e-6)
    np.testing.assert_allclose(panels[1].images[0].get_array(), 0.15 + 0.6 * x[1, ..., 0], atol=1e-6)
    assert panels[1].get_title().endswith("✗") and not panels[0].get_title().endswith("✗")
    assert "bag 80%" in panels[1].get_title()
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("call, error, fragment", [
    (lambda m, x: helpers.grad_cam("model", x), TypeError, "model must be a keras.Model"),
    (lambda m, x: helpers.grad_cam(m, x[0]), ValueError, r"images must be a batch shaped \(N, 16, 16, 1\)"),
    (lambda m, x: helpers.grad_cam(m, x[..., 0]), ValueError, r"images\[\.\.\., None\]"),
    (lambda m, x: helpers.grad_cam(m, (x * 255).astype(np.uint8)), ValueError, "images must be float images"),
    (lambda m, x: helpers.grad_cam(m, x, class_index=3), ValueError, "class_index must be at most 2"),
    (lambda m, x: helpers.grad_cam(m, x, class_index=1.0), TypeError, "class_index must be None"),
    (lambda m, x: helpers.grad_cam(m, x, class_index=[0, 1]), ValueError, r"one class per image \(4\)"),
    (lambda m, x: helpers.grad_cam(m, x, layer="conv9"), ValueError, r"layer must name a layer.*'last_conv'"),
    (lambda m, x: helpers.grad_cam(m, x, layer="flat"), ValueError, "feature map"),
    (lambda m, x: helpers.grad_cam(m, x, layer=3), TypeError, "layer must be a string"),
    (lambda m, x: helpers.grad_cam(keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Flatten(),
                                                     keras.layers.Dense(3)]), x),
     ValueError, "model has no Conv2D"),
])
def test_bad_arguments_are_refused_by_name(call, error, fragment):
    model = trained()
    x, _, _ = objects(4, seed=5)
    with pytest.raises(error, match=fragment):
        call(model, x)
