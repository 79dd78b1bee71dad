"""Plumbing for transfer learning (notebook 09).

Splitting a dataset into a source and a target task by class, drawing a few
labelled examples per class, the sweep figure, and the optional ImageNet base
that falls back to the offline one, announced, when its weights cannot be had
within seconds. (Notebook 07's augmentation figures live in :mod:`helpers.plots`.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import checks, network
from .plots import (  # noqa: F401  (the augmentation figures moved to helpers.plots; their old names stay)
    MARKERS,
    MISTAKE_COLOUR,
    OKABE_ITO,
    augmented_variants,
    plot_augmented,
)

IMAGENET_TIMEOUT_S = 8  # to the first byte, name lookup included: an unreachable host fails within seconds
IMAGENET_DEADLINE_S = 120  # the whole weights file (about 9 MB): then the offline base, announced


def split_classes(x: np.ndarray, y: np.ndarray, classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Keep the examples whose label is in ``classes`` and relabel them 0..len(classes) − 1.

    The new label of an example is the position of its old label in
    ``classes``: ``split_classes(x, y, [5, 6, 7, 8, 9])`` turns class 5 into 0
    and class 9 into 4. Examples keep their order. Returns ``(x_kept, y_new)``,
    ``y_new`` flat (N,) with the integer dtype of ``y``.
    """
    x = checks.array(x, "x")
    y = checks.labels(y, "y")
    checks.same_length(x, "x", y, "y")
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (Sequence, np.ndarray)):
        raise TypeError(f"classes must be a sequence of class indices, got {checks.describe(classes)}.")
    classes = [checks.integer(c, f"classes[{k}]", minimum=0) for k, c in enumerate(classes)]
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise ValueError(f"classes must hold at least two different class indices, got {classes}.")
    missing = [c for c in classes if not np.any(y == c)]
    if missing:
        raise ValueError(f"classes {missing} do not occur in y (its labels: {sorted(set(y.tolist()))}).")
    keep = np.isin(y, classes)
    new_label = {old: new for new, old in enumerate(classes)}
    relabelled = np.array([new_label[int(v)] for v in y[keep]], dtype=y.dtype)
    return x[keep], relabelled


def few_per_class(x: np.ndarray, y: np.ndarray, per_class: int, seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Return exactly ``per_class`` seeded random examples of every class in ``y``.

    The few labelled examples of a transfer-learning target task. Examples
    keep their original order; the same seed gives the same pick.
    """
    x = checks.array(x, "x")
    y = checks.labels(y, "y")
    checks.same_length(x, "x", y, "y")
    per_class = checks.positive_int(per_class, "per_class")
    seed = checks.integer(seed, "seed", minimum=0)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < per_class:
        scarce = classes[np.argmin(counts)]
        raise ValueError(f"per_class must be at most {counts.min()} (class {scarce} has only "
                         f"{counts.min()} examples), got {per_class}.")
    rng = np.random.default_rng(seed)
    index = np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                                    for c in classes]))
    return x[index], y[index]


def plot_validation_bars(scores: dict[str, float], title: str, chance: float | None = None) -> Figure:
    """Horizontal bars of validation accuracy per variant, each labelled with its value.

    ``chance``: draws the chance level as a dashed vermillion line (and says so in the legend).
    """
    if not isinstance(scores, dict) or not scores:
        raise TypeError(f"scores must be a non-empty dict {{name: accuracy}}, got {checks.describe(scores)}.")
    values = [checks.number(v, f"scores[{k!r}]", 0, 1) for k, v in scores.items()]
    checks.text(title, "title")
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(values) + 1.4), layout="constrained")
    names = list(scores)
    bars = ax.barh(names, values, color=[OKABE_ITO[k % 6] for k in range(len(names))],
                   edgecolor="black")
    for bar, value in zip(bars, values):
        ax.text(value + 0.01, bar.get_y() + bar.get_height() / 2, f"{value:.3f}", va="center", fontsize=9)
    if chance is not None:
        chance = checks.number(chance, "chance", 0, 1)
        ax.axvline(chance, color=MISTAKE_COLOUR, linestyle="--", label=f"chance ({chance:.2f})")
        ax.legend(fontsize=8, loc="lower right")
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("validation accuracy")
    ax.set_title(title)
    return fig


def plot_sweep(scores: dict[str, dict[float, float]], title: str, chance: float | None = None,
               xlabel: str = "learning rate (log scale)") -> Figure:
    """Validation accuracy against learning rate (log scale), one line per option, its best rate ringed.

    ``scores``: ``{option: {learning_rate: validation accuracy}}``, as many
    rates per option as were swept. Options differ in colour, marker and line
    style. ``chance``: draws the chance level as a grey dash-dotted line behind
    the options' lines (no option's colour or line style). ``xlabel``: what the
    rate is (say which epochs it applies to when the runs have stages).
    Returns the Figure.
    """
    if not isinstance(scores, dict) or not scores:
        raise TypeError(f"scores must be a non-empty dict {{option: {{learning_rate: accuracy}}}}, "
                        f"got {checks.describe(scores)}.")
    checks.text(title, "title")
    checks.text(xlabel, "xlabel")
    styles = ("-", "--", ":")  # "-." is the chance line's
    fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    for k, (option, sweep) in enumerate(scores.items()):
        if not isinstance(sweep, dict) or not sweep:
            raise TypeError(f"scores[{option!r}] must be a non-empty dict {{learning_rate: accuracy}}, "
                            f"got {checks.describe(sweep)}.")
        rates = sorted(checks.number(r, f"learning rate {r!r} of scores[{option!r}]", 0, None, low_open=True)
                       for r in sweep)
        values = [checks.number(sweep[r], f"scores[{option!r}][{r!r}]", 0, 1) for r in rates]
        colour = OKABE_ITO[k % 6]
        ax.plot(rates, values, linestyle=styles[k % len(styles)], marker=MARKERS[k % len(MARKERS)],
                color=colour, linewidth=2, markersize=7, label=str(option))
        best = int(np.argmax(values))
        ax.plot(rates[best], values[best], "o", markersize=16, markerfacecolor="none", markeredgecolor=colour,
                markeredgewidth=2)
    ax.plot([], [], "o", markersize=16, markerfacecolor="none", markeredgecolor="black", markeredgewidth=2,
            label="best of its sweep")  # the legend's entry for every ring
    if chance is not None:
        chance = checks.number(chance, "chance", 0, 1)
        ax.axhline(chance, color="grey", linestyle="-.", linewidth=1.5, zorder=0, label=f"chance ({chance:.2f})")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("validation accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the axes: it hides no point
    return fig


def imagenet_base_or(fallback, enabled: bool, input_shape: tuple[int, ...] = (28, 28, 1),
                     image_size: int = 96, timeout_s: float = IMAGENET_TIMEOUT_S):
    """Return ``(base, description)``: MobileNetV2 pretrained on ImageNet, or ``fallback``, announced.

    With ``enabled`` it builds a feature extractor that takes this series'
    images (``input_shape``, floats in [0, 1], grey or colour), turns them into
    ``image_size``² RGB scaled as MobileNetV2 expects, and ends in
    ``keras.applications.MobileNetV2(weights="imagenet", include_top=False)``
    with global average pooling, frozen. The weights (about 9 MB) are read
    from the Keras cache or downloaded under :func:`helpers.network.download_limits`:
    at most ``timeout_s`` seconds to the first byte (name lookup included), a
    transfer slower than 20 kB/s over 20 s stops, and the whole file gets
    ``IMAGENET_DEADLINE_S`` (2 minutes). When that fails for any reason, it
    prints what failed (and where to download the file by hand) and returns
    ``fallback`` instead – never silently, never an exception. With
    ``enabled=False`` it returns ``fallback`` and says so.
    """
    import keras

    if not isinstance(fallback, keras.Model):
        raise TypeError(f"fallback must be a keras.Model (the offline base), got {checks.describe(fallback)}.")
    enabled = checks.boolean(enabled, "enabled")
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence) \
            or len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ValueError(f"input_shape must be (height, width, 1 or 3), got {input_shape!r}.")
    image_size = checks.integer(image_size, "image_size", minimum=32, maximum=224)
    timeout_s = checks.number(timeout_s, "timeout_s", 0, 120, low_open=True)
    offline = f"the offline base '{fallback.name}' pretrained in this notebook"
    if not enabled:
        print(f"ImageNet base not requested (USE_IMAGENET = False): using {offline}.")
        return fallback, offline

    start = time.perf_counter()
    try:
        with network.download_limits(timeout_s, IMAGENET_DEADLINE_S):
            imagenet = keras.applications.MobileNetV2(
                weights="imagenet", include_top=False, pooling="avg",
                input_shape=(image_size, image_size, 3))
    except Exception as error:  # no network, a proxy, a timeout, a corrupt cache: all mean "fall back"
        seconds = time.perf_counter() - start
        reason = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
        print(f"*** ImageNet weights could not be loaded after {seconds:.1f} s "
              f"({type(error).__name__}: {reason}).")
        if network.by_hand(error):
            print("*** To use them offline" + network.by_hand(error)[len("- or"):].rstrip())
        print(f"*** Continuing with {offline}.")
        return fallback, offline
    imagenet.trainable = False
    inputs = keras.Input(input_shape)
    x = keras.layers.Resizing(image_size, image_size)(inputs)
    if input_shape[-1] == 1:
        x = keras.layers.Concatenate()([x, x, x])  # grey to RGB
    x = keras.layers.Rescaling(2.0, offset=-1.0)(x)  # [0, 1] -> [-1, 1], MobileNetV2's input range
    outputs = imagenet(x, training=False)
    base = keras.Model(inputs, outputs, name="mobilenet_v2_imagenet")
    description = (f"MobileNetV2 pretrained on ImageNet (frozen, inputs resized to "
                   f"{image_size}×{image_size} RGB), loaded in {time.perf_counter() - start:.1f} s")
    print(description)
    return base, description
