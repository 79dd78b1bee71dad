"""Plumbing for the CNN teaching notebooks: profiles, data, recipes, plots, widgets, models.

What a notebook teaches is written out in the notebook; this package holds what
several notebooks share. ``import helpers`` and call the names below; the
modules (``helpers.checks``, ``helpers.ops``, ``helpers.evaluation``, ...) hold
the rest.
"""

from .runtime import ignore_keras_shuffle_default_warning, ignore_tensorflow_retracing_warning, quiet_tensorflow_startup

quiet_tensorflow_startup()  # before anything below imports TensorFlow  # noqa: E402
ignore_keras_shuffle_default_warning()
ignore_tensorflow_retracing_warning()

from . import artifacts, checks, evaluation, models, ops, recipes, training
from .artifacts import ArtifactError
from .data import (
    DATASETS,
    REGISTRY,
    Dataset,
    DatasetInfo,
    DatasetUnavailableError,
    StandInWarning,
    dataset_info,
    expected_files,
    image_batches,
    is_cached,
    keras_cache_dir,
    load_dataset,
    sample_images,
    stratified_subset,
    validation_split,
)
from .evaluation import grad_cam
from .plots import (
    OKABE_ITO,
    augmented_variants,
    examples_per_class,
    plot_augmented,
    plot_channel_histograms,
    plot_class_distribution,
    plot_image_grid,
    plot_learning_curves,
    plot_panels,
    plot_search,
)
from .recipes import load_or_train, save_trained
from .runtime import PROFILE_NAMES, Profile, artifacts_dir, resolve_profile, setup
from .training import TrainingRecord, train_on_batches
from .widgets import convolution_explorer, image_browser, show_class_example, widget_frontend_available

__all__ = [
    "DATASETS", "OKABE_ITO", "PROFILE_NAMES", "REGISTRY",
    "ArtifactError", "Dataset", "DatasetInfo", "DatasetUnavailableError", "Profile", "StandInWarning", "TrainingRecord",
    "artifacts", "checks", "evaluation", "models", "ops", "recipes", "training",
    "artifacts_dir", "augmented_variants", "convolution_explorer", "dataset_info", "examples_per_class",
    "expected_files", "grad_cam",
    "image_batches", "image_browser", "is_cached", "keras_cache_dir", "load_dataset", "load_or_train",
    "plot_augmented", "plot_channel_histograms", "plot_class_distribution", "plot_image_grid", "plot_learning_curves",
    "plot_panels", "plot_search", "resolve_profile", "sample_images", "save_trained", "setup", "show_class_example",
    "stratified_subset", "train_on_batches", "validation_split", "widget_frontend_available",
]

from . import transfer  # noqa: E402  (notebook 09: transfer learning)

__all__ += ["transfer"]
