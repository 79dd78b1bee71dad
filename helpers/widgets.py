"""Interactive explorers (ipywidgets), each with a static fallback.

A widget needs a front end (JupyterLab, Colab) to draw. Without one – a
test run, ``jupyter nbconvert``, a printout – the explorer returns a static
Figure instead, so the cell still shows something useful. That Figure is
closed in pyplot before it is returned: the cell shows it once, as its result,
and the inline backend does not draw it a second time. Set
``CNN_STATIC_WIDGETS=1`` to ask for the static version explicitly (the tests do).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import checks
from .plots import _centre_in_extent, examples_per_class, plot_image_grid, show_image

STATIC_VARIABLE = "CNN_STATIC_WIDGETS"


def widget_frontend_available() -> bool:
    """True inside a Jupyter kernel with ipywidgets, unless ``$CNN_STATIC_WIDGETS`` is set."""
    if os.environ.get(STATIC_VARIABLE, "").strip().lower() in ("1", "true", "yes"):
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def show_class_example(images, labels, class_names: Sequence[str], class_index: int,
                       position: int) -> Figure:
    """Figure of the ``position``-th image of class ``class_index``, titled with its place."""
    images = checks.images(images, "images")
    class_names = checks.class_names(class_names)
    labels = checks.labels(labels, "labels", len(class_names))
    checks.same_length(labels, "labels", images, "images")
    class_index = checks.integer(class_index, "class_index", 0, len(class_names) - 1)
    members = np.flatnonzero(labels == class_index)
    if len(members) == 0:
        raise ValueError(f"class_index={class_index} ({class_names[class_index]!r}) has no images here.")
    position = checks.integer(position, "position", 0, len(members) - 1)
    index = members[position]
    fig, ax = plt.subplots(figsize=(3.2, 3.4))
    show_image(ax, images[index])
    ax.set_title(f"{class_names[class_index]} – {position + 1} of {len(members)}\n"
                 f"(dataset index {index})", fontsize=10)
    fig.tight_layout()
    return fig


def image_browser(images, labels, class_names: Sequence[str], static_per_class: int = 6):
    """A class dropdown and an index slider that show one image at a time.

    Returns an ``ipywidgets.VBox`` when a widget front end is available (its
    ``shown`` dict holds the class and dataset index on display), otherwise a
    static Figure with the first ``static_per_class`` images of every class,
    closed in pyplot so that the cell shows it once.
    """
    images = checks.images(images, "images")
    class_names = checks.class_names(class_names)
    labels = checks.labels(labels, "labels", len(class_names))
    checks.same_length(labels, "labels", images, "images")
    static_per_class = checks.positive_int(static_per_class, "static_per_class", maximum=20)

    if not widget_frontend_available():
        print("No widget front end: a static overview instead (one row per class).")
        index = examples_per_class(labels, static_per_class, len(class_names))
        return _shown_once(plot_image_grid(images[index], labels[index], class_names, ncols=static_per_class,
                                           title=f"First {static_per_class} images of each class"))

    import ipywidgets as widgets
    from IPython.display import display

    dropdown = widgets.Dropdown(options=[(n, k) for k, n in enumerate(class_names)],
                                description="class")
    slider = widgets.IntSlider(min=0, max=0, description="example", continuous_update=False)
    output = widgets.Output()
    box = widgets.VBox([widgets.HBox([dropdown, slider]), output])
    box.shown = {}

    def draw(change=None):
        members = np.flatnonzero(labels == dropdown.value)
        with output:
            output.clear_output(wait=True)
            if len(members) == 0:
                print(f"No images of class {class_names[dropdown.value]!r} here.")
                return
            fig = show_class_example(images, labels, class_names, dropdown.value, slider.value)
            display(fig)
            plt.close(fig)
        box.shown = {"class": int(dropdown.value), "index": int(members[slider.value])}

    def on_class(change):
        redraw_needed = slider.value == 0  # otherwise resetting the slider redraws
        slider.value = 0
        slider.max = max(int(np.sum(labels == dropdown.value)) - 1, 0)
        if redraw_needed:
            draw()

    dropdown.observe(on_class, "value")
    slider.observe(draw, "value")
    on_class(None)
    return box


def _shown_once(fig: Figure) -> Figure:
    """Close ``fig`` in pyplot and return it: a cell that ends with it shows it once.

    Without this the inline backend draws every open figure when the cell ends,
    and the Figure returned as the cell's value is drawn again.
    """
    plt.close(fig)
    return fig


def _output_scale(kernel_weights: np.ndarray, image: np.ndarray) -> str:
    """How to draw a classic kernel's output: ``"signed"``, ``"unit"`` or ``"own"``.

    Kernels whose weights sum to 0 (edge detectors) answer 0 on a flat region,
    so their output is signed: drawn symmetric about 0, mid-grey meaning 0.
    Others (identity, blurs, sharpen) keep brightness: drawn on 0..1 like an
    image in [0, 1], else on the output's own range.
    """
    if abs(float(np.sum(kernel_weights))) < 1e-6:
        return "signed"
    return _image_scale(image)


def _image_scale(image: np.ndarray) -> str:
    """``"unit"`` for an image in [0, 1] (0 black, 1 white), else ``"own"`` (its own min..max)."""
    return "unit" if 0 <= float(np.min(image)) and float(np.max(image)) <= 1 else "own"


def _limits(scale: str, values: np.ndarray) -> tuple[float | None, float | None]:
    if scale == "signed":
        reach = float(np.abs(values).max()) or 1.0
        return -reach, reach
    return (0.0, 1.0) if scale == "unit" else (None, None)


def _explore_figure(image: np.ndarray, kernel_name: str, stride: int, padding,
                    output: np.ndarray) -> Figure:
    from .ops import kernel

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.6),
                             gridspec_kw={"width_ratios": [4, 1, 4]})
    low, high = _limits(_image_scale(image), image)
    axes[0].imshow(image, cmap="gray", vmin=low, vmax=high)
    axes[0].set_title(f"input {image.shape[0]}×{image.shape[1]}", fontsize=10)
    weights = kernel(kernel_name)
    limit = float(np.abs(weights).max()) or 1.0
    # Diverging map centred on zero: zero weights are the neutral middle colour, the sign shows.
    drawn = axes[1].imshow(weights, cmap="PuOr", vmin=-limit, vmax=limit)
    bar = fig.colorbar(drawn, ax=axes[1], fraction=0.08, pad=0.04)
    bar.ax.tick_params(labelsize=10)
    axes[1].set_title(kernel_name, fontsize=10)
    low, high = _limits(_output_scale(weights, image), output)  # signed: mid-grey is 0
    axes[2].imshow(output, cmap="gray", vmin=low, vmax=high)
    # Input and output at one pixel scale: a stride or "valid" padding makes the output visibly smaller.
    extent = (max(image.shape[0], output.shape[0]), max(image.shape[1], output.shape[1]))
    _centre_in_extent(axes[0], image.shape, extent)
    _centre_in_extent(axes[2], output.shape, extent)
    axes[2].set_title(f"output {output.shape[0]}×{output.shape[1]} (same pixel scale)\n"
                      f"stride {stride}, padding {padding!r}", fontsize=10)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def convolution_explorer(images: dict[str, np.ndarray]):
    """Pick an image, a classic kernel, a stride and a padding; see the output and its shape.

    ``images`` maps names to 2-D grey images in [0, 1]. Returns an
    ``ipywidgets.VBox`` (its ``shown`` dict holds the current settings and
    output shape), or, without a widget front end, a static Figure of a few
    settings, closed in pyplot so that the cell shows it once. Outputs are
    drawn at the input's pixel scale; an edge kernel's (weights summing to 0)
    symmetric about 0, so mid-grey means 0.
    """
    from .ops import KERNELS, conv2d, kernel

    if not isinstance(images, dict) or not images:
        raise TypeError("images must be a non-empty dict mapping names to 2-D grey images, got "
                        f"{checks.describe(images)}.")
    for name, image in images.items():
        checks.finite(checks.array(image, f"images[{name!r}]", ndim=2).astype(float),
                      f"images[{name!r}]")

    if not widget_frontend_available():
        print("No widget front end: a static overview of a few settings instead.")
        image = next(iter(images.values()))
        settings = [("sobel x", 1, "valid"), ("sobel x", 2, "same"), ("box blur", 3, 1)]
        outputs = [conv2d(image, kernel(k), stride=s, padding=p) for k, s, p in settings]
        from .plots import plot_panels

        return _shown_once(plot_panels(
            [image, *outputs], ["input"] + [f"{k}\nstride {s}, padding {p!r}" for k, s, p in settings],
            ncols=4, scale=[_image_scale(image)] + [_output_scale(kernel(k), image) for k, _, _ in settings],
            true_size=True,
            title="Convolution: kernel, stride and padding (every panel at the same pixel scale)"))

    import ipywidgets as widgets
    from IPython.display import display

    image_choice = widgets.Dropdown(options=list(images), description="image")
    kernel_choice = widgets.Dropdown(options=list(KERNELS), value="sobel x", description="kernel")
    stride_choice = widgets.IntSlider(value=1, min=1, max=4, description="stride",
                                      continuous_update=False)
    padding_choice = widgets.Dropdown(options=[("valid", "valid"), ("same", "same"), ("1", 1),
                                               ("2", 2)], description="padding")
    output = widgets.Output()
    controls = widgets.HBox([widgets.VBox([image_choice, kernel_choice]),
                             widgets.VBox([stride_choice, padding_choice])])
    box = widgets.VBox([controls, output])
    box.shown = {}

    def draw(change=None):
        image = np.asarray(images[image_choice.value], dtype=np.float64)
        result = conv2d(image, kernel(kernel_choice.value), stride=stride_choice.value,
                        padding=padding_choice.value)
        with output:
            output.clear_output(wait=True)
            fig = _explore_figure(image, kernel_choice.value, stride_choice.value,
                                  padding_choice.value, result)
            display(fig)
            plt.close(fig)
        box.shown = {"image": image_choice.value, "kernel": kernel_choice.value,
                     "stride": stride_choice.value, "padding": padding_choice.value,
                     "output_shape": result.shape}

    for control in (image_choice, kernel_choice, stride_choice, padding_choice):
        control.observe(draw, "value")
    draw()
    return box
