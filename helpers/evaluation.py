"""Evaluating a trained classifier: what it got wrong, how sure it was, what it looks at.

Metrics come from scikit-learn (``confusion_matrix``, ``classification_report``):
well-tested code for numbers that are easy to get subtly wrong by hand. Every
plot returns its Figure; every selection returns indices a test can check.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import checks
from .plots import OKABE_ITO, plot_image_grid, plot_panels

if TYPE_CHECKING:  # Keras is imported where it is used: importing this module stays light
    import keras


def class_probabilities(model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Predicted class probabilities (N, classes); applies softmax when the model outputs logits."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {checks.describe(model)}.")
    x = checks.array(x, "x")
    x = checks.images(x, "x", scale="unit") if x.ndim >= 3 else checks.finite(x, "x")
    expected = tuple(model.inputs[0].shape[1:])
    if x.shape[1:] != expected:
        raise ValueError(f"x must be shaped (N, {', '.join(map(str, expected))}) for this model, "
                         f"got {x.shape}.")
    batch_size = checks.positive_int(batch_size, "batch_size")
    outputs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    last = model.layers[-1]
    if getattr(last, "activation", None) is keras.activations.softmax:
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _check_predictions(y_true, probabilities, class_names=None):
    y_true = checks.labels(y_true, "y_true")
    columns = None if class_names is None else len(checks.class_names(class_names))
    probabilities = checks.probabilities(probabilities, "probabilities", rows=len(y_true),
                                         columns=columns)
    checks.labels(y_true, "y_true", probabilities.shape[1])
    return y_true, probabilities


def _check_label_pair(y_true, y_pred, class_names):
    num_classes = len(checks.class_names(class_names))
    y_true = checks.labels(y_true, "y_true", num_classes)
    y_pred = checks.labels(y_pred, "y_pred", num_classes)
    checks.same_length(y_true, "y_true", y_pred, "y_pred")
    return y_true, y_pred


SPLITS = ("validation", "test")


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str], title: str | None = None,
                          split: str = "test") -> Figure:
    """One confusion matrix (rows: actual class, columns: predicted) for a projector.

    Each cell prints its count; its colour is the count's share of its row (the
    actual class), so the diagonal is each class's recall. The off-diagonal cells
    get their own colour scale (the diagonal is drawn grey), so that the typical
    confusions stand out even when they are a few percent. ``split`` names the
    images ("validation" or "test") in the default title. Text is 10 pt at a size
    that fits a notebook's width.
    """
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = _check_label_pair(y_true, y_pred, class_names)
    split = checks.one_of(split, "split", SPLITS)
    n = len(class_names)
    counts = confusion_matrix(y_true, y_pred, labels=np.arange(n))
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    off_diagonal = np.ma.masked_array(rates, mask=np.eye(n, dtype=bool))
    fig, ax = plt.subplots(figsize=(8.5, 7))
    ax.imshow(np.where(np.eye(n, dtype=bool), 1.0, np.nan), cmap="Greys", vmin=0, vmax=4)
    top = max(float(off_diagonal.max()) if off_diagonal.count() else 0.0, 1e-9)
    image = ax.imshow(off_diagonal, cmap="viridis", vmin=0, vmax=top)
    bar = fig.colorbar(image, ax=ax, fraction=0.046)
    bar.set_label("share of the actual class (off the diagonal)", fontsize=10)
    for i in range(n):
        for j in range(n):
            light = i != j and rates[i, j] > top / 2
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=10,
                    color="black" if i == j or light else "white")
    ax.set_xticks(range(n), class_names, rotation=45, ha="right", fontsize=10)
    ax.set_yticks(range(n), class_names, fontsize=10)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("actual class")
    ax.set_title(title or f"{len(y_true):,} {split} images, accuracy {np.mean(y_true == y_pred):.1%}")
    fig.tight_layout()
    return fig


def classification_table(y_true, y_pred, class_names: Sequence[str]) -> tuple[str, dict]:
    """scikit-learn's per-class precision, recall, F1 and support: (printable text, dict)."""
    from sklearn.metrics import classification_report

    y_true, y_pred = _check_label_pair(y_true, y_pred, class_names)
    kwargs = dict(labels=np.arange(len(class_names)), target_names=list(class_names), zero_division=0)
    return (classification_report(y_true, y_pred, digits=3, **kwargs),
            classification_report(y_true, y_pred, output_dict=True, **kwargs))


def plot_precision_recall_f1(report: dict, class_names: Sequence[str], title: str | None = None) -> Figure:
    """Grouped bars of precision, recall and F1 per class, from :func:`classification_table`'s dict."""
    if not isinstance(report, dict):
        raise TypeError(f"report must be the dict from classification_table(...)[1], got "
                        f"{checks.describe(report)}.")
    class_names = checks.class_names(class_names)
    missing = [name for name in class_names if name not in report]
    if missing:
        raise ValueError(f"report has no rows for {missing}; pass classification_table(...)[1].")
    for name in (*class_names, "macro avg"):
        row = report.get(name)
        if not isinstance(row, dict) or not all(
                isinstance(row.get(metric), (int, float)) for metric in ("precision", "recall", "f1-score")):
            raise ValueError(f"report[{name!r}] must hold numbers for precision, recall and f1-score, "
                             f"got {checks.describe(row)}; pass classification_table(...)[1].")
    fig, ax = plt.subplots(figsize=(12, 4))
    positions = np.arange(len(class_names))
    for k, (metric, hatch) in enumerate((("precision", ""), ("recall", "//"), ("f1-score", ".."))):
        values = [report[name][metric] for name in class_names]
        ax.bar(positions + (k - 1) * 0.27, values, 0.27, label=metric, color=OKABE_ITO[k],
               hatch=hatch, edgecolor="white")
    ax.axhline(report["macro avg"]["f1-score"], color="black", linestyle="--", linewidth=1,
               label=f"macro-average F1 {report['macro avg']['f1-score']:.3f}")
    ax.set_xticks(positions, class_names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("class")
    ax.set_ylabel("score")
    ax.set_title(title or "Precision, recall and F1 per class", loc="left")
    ax.legend(fontsize=8, ncols=4, loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def most_confident_mistakes(y_true, probabilities, k: int = 12) -> np.ndarray:
    """Indices of up to ``k`` wrong predictions, the most confident (highest probability) first."""
    y_true, probabilities = _check_predictions(y_true, probabilities)
    k = checks.positive_int(k, "k")
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:k]


def most_confused_pairs(y_true, y_pred, class_names: Sequence[str], k: int = 5) -> list[tuple[int, int, int]]:
    """Up to ``k`` (actual, predicted, count) pairs of different classes, most frequent first."""
    y_true, y_pred = _check_label_pair(y_true, y_pred, class_names)
    k = checks.positive_int(k, "k")
    pairs, counts = np.unique(np.stack([y_true, y_pred], axis=1)[y_true != y_pred], axis=0,
                              return_counts=True)
    order = np.argsort(-counts, kind="stable")[:k]
    return [(int(pairs[i, 0]), int(pairs[i, 1]), int(counts[i])) for i in order]


def plot_predictions(images, y_true, probabilities, class_names: Sequence[str], indices=None,
                     ncols: int = 6, title: str | None = None) -> Figure:
    """Images titled "actual / predicted" with the predicted class's probability; mistakes marked."""
    y_true, probabilities = _check_predictions(y_true, probabilities, class_names)
    images = checks.images(images, "images")
    checks.same_length(images, "images", y_true, "y_true")
    ncols = checks.positive_int(ncols, "ncols")
    if indices is None:
        indices = np.arange(min(len(y_true), 12))
    else:
        indices = checks.array(indices, "indices", ndim=1)
        if not np.issubdtype(indices.dtype, np.integer):
            raise TypeError(f"indices must be integer positions, got dtype {indices.dtype}.")
        if indices.min() < 0 or indices.max() >= len(y_true):
            raise ValueError(f"indices must lie in 0..{len(y_true) - 1}, got values from "
                             f"{indices.min()} to {indices.max()}.")
    predicted = probabilities.argmax(axis=1)
    return plot_image_grid(np.asarray(images)[indices], y_true[indices], class_names, ncols=ncols,
                           predictions=predicted[indices],
                           confidences=probabilities[indices, predicted[indices]],
                           title=title, panel_size=1.9)


def plot_confidence(y_true, probabilities, bins: int = 10, title: str | None = None,
                    split: str = "test") -> Figure:
    """How sure the model is when right and when wrong, and a reliability diagram.

    Left: the predicted class's probability for right (solid) and wrong
    (hatched) answers, each group as shares of itself, so a handful of wrong
    answers is as visible as thousands of right ones. Right: accuracy per
    confidence bin against the diagonal a perfectly calibrated model would
    follow, each point labelled with its number of answers (a point made of one
    or two answers says little).
    """
    y_true, probabilities = _check_predictions(y_true, probabilities)
    bins = checks.positive_int(bins, "bins", maximum=100)
    split = checks.one_of(split, "split", SPLITS)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    groups = ((correct, OKABE_ITO[0], None, "right"), (~correct, OKABE_ITO[3], "//", "wrong"))
    for group, colour, hatch, label in groups:
        if group.any():
            left.hist(confidence[group], bins=edges, weights=np.full(group.sum(), 1 / group.sum()), color=colour,
                      alpha=0.8 if hatch else 1.0, hatch=hatch, edgecolor="white",
                      label=f"{label} ({group.sum():,} {split} answers)")
    left.set_xlabel("probability of the predicted class")
    left.set_ylabel("share of the group's answers")
    left.set_title("Confidence of right and wrong answers")
    left.legend()
    which = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
    filled = [b for b in range(bins) if np.any(which == b)]
    accuracy = [correct[which == b].mean() for b in filled]
    mean_confidence = [confidence[which == b].mean() for b in filled]
    right.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    right.plot(mean_confidence, accuracy, "o-", color=OKABE_ITO[0], label="this model (n: answers in the bin)")
    for b, x, y in zip(filled, mean_confidence, accuracy):
        right.annotate(f"n={int(np.sum(which == b))}", (x, y), textcoords="offset points", xytext=(4, -12),
                       fontsize=10)
    right.set_xlim(0, 1.12)  # room for the n= labels right of the last point
    right.set_xlabel("mean confidence in bin")
    right.set_ylabel("accuracy in bin")
    right.set_title("Reliability diagram")
    right.legend()
    fig.suptitle(title or "Confidence")
    fig.tight_layout()
    return fig


def plot_filters(layer, title: str | None = None) -> Figure:
    """The kernels of a Conv2D layer, one panel per filter (grey for 1 input channel, RGB for 3)."""
    kernels = _conv_kernels(layer)
    kh, kw, c_in, c_out = kernels.shape
    panels = []
    for f in range(c_out):
        kernel = kernels[:, :, :, f]
        kernel = (kernel - kernel.min()) / max(np.ptp(kernel), 1e-12)  # each filter to [0, 1]
        panels.append(kernel[:, :, 0] if c_in != 3 else kernel)
    fig = plot_panels(panels, [f"filter {f}" for f in range(c_out)], ncols=min(8, c_out),
                      panel_size=1.5, title=title or f"{layer.name}: {c_out} learned {kh}×{kw} filters"
                      + ("" if c_in in (1, 3) else f" (input channel 0 of {c_in})"))
    for ax in fig.axes:
        ax.set_xlabel("")  # every panel is kh×kw: the title says so once
    return fig


def plot_feature_maps(model, image: np.ndarray, max_maps: int = 8, layers: Sequence[str] | None = None,
                      title: str | None = None) -> Figure:
    """For one input image, the first ``max_maps`` feature maps of some Conv2D layers: one row each.

    ``layers``: names of Conv2D layers, in the order to show them; ``None`` shows
    the first and the last convolutional layer (the only one when there is one).
    Each row is labelled with the layer's place ("conv layer 1 of 6") and its
    name. Returns one Figure; each map is scaled to its own range.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {checks.describe(model)}.")
    image = checks.images(checks.array(image, "image")[None], "image", scale="unit")[0]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        raise ValueError("model has no Conv2D layer to show feature maps of.")
    max_maps = checks.positive_int(max_maps, "max_maps")
    by_name = {layer.name: layer for layer in convs}
    if layers is None:
        chosen = [convs[0]] if len(convs) == 1 else [convs[0], convs[-1]]
    else:
        if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
            raise TypeError(f"layers must be a non-empty list of Conv2D layer names, got {checks.describe(layers)}.")
        unknown = [name for name in layers if name not in by_name]
        if unknown:
            raise ValueError(f"layers must name Conv2D layers of the model ({', '.join(by_name)}), got {unknown}.")
        chosen = [by_name[name] for name in layers]
    image = np.asarray(image, dtype=np.float32)
    expected = tuple(model.inputs[0].shape[1:])
    if image.shape != expected:
        raise ValueError(f"image must have the model's input shape {expected}, got {image.shape}.")
    # One input tensor, not the list `model.inputs`: a single array then matches the
    # structure Keras expects (a list would make every call warn that it does not).
    probe = keras.Model(model.inputs[0], [layer.output for layer in chosen])
    outputs = probe(image[None], training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    shown = min(max_maps, max(int(np.asarray(maps).shape[-1]) for maps in outputs))
    fig, axes = plt.subplots(len(chosen), shown, figsize=(1.4 * shown, 1.9 * len(chosen)), squeeze=False,
                             layout="constrained")
    for row, (layer, maps) in zip(axes, zip(chosen, outputs)):
        maps = np.asarray(maps)[0]
        for c, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= maps.shape[-1]:
                ax.set_axis_off()
                continue
            ax.imshow(maps[:, :, c], cmap="gray")
            ax.set_title(f"map {c}", fontsize=10)
        row[0].set_ylabel(f"conv layer {convs.index(layer) + 1} of {len(convs)}\n{maps.shape[0]}×{maps.shape[1]}",
                          fontsize=10)
    fig.suptitle(title or "Feature maps: " + ", ".join(f"{layer.name}" for layer in chosen))
    return fig


def _conv_kernels(layer) -> np.ndarray:
    import keras

    if not isinstance(layer, keras.layers.Conv2D):
        raise TypeError(f"layer must be a keras Conv2D layer, got {type(layer).__name__}.")
    return np.asarray(layer.get_weights()[0])


# --- Grad-CAM ------------------------------------------------------------------------------------

CONV_LAYER_TYPES = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")  # what "convolutional" means here
GRAD_CAM_BATCH = 64  # images per gradient computation: memory stays small for any N


def grad_cam(model: keras.Model, images: np.ndarray, class_index: int | Sequence[int] | np.ndarray | None = None,
             layer: str | None = None) -> np.ndarray:
    """Grad-CAM heatmaps (Selvaraju et al., 2017): where each image holds evidence for a class.

    For each image and its class c, with A the feature map of a convolutional
    layer (h × w positions, K channels) and z_c the class's **logit**:

    1. the gradient ∂z_c/∂A (one ``tf.GradientTape``);
    2. one weight per channel, the gradient averaged over positions: α_k = mean_ij ∂z_c/∂A_ijk;
    3. the map ReLU(Σ_k α_k·A_k), resized (bilinear) to the input's height and width
       and divided by its maximum.

    ``model``: a ``keras.Model``, ``Sequential`` or functional, with one input and one
    output of class scores (N, classes). When the output layer applies an activation
    (``Dense(..., activation="softmax")``) the gradient is taken of the logit before it,
    computed from that layer's kernel and bias; after a separate ``Softmax`` or
    ``Activation`` layer, of that layer's input. ``images``: a batch (N, H, W, C) of the
    model's input shape, floats in [0, 1]. ``class_index``: ``None`` for each image's
    predicted class, an int for one class for every image, or N ints, one per image.
    ``layer``: the name of the layer whose output is A; ``None`` takes the last
    ``Conv2D`` (or ``SeparableConv2D``/``DepthwiseConv2D``) layer.

    Returns float32 heatmaps (N, H, W) in [0, 1], each with maximum 1, or all 0 where no
    position has positive evidence. Layers run in inference mode (dropout off,
    BatchNorm with its moving statistics). Writes nothing to stderr.
    """
    import tensorflow as tf

    model, feature_layer, head, head_input_is_logit = _grad_cam_parts(model, layer)
    expected = tuple(model.inputs[0].shape[1:])
    images = checks.images(images, "images", scale="unit")
    if images.shape[1:] != expected:
        hint = " (add the channel axis: images[..., None])" if images.shape[1:] + (1,) == expected else ""
        raise ValueError(f"images must be a batch shaped (N, {', '.join(map(str, expected))}) for this "
                         f"model, got {images.shape}{hint}; for one image pass image[None].")
    num_classes = int(model.outputs[0].shape[-1])
    classes = _class_indices(class_index, len(images), num_classes)

    probe = _grad_cam_probe(model, feature_layer, head)
    heatmaps = []
    for start in range(0, len(images), GRAD_CAM_BATCH):
        x = tf.convert_to_tensor(images[start:start + GRAD_CAM_BATCH], dtype=tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x)  # records every operation after the input, frozen layers included
            features, scores = probe(x)
            logits = scores if head is None or head_input_is_logit else _pre_activation(head, scores)
            chosen = (tf.argmax(logits, axis=-1) if classes is None
                      else tf.constant(classes[start:start + GRAD_CAM_BATCH]))
            score = tf.reduce_sum(tf.gather(logits, chosen, axis=1, batch_dims=1))
        gradients = tape.gradient(score, features)
        weights = tf.reduce_mean(gradients, axis=(1, 2))                       # α: (n, K)
        maps = tf.nn.relu(tf.einsum("nhwk,nk->nhw", features, weights))      # (n, h, w)
        maps = tf.image.resize(maps[..., None], expected[:2], method="bilinear")[..., 0]
        peak = tf.reduce_max(maps, axis=(1, 2), keepdims=True)
        heatmaps.append(tf.math.divide_no_nan(maps, peak).numpy())
    return np.clip(np.concatenate(heatmaps), 0.0, 1.0).astype(np.float32)


def _grad_cam_parts(model, layer):
    """(model, feature layer, output layer whose input gives the logits or None, whether that input is them)."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {checks.describe(model)}.")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"model must have one input and one output for grad_cam, got "
                         f"{len(model.inputs)} and {len(model.outputs)}.")
    if len(model.outputs[0].shape) != 2:
        raise ValueError(f"model must output class scores shaped (N, classes), got "
                         f"{tuple(model.outputs[0].shape)}.")
    convolutional = [candidate for candidate in model.layers if type(candidate).__name__ in CONV_LAYER_TYPES
                     or isinstance(candidate, keras.layers.Conv2D)]
    if layer is None:
        if not convolutional:
            raise ValueError("model has no Conv2D, SeparableConv2D or DepthwiseConv2D layer; name the "
                             "layer whose feature map Grad-CAM should use with layer=...")
        feature_layer = convolutional[-1]
    else:
        checks.text(layer, "layer")
        names = [candidate.name for candidate in model.layers]
        if layer not in names:
            raise ValueError(f"layer must name a layer of the model, got {layer!r}; its convolutional "
                             f"layers are {[candidate.name for candidate in convolutional]}.")
        feature_layer = model.get_layer(layer)
    try:
        shape = tuple(feature_layer.output.shape)
    except (AttributeError, ValueError) as error:  # a layer used at several places has no one output
        raise ValueError(f"layer {feature_layer.name!r} has no single output feature map ({error}).") from None
    if len(shape) != 4:
        raise ValueError(f"layer must name a layer whose output is a feature map (N, h, w, channels); "
                         f"{feature_layer.name!r} outputs {shape}.")

    head = _output_layer(model)
    if isinstance(head, (keras.layers.Softmax, keras.layers.Activation)):
        return model, feature_layer, head, True
    activation = getattr(head, "activation", None)
    if activation is None or activation is keras.activations.linear:
        return model, feature_layer, None, False  # the output is the logits
    if not isinstance(head, keras.layers.Dense):
        raise ValueError(f"model's output layer {head.name!r} ({type(head).__name__}) applies "
                         f"{getattr(activation, '__name__', activation)}; grad_cam needs the logits before it, "
                         "which it can compute for a Dense output layer or read before a Softmax or "
                         "Activation layer.")
    return model, feature_layer, head, False


def _grad_cam_probe(model, feature_layer, head):
    """A function x → (feature map, logits or what the output layer computes them from), in inference mode.

    Not ``keras.Model(model.inputs, [feature_layer.output, ...])``: a layer called more than
    once (as loading a saved model does) has several outputs, and ``layer.output`` may be one
    off the path from the input to the output, which leaves no gradient to follow. A
    Sequential model is walked layer by layer; a functional one is rebuilt on a new input
    from its own layers (shared weights), noting the two tensors on the way.
    """
    import keras

    if isinstance(model, keras.Sequential):
        def walk(x):
            features = scores = None
            for layer in model.layers:
                if layer is head:
                    scores = x
                x = layer(x, training=False)
                if layer is feature_layer:
                    features = x
            return features, x if head is None else scores
        return walk

    noted = {}

    def call(layer, *args, **kwargs):
        if layer is head:
            noted["scores"] = args[0]
        outputs = layer(*args, **kwargs)
        if layer is feature_layer:
            noted["features"] = outputs
        return outputs

    rebuilt = keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call)
    probe = keras.Model(rebuilt.inputs, [noted["features"], noted["scores"] if head is not None
                                         else rebuilt.outputs[0]])
    return lambda x: probe([x], training=False)  # a list: the structure Keras expects


def _output_layer(model):
    target = model.outputs[0]
    for candidate in reversed(model.layers):
        try:
            if candidate.output is target:
                return candidate
        except (AttributeError, ValueError):  # never called, or called at several places
            continue
    raise ValueError(f"model's output is not the output of one of its layers ({target}).")


def _pre_activation(dense, inputs):
    """What a Dense layer computes before its activation: inputs·kernel + bias."""
    import tensorflow as tf

    outputs = tf.matmul(inputs, tf.convert_to_tensor(dense.kernel))
    return outputs + tf.convert_to_tensor(dense.bias) if dense.use_bias else outputs


def _class_indices(class_index, count: int, num_classes: int) -> np.ndarray | None:
    if class_index is None:
        return None
    if isinstance(class_index, (numbers.Integral, np.integer)) and not isinstance(class_index, (bool, np.bool_)):
        checks.integer(class_index, "class_index", minimum=0, maximum=num_classes - 1)
        return np.full(count, int(class_index), dtype=np.int64)
    if isinstance(class_index, (bool, np.bool_, str, float, np.floating)):
        raise TypeError(f"class_index must be None, a class number or one class number per image, "
                        f"got {checks.describe(class_index)}.")
    indices = checks.labels(class_index, "class_index", num_classes)
    if len(indices) != count:
        raise ValueError(f"class_index must hold one class per image ({count:,}), got {len(indices):,}.")
    return indices.astype(np.int64)


def plot_grad_cam(images: np.ndarray, heatmaps: np.ndarray, y_true: np.ndarray, probabilities: np.ndarray,
                  class_names: Sequence[str], ncols: int = 6, title: str | None = None,
                  alpha: float = 0.8) -> Figure:
    """Each image with its Grad-CAM heatmap on top, titled "actual / predicted 97%".

    ``heatmaps``: (N, H, W) in [0, 1], e.g. from :func:`grad_cam`, one per image.
    Mistakes are marked with "✗", a vermillion title and frame (colour is not the
    only cue). The image is drawn in grey, dimmed; the heatmap over it in the
    sequential, colour-blind-safe "plasma" map from 0 (no positive evidence) to 1
    (the map's maximum), more opaque where it is higher (at most ``alpha``), with a
    white contour where it reaches half its maximum; one colour bar for all panels.
    """
    from .plots import MISTAKE_COLOUR

    y_true, probabilities = _check_predictions(y_true, probabilities, class_names)
    images = checks.images(images, "images")
    heatmaps = checks.finite(checks.array(heatmaps, "heatmaps", ndim=3).astype(np.float32), "heatmaps")
    checks.same_length(images, "images", y_true, "y_true")
    checks.same_length(heatmaps, "heatmaps", images, "images")
    if heatmaps.shape[1:] != images.shape[1:3]:
        raise ValueError(f"heatmaps must have the images' height and width {images.shape[1:3]}, got "
                         f"{heatmaps.shape[1:]}; grad_cam returns them at input resolution.")
    if heatmaps.min() < 0 or heatmaps.max() > 1:
        raise ValueError(f"heatmaps must lie in [0, 1] (grad_cam normalises them), got values from "
                         f"{heatmaps.min():.3g} to {heatmaps.max():.3g}.")
    ncols = checks.positive_int(ncols, "ncols")
    alpha = checks.number(alpha, "alpha", 0, 1)
    names = checks.class_names(class_names)
    predicted = probabilities.argmax(axis=1)
    ncols = min(ncols, len(images))
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.1 * ncols + 0.8, 2.3 * nrows + 0.6), squeeze=False,
                             layout="constrained")
    cmap = plt.get_cmap("plasma")
    for i, ax in enumerate(axes.flat):
        if i >= len(images):
            ax.axis("off")
            continue
        image = np.asarray(images[i], dtype=np.float32) / (255.0 if images.dtype.kind in "iu" else 1.0)
        grey = image.mean(axis=-1) if image.ndim == 3 else image
        ax.imshow(0.15 + 0.6 * grey, cmap="gray", vmin=0, vmax=1)  # dimmed, so the heat stands out
        colours = cmap(heatmaps[i])
        colours[..., 3] = alpha * heatmaps[i]  # transparent where there is no evidence
        ax.imshow(colours)
        if heatmaps[i].max() > 0.5:
            ax.contour(heatmaps[i], levels=[0.5], colors="white", linewidths=1.5)
        ax.set_xticks([])
        ax.set_yticks([])
        wrong = predicted[i] != y_true[i]
        text = (f"{names[y_true[i]]} /\n{names[predicted[i]]} {probabilities[i, predicted[i]]:.0%}"
                + (" ✗" if wrong else ""))
        ax.set_title(text, fontsize=10, color=MISTAKE_COLOUR if wrong else "black")
        if wrong:
            for spine in ax.spines.values():
                spine.set(color=MISTAKE_COLOUR, linewidth=3)
    bar = fig.colorbar(plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1)), ax=axes, fraction=0.03,
                       pad=0.02)
    bar.set_label("Grad-CAM (1 = the map's maximum; white line: 0.5)", fontsize=10)
    fig.suptitle(title or "Grad-CAM: actual / predicted class, ✗ = wrong")
    return fig


def mcnemar_p(right_a, right_b) -> float:
    """Exact two-sided McNemar p-value for two models scored on the same examples.

    ``right_a``, ``right_b``: boolean arrays, True where model A (B) got an
    example right. Only the n examples where exactly one of the two is right
    carry evidence: if both models were equally accurate, each of them would
    favour A or B with probability ½, so the count favouring A would follow
    Binomial(n, ½). Returns the probability of a split at least as uneven as
    the observed one under that hypothesis (1.0 when they never disagree).
    Small p: the difference is unlikely to be luck of the draw.
    """
    right_a = checks.array(right_a, "right_a", ndim=1)
    right_b = checks.array(right_b, "right_b", ndim=1)
    for values, argument in ((right_a, "right_a"), (right_b, "right_b")):
        if values.dtype != np.bool_:
            raise TypeError(f"{argument} must be a boolean array (True where the model is right), "
                            f"got dtype {values.dtype}.")
    checks.same_length(right_a, "right_a", right_b, "right_b")
    only_a = int(np.sum(right_a & ~right_b))
    only_b = int(np.sum(~right_a & right_b))
    n = only_a + only_b
    tail = sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2**n
    return min(1.0, 2 * tail)
