"""Plumbing for the CNN teaching notebooks: profiles, data, plots, widgets, models.

What a notebook teaches is written out in the notebook; this package holds what
several notebooks share. ``import helpers`` and call the names below.
"""

from . import evaluation, models, ops, training
from .data import (
    DATASETS,
    Dataset,
    DatasetUnavailableError,
    expected_files,
    is_cached,
    keras_cache_dir,
    load_dataset,
    sample_images,
    stratified_subset,
)
from .plots import (
    OKABE_ITO,
    examples_per_class,
    plot_channel_histograms,
    plot_class_distribution,
    plot_image_grid,
    plot_learning_curves,
    plot_panels,
)
from .runtime import PROFILES, active_profile, artifacts_dir, by_profile, environment_report, setup
from .training import TrainingRecord, image_batches, load_or_train, save_trained, train_on_batches
from .widgets import convolution_explorer, image_browser, show_class_example, widget_frontend_available

__all__ = [
    "models", "ops", "training", "plot_learning_curves", "TrainingRecord", "train_on_batches", "image_batches", "evaluation", "load_or_train",
    "save_trained",
    "DATASETS", "Dataset", "DatasetUnavailableError", "OKABE_ITO", "PROFILES",
    "active_profile", "artifacts_dir", "by_profile", "environment_report",
    "examples_per_class", "expected_files", "image_browser", "is_cached", "keras_cache_dir",
    "load_dataset", "plot_channel_histograms", "plot_class_distribution", "plot_image_grid",
    "plot_panels", "sample_images", "setup", "show_class_example", "convolution_explorer", "stratified_subset", "widget_frontend_available",
]
