"""Evaluating a trained classifier: what it got wrong, how sure it was, what it looks at.

Metrics come from scikit-learn (``confusion_matrix``, ``classification_report``):
well-tested code for numbers that are easy to get subtly wrong by hand. Every
plot returns its Figure; every selection returns indices a test can check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import checks
from .plots import OKABE_ITO, plot_image_grid, plot_panels


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


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str], title: str | None = None) -> Figure:
    """Counts and row-normalised confusion matrices side by side (rows: actual, columns: predicted)."""
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = _check_label_pair(y_true, y_pred, class_names)
    counts = confusion_matrix(y_true, y_pred, labels=np.arange(len(class_names)))
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, axes = plt.subplots(1, 2, figsize=(14, 6))
    for ax, matrix, what, fmt in ((axes[0], counts, "counts", "d"),
                                  (axes[1], rates, "share of each actual class", ".2f")):
        image = ax.imshow(matrix, cmap="viridis")
        fig.colorbar(image, ax=ax, fraction=0.046)
        threshold = matrix.max() / 2
        for i in range(len(class_names)):
            for j in range(len(class_names)):
                ax.text(j, i, format(matrix[i, j], fmt), ha="center", va="center", fontsize=7,
                        color="black" if matrix[i, j] > threshold else "white")
        ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(class_names)), class_names, fontsize=8)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("actual class")
        ax.set_title(f"Confusion matrix ({what})")
    fig.suptitle(title or f"{len(y_true):,} test images, accuracy {np.mean(y_true == y_pred):.1%}")
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


def plot_confidence(y_true, probabilities, bins: int = 10, title: str | None = None) -> Figure:
    """How sure the model is when right and when wrong, and a reliability diagram.

    Left: histograms of the predicted class's probability for right (solid) and
    wrong (hatched) answers. Right: accuracy per confidence bin against the
    diagonal a perfectly calibrated model would follow.
    """
    y_true, probabilities = _check_predictions(y_true, probabilities)
    bins = checks.positive_int(bins, "bins", maximum=100)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.hist(confidence[correct], bins=edges, color=OKABE_ITO[0], label=f"right ({correct.sum():,})")
    left.hist(confidence[~correct], bins=edges, color=OKABE_ITO[3], alpha=0.8, hatch="//",
              edgecolor="white", label=f"wrong ({(~correct).sum():,})")
    left.set_xlabel("probability of the predicted class")
    left.set_ylabel("number of test images")
    left.set_title("Confidence of right and wrong answers")
    left.legend()
    which = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
    filled = [b for b in range(bins) if np.any(which == b)]
    accuracy = [correct[which == b].mean() for b in filled]
    mean_confidence = [confidence[which == b].mean() for b in filled]
    right.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    right.plot(mean_confidence, accuracy, "o-", color=OKABE_ITO[0], label="this model")
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
    return plot_panels(panels, [f"filter {f}" for f in range(c_out)], ncols=min(8, c_out),
                       panel_size=1.5, title=title or f"{layer.name}: {c_out} learned {kh}×{kw} filters"
                       + ("" if c_in in (1, 3) else f" (input channel 0 of {c_in})"))


def plot_feature_maps(model, image: np.ndarray, max_maps: int = 8) -> list[Figure]:
    """For one input image, the first ``max_maps`` feature maps of every Conv2D layer: one Figure each."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {checks.describe(model)}.")
    image = checks.images(checks.array(image, "image")[None], "image", scale="unit")[0]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        raise ValueError("model has no Conv2D layer to show feature maps of.")
    max_maps = checks.positive_int(max_maps, "max_maps")
    image = np.asarray(image, dtype=np.float32)
    expected = tuple(model.inputs[0].shape[1:])
    if image.shape != expected:
        raise ValueError(f"image must have the model's input shape {expected}, got {image.shape}.")
    # One input tensor, not the list `model.inputs`: a single array then matches the
    # structure Keras expects (a list would make every call warn that it does not).
    probe = keras.Model(model.inputs[0], [layer.output for layer in convs])
    outputs = probe(image[None], training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    figures = []
    for layer, maps in zip(convs, outputs):
        maps = np.asarray(maps)[0]
        shown = min(max_maps, maps.shape[-1])
        figures.append(plot_panels([maps[:, :, c] for c in range(shown)],
                                   [f"map {c}" for c in range(shown)], ncols=shown, panel_size=1.6,
                                   title=f"{layer.name}: {shown} of {maps.shape[-1]} feature maps"))
    return figures


def _conv_kernels(layer) -> np.ndarray:
    import keras

    if not isinstance(layer, keras.layers.Conv2D):
        raise TypeError(f"layer must be a keras Conv2D layer, got {type(layer).__name__}.")
    return np.asarray(layer.get_weights()[0])


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
