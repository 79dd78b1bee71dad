"""Figures the notebooks share. Every function returns its matplotlib Figure.

Colours come from the Okabe–Ito palette, which stays distinguishable for the
common forms of colour blindness; where colour carries meaning a second cue
(line style, marker, text) carries it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import is_color_like
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import checks

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
CORRECT_COLOUR, MISTAKE_COLOUR = OKABE_ITO[0], OKABE_ITO[3]
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")  # one per overlaid run: the cue besides its colour
MAX_CLASSES = 10_000  # far beyond any dataset here; a larger count is a slip (and an endless loop)


def show_image(ax, image: np.ndarray) -> None:
    """Draw one image (grey for one channel, colour for three) without axis ticks."""
    image = checks.pixel_values(checks.array(image, "image", ndim=(2, 3)), "image")
    if image.ndim == 3 and image.shape[-1] not in (1, 3):
        raise ValueError(f"image must be (H, W), (H, W, 1) or (H, W, 3), got {image.shape}.")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_image_grid(
    images,
    labels=None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    predictions=None,
    title: str | None = None,
    panel_size: float = 1.4,
    confidences=None,
) -> Figure:
    """Show images in a grid, titled with class names.

    With ``predictions`` each title reads "actual / predicted" and mistakes
    are marked in vermillion with a "✗" (colour is not the only cue);
    ``confidences`` (one probability per image) adds the prediction's
    probability, e.g. "cat / dog 97% ✗".
    """
    images = checks.images(images, "images")
    ncols = checks.positive_int(ncols, "ncols")
    panel_size = checks.number(panel_size, "panel_size", 0.5, 10)
    if class_names is not None:
        class_names = checks.class_names(class_names)
    num_classes = None if class_names is None else len(class_names)
    labels = None if labels is None else checks.labels(labels, "labels", num_classes)
    predictions = (None if predictions is None
                   else checks.labels(predictions, "predictions", num_classes))
    for argument, values in (("labels", labels), ("predictions", predictions)):
        if values is not None:
            checks.same_length(values, argument, images, "images")
    if predictions is not None and labels is None:
        raise ValueError("predictions need labels to compare with: pass labels too.")
    if confidences is not None:
        if predictions is None:
            raise ValueError("confidences need predictions: pass predictions too.")
        confidences = checks.array(confidences, "confidences", ndim=1)
        checks.same_length(confidences, "confidences", images, "images")
        checks.number(float(confidences.min()), "confidences (smallest)", 0, 1)
        checks.number(float(confidences.max()), "confidences (largest)", 0, 1)

    ncols = min(int(ncols), len(images))
    nrows = int(np.ceil(len(images) / ncols))
    name = (lambda k: class_names[k]) if class_names is not None else str
    # Room above every panel for its title (up to two lines), so a row's titles clear the row above.
    title_lines = 0 if labels is None else (1 if predictions is None else 2)
    row_height = panel_size + 0.22 * title_lines + 0.08
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, row_height * nrows + 0.5),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(images):
            ax.axis("off")
            continue
        show_image(ax, images[i])
        if labels is None:
            continue
        if predictions is None:
            ax.set_title(name(labels[i]), fontsize=10)
        else:
            wrong = predictions[i] != labels[i]
            sure = "" if confidences is None else f" {confidences[i]:.0%}"
            text = f"{name(labels[i])} / {name(predictions[i])}{sure}" + (" ✗" if wrong else "")
            if len(text) > 6 * panel_size + 4:  # keep long names inside the panel's width
                text = text.replace(" / ", " /\n", 1)
            ax.set_title(text, fontsize=10, color=MISTAKE_COLOUR if wrong else "black")
            if wrong:
                for spine in ax.spines.values():
                    spine.set(color=MISTAKE_COLOUR, linewidth=3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_class_distribution(
    label_sets: Mapping[str, np.ndarray],
    class_names: Sequence[str],
    title: str = "Images per class",
) -> Figure:
    """Grouped bar chart of how many examples each class has, one bar group per split.

    ``label_sets`` maps a split name ("train", "test") to its labels.
    """
    if not isinstance(label_sets, Mapping) or not label_sets:
        raise TypeError("label_sets must be a non-empty mapping such as {'train': y_train}, got "
                        f"{checks.describe(label_sets)}.")
    class_names = checks.class_names(class_names)
    counts = {}
    for split, labels in label_sets.items():
        flat = checks.labels(labels, f"label_sets[{split!r}]", len(class_names))
        counts[split] = np.bincount(flat, minlength=len(class_names))

    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / len(counts)
    positions = np.arange(len(class_names))
    for k, (split, values) in enumerate(counts.items()):
        bars = ax.bar(positions + (k - (len(counts) - 1) / 2) * width, values, width,
                      label=f"{split} ({values.sum():,} images)", color=OKABE_ITO[k % len(OKABE_ITO)],
                      hatch=("", "//", "..", "xx")[k % 4], edgecolor="white")
        ax.bar_label(bars, fontsize=10, padding=1)
    ax.set_xticks(positions, class_names, rotation=30, ha="right", fontsize=10)
    ax.set_xlabel("class")
    ax.set_ylabel("number of images")
    ax.set_title(title)
    # Headroom above the tallest bar and its label, where the legend sits: it covers no bar.
    tallest = max(int(values.max()) for values in counts.values())
    ax.set_ylim(0, 1.45 * max(tallest, 1))
    ax.legend(loc="upper center", ncols=len(counts), fontsize=10)
    fig.tight_layout()
    return fig


def plot_channel_histograms(
    images, channel_names: Sequence[str] = ("red", "green", "blue"), bins: int = 64
) -> Figure:
    """One histogram of pixel values per channel, each in its own panel."""
    images = checks.images(images, "images")
    bins = checks.positive_int(bins, "bins", maximum=1024)
    channels = 1 if images.ndim == 3 else images.shape[-1]
    channel_names = checks.names(channel_names, "channel_names", channels)
    pixels = images.reshape(len(images), -1, channels)
    fig, axes = plt.subplots(1, channels, figsize=(4 * channels, 3.2), sharey=True, squeeze=False)
    upper = 255 if np.issubdtype(images.dtype, np.integer) else 1.0
    tallest, means = 0.0, []
    for c, ax in enumerate(axes[0]):
        values = pixels[:, :, c].ravel()
        heights, _, _ = ax.hist(values, bins=bins, range=(0, upper), color=OKABE_ITO[(3, 2, 0)[c % 3]])
        tallest = max(tallest, float(heights.max()))
        means.append(float(values.mean()))
        ax.axvline(means[-1], color="black", linestyle="--",
                   label=f"mean {means[-1]:.1f}" if upper == 255 else f"mean {means[-1]:.3f}")
        ax.set_title(f"{channel_names[c]} channel")
        ax.set_xlabel("pixel value")
    for ax, mean in zip(axes[0], means):
        # Headroom above the tallest bar (shared y axis), where the legend sits, on the side of the
        # panel away from the mean line, so it hides neither a bar nor the line.
        ax.set_ylim(0, 1.3 * max(tallest, 1.0))
        ax.legend(loc="upper left" if mean > upper / 2 else "upper right", fontsize=10)
    axes[0][0].set_ylabel("number of pixels")
    fig.suptitle("Pixel value distribution per channel")
    fig.tight_layout()
    return fig


def examples_per_class(labels, per_class: int, num_classes: int | None = None) -> np.ndarray:
    """Indices of the first ``per_class`` examples of each class, class after class."""
    labels = checks.labels(labels, "labels")
    per_class = checks.positive_int(per_class, "per_class")
    num_classes = (int(labels.max()) + 1 if num_classes is None
                   else checks.positive_int(num_classes, "num_classes", maximum=MAX_CLASSES))
    checks.labels(labels, "labels", num_classes)
    return np.concatenate(
        [np.flatnonzero(labels == k)[:per_class] for k in range(num_classes)]
    ).astype(int)


PANEL_SCALES = ("own", "unit", "signed")


def _centre_in_extent(ax, shape: tuple[int, int], extent: tuple[int, int]) -> None:
    """Show an image of ``shape`` (H, W) drawn on ``ax`` centred in an ``extent`` (H, W) of pixels.

    Axes of equal size given the same extent draw every image at one pixel
    scale, so a smaller image looks smaller. The image gets a thin frame; the
    axes' own frame is hidden (the empty margin is not part of the image).
    """
    (h, w), (big_h, big_w) = (checks.positive_int(v, "shape") for v in shape), extent
    big_h, big_w = max(checks.positive_int(big_h, "extent"), h), max(checks.positive_int(big_w, "extent"), w)
    ax.set_xlim(-0.5 - (big_w - w) / 2, w - 0.5 + (big_w - w) / 2)
    ax.set_ylim(h - 0.5 + (big_h - h) / 2, -0.5 - (big_h - h) / 2)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.add_patch(plt.Rectangle((-0.5, -0.5), w, h, fill=False, linewidth=0.8, edgecolor="black"))


def _panel_limits(image: np.ndarray, spec, argument: str) -> tuple[float, float] | None:
    """(vmin, vmax) of one 2-D panel for ``spec``; ``None`` lets matplotlib use the panel's own range."""
    if isinstance(spec, str):
        spec = checks.one_of(spec, argument, PANEL_SCALES)
        if spec == "own":
            return None
        if spec == "unit":
            return 0.0, 1.0
        limit = float(np.abs(image).max()) or 1.0  # "signed": symmetric, so 0 is the middle colour
        return -limit, limit
    if isinstance(spec, (tuple, list, np.ndarray)) and len(spec) == 2:
        low, high = (checks.number(v, f"{argument} ({end})") for v, end in zip(spec, ("low", "high")))
        if not low < high:
            raise ValueError(f"{argument} must be a (low, high) pair with low < high, got {tuple(spec)}.")
        return low, high
    raise TypeError(f"{argument} must be one of {', '.join(map(repr, PANEL_SCALES))} or a (low, high) "
                    f"pair, got {checks.describe(spec)}.")


def _per_panel_scales(scale, count: int) -> list[tuple]:
    """``(spec, argument name)`` per panel: ``scale`` for all, or one each when ``scale`` is a list of specs."""
    is_pair = (isinstance(scale, (tuple, list)) and len(scale) == 2
               and all(isinstance(v, (int, float, np.integer, np.floating)) for v in scale))
    if isinstance(scale, str) or is_pair or not isinstance(scale, (tuple, list)):
        return [(scale, "scale")] * count
    if len(scale) != count:
        raise ValueError(f"scale must be one setting for every panel or a list of {count} (one per "
                         f"panel), got a list of {len(scale)}.")
    return [(spec, f"scale[{k}]") for k, spec in enumerate(scale)]


def plot_panels(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    ncols: int = 4,
    title: str | None = None,
    cmap: str = "gray",
    panel_size: float = 2.6,
    scale="own",
    colorbar: bool = False,
    true_size: bool = False,
    colorbar_label: str | None = None,
    zero_colour: str | None = None,
) -> Figure:
    """Show 2-D arrays of any sizes side by side, each with its title and shape.

    For feature maps and kernel outputs. ``scale`` sets what the colours of a
    2-D panel mean: ``"own"`` (each panel stretched to its own min..max),
    ``"unit"`` (0 black, 1 white, beyond clipped: brightness), ``"signed"``
    (symmetric about 0, so 0 is the middle grey: signed responses), or a
    ``(low, high)`` pair; one setting for all panels or a list with one per
    panel. ``colorbar`` adds each 2-D panel's colour scale, titled
    ``colorbar_label`` when given (what the colours measure). ``zero_colour``
    (e.g. ``"white"``) draws pixels that are exactly 0 in that colour, apart
    from the colour map, so "no response" differs from a small one. ``true_size``
    draws every panel at one pixel scale (the largest panel's), so an output
    smaller than its input also looks smaller. Colour (H, W, 3) panels are
    drawn as images (floats clipped to [0, 1]). Returns the Figure.
    """
    if isinstance(images, np.ndarray) and images.ndim == 2:
        raise TypeError("images must be a list of 2-D arrays; wrap a single image as [image].")
    if not isinstance(images, (Sequence, np.ndarray)) or isinstance(titles, str) \
            or not isinstance(titles, Sequence):
        raise TypeError(f"images and titles must be lists, got {checks.describe(images)} and "
                        f"{checks.describe(titles)}.")
    if len(images) != len(titles) or len(images) == 0:
        raise ValueError(f"images and titles must be non-empty and of equal length, got "
                         f"{len(images)} and {len(titles)}.")
    ncols = checks.positive_int(ncols, "ncols")
    titles = checks.names(titles, "titles")
    checks.text(cmap, "cmap")
    panel_size = checks.number(panel_size, "panel_size", 0.5, 10)
    colorbar = checks.boolean(colorbar, "colorbar")
    true_size = checks.boolean(true_size, "true_size")
    if colorbar_label is not None:
        checks.text(colorbar_label, "colorbar_label")
        if not colorbar:
            raise ValueError("colorbar_label titles the colour bars: pass colorbar=True too.")
    colour_map = plt.get_cmap(cmap)
    if zero_colour is not None:
        checks.text(zero_colour, "zero_colour")
        if not is_color_like(zero_colour):
            raise ValueError(f"zero_colour must be a matplotlib colour such as 'white', got {zero_colour!r}.")
        colour_map = colour_map.with_extremes(bad=zero_colour)  # zeros are masked, drawn as "bad"
    for k, image in enumerate(images):
        checks.finite(checks.array(image, f"images[{k}]", ndim=(2, 3)).astype(float), f"images[{k}]")
    limits = [_panel_limits(np.asarray(image, dtype=float), spec, argument)
              for image, (spec, argument) in zip(images, _per_panel_scales(scale, len(images)))]
    ncols = min(int(ncols), len(images))
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows + 0.5),
                             squeeze=False, layout="constrained")
    largest = (max(np.shape(image)[0] for image in images), max(np.shape(image)[1] for image in images))
    for k, (ax, image, name) in enumerate(zip(axes.flat, images, titles)):
        image = np.asarray(image)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim == 3 and image.shape[-1] == 3:
            show_image(ax, np.clip(image, 0, 1) if image.dtype.kind == "f" else image)
        elif image.ndim == 2:
            low, high = limits[k] if limits[k] is not None else (None, None)
            shown = image if zero_colour is None else np.ma.masked_equal(image, 0)
            drawn = ax.imshow(shown, cmap=colour_map, vmin=low, vmax=high)
            ax.set_xticks([])
            ax.set_yticks([])
            if colorbar:
                bar = fig.colorbar(drawn, ax=ax, fraction=0.046, pad=0.03)
                bar.ax.tick_params(labelsize=10)
                if colorbar_label is not None:
                    bar.set_label(colorbar_label, fontsize=10)
        else:
            raise ValueError(f"each image must be 2-D, (H, W, 1) or (H, W, 3); got {image.shape}.")
        if true_size:
            _centre_in_extent(ax, image.shape[:2], largest)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(f"{image.shape[0]}×{image.shape[1]} pixels", fontsize=10)
    for ax in list(axes.flat)[len(images):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return fig


def smooth(values: Sequence[float], factor: float) -> np.ndarray:
    """Exponential moving average: ``s[t] = factor·s[t-1] + (1 − factor)·v[t]``, bias-corrected."""
    factor = checks.number(factor, "smoothing", 0, 1, high_open=True)
    values = checks.finite(checks.array(values, "values", ndim=1).astype(float), "values")
    out, level, weight = np.empty_like(values), 0.0, 0.0
    for i, v in enumerate(values):
        level = factor * level + (1 - factor) * v
        weight = factor * weight + (1 - factor)
        out[i] = level / weight
    return out


def _curves(run, argument: str = "runs") -> tuple[str, dict[str, list[tuple[str, np.ndarray, np.ndarray]]]]:
    """Turn a History, a history dict or a TrainingRecord into x label and per-panel series."""
    from .training import TrainingRecord

    if isinstance(run, TrainingRecord):
        if not run.iterations:
            raise ValueError(f"{argument} is an empty TrainingRecord (no iterations recorded).")
        return "iteration", {
            "loss": [("train", np.array(run.iterations), np.array(run.train_loss))],
            "accuracy": [("train", np.array(run.iterations), np.array(run.train_accuracy)),
                         (run.eval_split, np.array(run.eval_iterations),
                          np.array(run.eval_accuracy))],
        }
    history = getattr(run, "history", run)
    if not isinstance(history, Mapping) or "loss" not in history:
        raise TypeError("each run must be a keras History, its .history dict (with 'loss') "
                        f"or a TrainingRecord; got {checks.describe(run)}.")
    panels = {}
    for metric in ("loss", "accuracy"):
        for key, split in ((metric, "train"), (f"val_{metric}", "validation")):
            if key in history:
                y = checks.array(history[key], f"{argument}[{key!r}]", ndim=1).astype(float)
                checks.finite(y, f"{argument}[{key!r}]")
                panels.setdefault(metric, []).append((split, np.arange(1, len(y) + 1), y))
    return "epoch", panels


def plot_learning_curves(runs, smoothing: float = 0.0, title: str | None = None) -> Figure:
    """Loss and accuracy curves: training solid, validation (or test) dashed.

    ``runs``: one run – a Keras ``History``, its ``.history`` dict or a
    :class:`~helpers.training.TrainingRecord` – or a dict ``{name: run}`` to
    overlay several on shared axes, one colour and marker each. ``smoothing`` in [0, 1)
    draws an exponential moving average over the faint raw curve; the factor
    applies per epoch or iteration, so sparser curves are smoothed alike.
    """
    smoothing = checks.number(smoothing, "smoothing", 0, 1, high_open=True)
    single = (not isinstance(runs, Mapping)) or "loss" in runs
    named = {"": runs} if single else dict(runs)
    if not named:
        raise ValueError("runs must not be empty: pass a history or {name: history}.")
    parsed = {name: _curves(run, "runs" if single else f"runs[{name!r}]") for name, run in named.items()}
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for k, (name, (x_label, panels)) in enumerate(parsed.items()):
        colours = (OKABE_ITO[k % len(OKABE_ITO)],) * 2 if not single else (OKABE_ITO[0], OKABE_ITO[1])
        for ax, metric in zip(axes, ("loss", "accuracy")):
            for split, x, y in panels.get(metric, []):
                colour = colours[0] if split == "train" else colours[1]
                style = "-" if split == "train" else "--"
                label = f"{name} {split}".strip()
                if smoothing:
                    ax.plot(x, y, style, color=colour, alpha=0.25, linewidth=1)
                    # Per x unit, so curves sampled every few iterations smooth over the same span.
                    step = float(np.median(np.diff(x))) if len(x) > 1 else 1.0
                    y = smooth(y, smoothing**step)
                ax.plot(x, y, style, color=colour, label=label, linewidth=2,
                        marker=MARKERS[0 if single else k % len(MARKERS)], markersize=4,
                        markevery=max(1, len(x) // 20))  # about 20 markers on a long curve
            ax.set_xlabel(x_label)
            ax.set_ylabel(metric)
            ax.set_title(metric.capitalize())
            ax.grid(alpha=0.3)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and iterations are whole numbers
    fig.suptitle(title or "Learning curves" + (f" (smoothing {smoothing})" if smoothing else ""))
    if len(parsed) == 1:  # one run: its (two or four) entries fit inside a panel
        for ax in axes:
            if ax.lines:
                ax.legend(fontsize=10)
        fig.tight_layout()
        return fig
    # Several runs: one legend under both panels, where it hides no curve.
    fullest = max(axes, key=lambda ax: len(ax.get_legend_handles_labels()[1]))
    handles, labels = fullest.get_legend_handles_labels()
    columns = min(5, len(labels))
    rows = -(-len(labels) // columns)
    fig.set_size_inches(11, 3.8 + 0.3 * rows)
    fig.legend(handles, labels, loc="lower center", ncol=columns, fontsize=10, frameon=False)
    fig.tight_layout(rect=(0, 0.3 * rows / (3.8 + 0.3 * rows) + 0.02, 1, 1))
    return fig


def plot_search(scores: Mapping[str, Sequence[float]], values: Sequence[float], chance: float | None = None,
                title: str | None = None, xlabel: str = "learning rate (log scale)",
                ylabel: str = "validation accuracy", log_x: bool = True, dodge: float = 0.0) -> Figure:
    """One line per option over a searched hyperparameter: a score for each of ``values``.

    ``scores`` maps an option's name (e.g. an optimizer) to one score per value
    (e.g. validation accuracy per learning rate); ``values`` are drawn on a log
    axis (then they must be positive) unless ``log_x`` is False. Each option has
    its own colour and marker (on at most about ten points of a long series);
    ``chance`` draws the score of guessing as a dotted line. ``dodge`` shifts the
    options sideways by that fraction of a step (×(1 + dodge) per option on a log
    axis), so markers that land on the same score do not hide each other.
    """
    log_x = checks.boolean(log_x, "log_x")
    dodge = checks.number(dodge, "dodge", 0, 0.5)
    values = checks.finite(checks.array(values, "values", ndim=1).astype(float), "values")
    if not len(values) or (log_x and np.any(values <= 0)):
        raise ValueError(f"values must be one or more {'positive ' if log_x else ''}numbers"
                         f"{' (a log axis)' if log_x else ''}, got {values.tolist()[:10]}.")
    if not isinstance(scores, Mapping) or not scores:
        raise TypeError(f"scores must be a non-empty dict {{option: [score per value]}}, got "
                        f"{checks.describe(scores)}.")
    series = {}
    for name, row in scores.items():
        checks.text(name, "scores' keys")
        row = checks.array(row, f"scores[{name!r}]", ndim=1).astype(float)
        if len(row) != len(values):
            raise ValueError(f"scores[{name!r}] must hold one score per value ({len(values)}), got {len(row)}.")
        series[name] = row
    if chance is not None:
        chance = checks.number(chance, "chance")
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, (name, row) in enumerate(series.items()):
        offset = k - (len(series) - 1) / 2
        x = values * (1 + dodge) ** offset if log_x else values + dodge * offset
        ax.plot(x, row, "-", color=OKABE_ITO[k % len(OKABE_ITO)], marker=MARKERS[k % len(MARKERS)],
                markersize=7, linewidth=2, label=name, markevery=max(1, len(values) // 10))
    if chance is not None:
        ax.axhline(chance, color="0.4", linestyle=":", linewidth=1.5, label=f"chance ({chance:g})")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"{ylabel} per {xlabel}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig


def augmented_variants(augment, image: np.ndarray, count: int) -> np.ndarray:
    """Pass one image through ``augment`` in training mode ``count`` times; return the results.

    ``augment``: a Keras layer or model of random preprocessing layers;
    ``image``: (H, W, C) floats in [0, 1]. Returns float32 (count, H, W, C),
    one independent random draw per row. Random layers carry their own
    generators, seeded when they are built: after ``helpers.setup(SEED, ...)``
    the same notebook run draws the same variants, and every call draws new ones.
    """
    if not callable(augment):
        raise TypeError(f"augment must be a Keras layer or model, got {checks.describe(augment)}.")
    image = checks.array(image, "image", ndim=3)
    checks.images(image[np.newaxis], "image", scale="unit")
    count = checks.positive_int(count, "count", maximum=100)
    batch = np.repeat(image[np.newaxis].astype("float32"), count, axis=0)
    return np.asarray(augment(batch, training=True), dtype="float32")


def plot_augmented(images: Sequence[np.ndarray], titles: Sequence[str], ncols: int = 8,
                   title: str | None = None, panel_size: float = 1.6) -> Figure:
    """Show images on one fixed brightness scale (0 black, 1 white), the first one framed as the original.

    Unlike :func:`helpers.plot_panels`, panels are not rescaled to their own
    range, so a change of contrast or brightness stays visible.
    """
    if (isinstance(images, np.ndarray) and images.ndim < 3) or isinstance(images, (str, bytes)) \
            or not isinstance(images, (np.ndarray, Sequence)):
        raise TypeError(f"images must be a list of images or an (N, H, W[, C]) array, got "
                        f"{checks.describe(images)}.")
    if isinstance(titles, str) or not isinstance(titles, Sequence):
        raise TypeError(f"titles must be a list of strings, got {checks.describe(titles)}.")
    if len(images) == 0:
        raise ValueError("images is empty: pass at least one image (the original first, then its variants).")
    grey = [np.asarray(i, dtype="float32") for i in images]
    grey = [i[..., 0] if i.ndim == 3 and i.shape[-1] == 1 else i for i in grey]
    if len({i.shape for i in grey}) != 1:
        raise ValueError(f"images must all have one shape, got {sorted({i.shape for i in grey})}.")
    stack = checks.images(np.stack(grey), "images", scale="unit")
    if len(titles) != len(stack):
        raise ValueError(f"images and titles must have the same length, got {len(stack)} and {len(titles)}.")
    ncols = min(checks.positive_int(ncols, "ncols"), len(stack))
    panel_size = checks.number(panel_size, "panel_size", 0.5, 10)
    nrows = int(np.ceil(len(stack) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows + 0.6),
                             squeeze=False, layout="constrained")
    for k, (ax, image, name) in enumerate(zip(axes.flat, stack, titles)):
        shown = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
        ax.imshow(shown, cmap="gray", vmin=0.0, vmax=1.0)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(name, fontsize=10, color=OKABE_ITO[0] if k == 0 else "black",
                     fontweight="bold" if k == 0 else "normal")
        if k == 0:  # the original: framed (colour) and bold title (second cue)
            for side in ax.spines.values():
                side.set_edgecolor(OKABE_ITO[0])
                side.set_linewidth(3)
    for ax in list(axes.flat)[len(stack):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.supxlabel("pixel values drawn on one scale: 0 = black, 1 = white", fontsize=10)
    return fig
