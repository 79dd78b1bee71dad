"""Interactive explorers (ipywidgets), each with a static fallback.

A widget needs a front end (JupyterLab, Colab) to draw. Without one – a
test run, ``jupyter nbconvert``, a printout – the explorer returns a static
Figure instead, so the cell still shows something useful. Set
``CNN_STATIC_WIDGETS=1`` to ask for the static version explicitly (the tests do).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .plots import _check_classes, as_label_vector, check_images, examples_per_class
from .plots import plot_image_grid, show_image

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
    images, labels = check_images(images), as_label_vector(labels)
    if not 0 <= class_index < len(class_names):
        raise ValueError(f"class_index must be in 0..{len(class_names) - 1}, got {class_index!r}.")
    members = np.flatnonzero(labels == class_index)
    if not 0 <= position < len(members):
        raise ValueError(f"position must be in 0..{len(members) - 1} for class "
                         f"{class_names[class_index]!r}, got {position!r}.")
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
    static Figure with the first ``static_per_class`` images of every class.
    """
    images, labels = check_images(images), as_label_vector(labels)
    if len(labels) != len(images):
        raise ValueError(f"labels has {len(labels)} entries for {len(images)} images.")
    _check_classes(labels, class_names, "labels")

    if not widget_frontend_available():
        print("No widget front end: a static overview instead (one row per class).")
        index = examples_per_class(labels, static_per_class, len(class_names))
        return plot_image_grid(images[index], labels[index], class_names, ncols=static_per_class,
                               title=f"First {static_per_class} images of each class")

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
