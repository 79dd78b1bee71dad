"""Plumbing for the CNN teaching notebooks: profiles, data, plots, widgets, models.

What a notebook teaches is written out in the notebook; this package holds what
several notebooks share. ``import helpers`` and call the names below.
"""

from .data import (
    DATASETS,
    Dataset,
    DatasetUnavailableError,
    expected_files,
    is_cached,
    keras_cache_dir,
    load_dataset,
    stratified_subset,
)
from .plots import (
    OKABE_ITO,
    examples_per_class,
    plot_channel_histograms,
    plot_class_distribution,
    plot_image_grid,
)
from .runtime import PROFILES, active_profile, artifacts_dir, by_profile, environment_report, setup
from .widgets import image_browser, show_class_example, widget_frontend_available

__all__ = [
    "DATASETS", "Dataset", "DatasetUnavailableError", "OKABE_ITO", "PROFILES",
    "active_profile", "artifacts_dir", "by_profile", "environment_report",
    "examples_per_class", "expected_files", "image_browser", "is_cached", "keras_cache_dir",
    "load_dataset", "plot_channel_histograms", "plot_class_distribution", "plot_image_grid",
    "setup", "show_class_example", "stratified_subset", "widget_frontend_available",
]
