"""The trained models that notebooks hand to each other, each described once.

Notebook 05 trains LeNet-5 and notebook 04 the BatchNorm CNN; notebook 06
evaluates both. A :class:`Recipe` says everything that hand-off needs: the
architecture, how raw images are prepared for it, the budget per profile, the
validation split, and the name it is saved under. The notebooks write their
model and loop out (that is what they teach); a unit test checks that they
agree with the recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import artifacts, checks, models
from .data import Dataset, image_batches, load_dataset
from .runtime import Profile
from .training import train_on_batches, warmup_cosine


@dataclass(frozen=True)
class Recipe:
    """One trained model of the series: how to build, feed, train and find it.

    ``datasets``: those it may be trained on, the first being the default.
    ``budgets``: per profile, the named numbers the training uses (iterations
    or epochs, and so on). ``validation_size``: fraction of the training images
    held out to watch training and make choices on; the test set is kept for
    the end.
    """

    name: str
    title: str
    notebook: str
    datasets: tuple[str, ...]
    history_kind: str
    budgets: Mapping[str, Mapping[str, Any]]
    validation_size: float
    build: Callable[[Mapping[str, Any]], Any]
    prepare: Callable[[np.ndarray], np.ndarray]
    fit: Callable[[Any, Dataset, Mapping[str, Any], int], Any]

    def budget(self, profile: Profile) -> dict[str, Any]:
        """The training budget this recipe uses under ``profile``."""
        if not isinstance(profile, Profile):
            raise TypeError(f"profile must be a helpers.Profile, got {checks.describe(profile)}.")
        return dict(self.budgets[profile.name])

    def stem(self, dataset: str) -> str:
        """The artifact name of this recipe trained on ``dataset``: ``"lenet5_mnist"``."""
        return f"{self.name}_{checks.one_of(dataset, 'dataset', self.datasets)}"


def pad_to_32(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 → (N, 32, 32, 1) float32 in [0, 1]: LeNet-5's input."""
    images = checks.array(images, "images", ndim=(3, 4))
    if images.ndim == 4:
        squeeze = (" It has a channel axis of 1: pass images[..., 0] (or images.squeeze(-1))."
                   if images.shape[-1] == 1 else "")
        raise ValueError(f"images must be shaped (N, 28, 28), as the MNIST and Fashion-MNIST loaders "
                         f"return them, got {images.shape}.{squeeze}")
    images = checks.images(images, "images", scale="uint8")
    if images.shape[1:] != (28, 28):
        raise ValueError(f"images must be 28×28 (MNIST, Fashion-MNIST), got {images.shape}.")
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    return padded[..., np.newaxis].astype("float32") / 255.0


def scale_to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 images (0–255) → float32 in [0, 1], shape unchanged."""
    return checks.images(images, "images", scale="uint8").astype("float32") / 255.0


def _build_lenet5(budget: Mapping[str, Any]):
    import keras

    model = models.lenet5()
    # A number, not a schedule, so that train_on_batches can set the rate at every step.
    model.compile(optimizer=keras.optimizers.Adam(budget["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _fit_lenet5(model, data: Dataset, budget: Mapping[str, Any], seed: int):
    """Notebook 05's scheduled run: warm-up then cosine decay over ``schedule_iterations``."""
    schedule = warmup_cosine(budget["peak_learning_rate"], budget["schedule_iterations"],
                             budget["warmup_fraction"], budget["start_fraction"])
    return train_on_batches(model, pad_to_32(data.x_train), data.y_train, pad_to_32(data.x_val),
                            data.y_val, budget["schedule_iterations"], batch_size=budget["batch_size"],
                            eval_every=budget["eval_every"],
                            eval_size=min(budget["eval_size"], len(data.y_val)), seed=seed,
                            progress=False, schedule=schedule)


def _build_batchnorm_cnn(budget: Mapping[str, Any]):
    import keras

    model = models.batchnorm_cnn(momentum=budget["momentum"])
    model.compile(optimizer=keras.optimizers.Adam(budget["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _fit_batchnorm_cnn(model, data: Dataset, budget: Mapping[str, Any], seed: int):
    train = image_batches(data.x_train, data.y_train, budget["batch_size"], shuffle=True, seed=seed)
    validation = image_batches(data.x_val, data.y_val, 256)
    # The dataset shuffles itself; shuffle=False says so to fit (which otherwise warns).
    return model.fit(train, epochs=budget["epochs"], validation_data=validation, shuffle=False, verbose=0)


PEAK_LEARNING_RATE = 4e-3  # chosen on validation among 2e-3, 3e-3, 4e-3, 6e-3 (benchmarks/README.md)

LENET5 = Recipe(
    name="lenet5",
    title="LeNet-5",
    notebook="05_lenet5_mnist_train_on_batch",
    datasets=("mnist", "fashion_mnist"),
    history_kind="training_record",
    # "iterations": the notebook's first, written-out loop (constant "learning_rate", Adam's
    # default). "schedule_iterations": the two runs it compares on validation (constant rate
    # against warm-up + cosine decay to 0 from "peak_learning_rate"), and so the run notebook 06
    # evaluates; under full, what the benchmark shows reaching 0.90 test accuracy on
    # Fashion-MNIST within 45 s of training. The peak was chosen on validation (benchmarks/README.md).
    budgets={
        name: {"iterations": iterations, "schedule_iterations": scheduled, "batch_size": 100,
               "eval_every": 5, "eval_size": eval_size, "learning_rate": 1e-3,
               "peak_learning_rate": PEAK_LEARNING_RATE, "warmup_fraction": 0.2, "start_fraction": 0.1}
        for name, iterations, scheduled, eval_size in (("full", 300, 3_500, 500),
                                                        ("quick", 300, 1_500, 500),
                                                        ("smoke", 60, 60, 100))
    },
    validation_size=0.1,
    build=_build_lenet5,
    prepare=pad_to_32,
    fit=_fit_lenet5,
)

BATCHNORM_CNN = Recipe(
    name="batchnorm_cnn",
    title="BatchNorm CNN",
    notebook="04_batchnorm_cnn_cifar10",
    datasets=("cifar10",),
    history_kind="keras_history",
    budgets={
        name: {"epochs": epochs, "batch_size": 32, "learning_rate": 1e-3, "momentum": momentum}
        for name, epochs, momentum in (("full", 12, 0.99), ("quick", 3, 0.95), ("smoke", 3, 0.9))
    },
    validation_size=0.1,
    build=_build_batchnorm_cnn,
    prepare=scale_to_unit,
    fit=_fit_batchnorm_cnn,
)

RECIPES = {recipe.name: recipe for recipe in (LENET5, BATCHNORM_CNN)}


def recipe(name: str) -> Recipe:
    """The recipe called ``name`` (``"lenet5"``, ``"batchnorm_cnn"``)."""
    checks.text(name, "name")
    return RECIPES[checks.one_of(name, "name", tuple(RECIPES))]


def _check(recipe_: Recipe, profile: Profile) -> None:
    if not isinstance(recipe_, Recipe):
        raise TypeError(f"recipe must be a helpers.recipes.Recipe, got {checks.describe(recipe_)}.")
    if not isinstance(profile, Profile):
        raise TypeError(f"profile must be a helpers.Profile, got {checks.describe(profile)}.")


def save_trained(recipe_: Recipe, profile: Profile, data: Dataset, model, history):
    """Save what ``recipe_`` trained on ``data`` for later notebooks; return the folder.

    The history must be of the recipe's kind; the dataset's name and source are
    recorded so the notebook that loads it can say what it evaluates.
    """
    _check(recipe_, profile)
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a helpers.Dataset, got {checks.describe(data)}.")
    kind = artifacts.history_kind(history)
    if kind != recipe_.history_kind:
        raise ValueError(f"history must be a {recipe_.history_kind} for recipe {recipe_.name!r}, "
                         f"got a {kind}.")
    # The seed the splits were drawn with: the notebook that loads this model reloads the very
    # same validation and test images with it (a different seed would mix in training images).
    metadata = {"recipe": recipe_.name, "dataset": data.name, "source": data.source,
                "is_standin": data.is_standin, "seed": data.seed}
    return artifacts.save_artifact(recipe_.stem(data.name), profile, model, history, metadata)


def latest_dataset(recipe_: Recipe, profile: Profile) -> str | None:
    """The dataset of the most recently saved model of ``recipe_`` under ``profile``, if any."""
    _check(recipe_, profile)
    for stem in artifacts.saved_stems(profile, prefix=f"{recipe_.name}_"):
        dataset = stem[len(recipe_.name) + 1:]
        if dataset in recipe_.datasets:
            return dataset
    return None


@dataclass(frozen=True)
class Trained:
    """A recipe's model ready to evaluate: model, history, data, whether it was loaded, test images."""

    recipe: Recipe
    model: Any
    history: Any
    data: Dataset
    loaded: bool
    x_test: np.ndarray  # the test images prepared as the model expects them


def load_or_train(recipe_: Recipe, profile: Profile, dataset: str | None = None,
                  seed: int = 0) -> Trained:
    """Load what the recipe's notebook saved under ``profile``, else train it now and say so.

    ``dataset``: ``None`` means the dataset the notebook was last run with
    (e.g. Fashion-MNIST when notebook 05 ran with ``DATASET = "fashion_mnist"``),
    or the recipe's default when nothing is saved. The data is loaded with the
    recipe's validation split; the test split is left for evaluation. A loaded
    model's data is drawn with the seed its notebook used (recorded when it was
    saved), so its validation images are the ones it never trained on; ``seed``
    is used when nothing is saved (or an older save recorded no seed).
    """
    _check(recipe_, profile)
    seed = checks.integer(seed, "seed", minimum=0)
    dataset = dataset if dataset is not None else (latest_dataset(recipe_, profile)
                                                   or recipe_.datasets[0])
    dataset = checks.one_of(dataset, "dataset", recipe_.datasets)
    stem = recipe_.stem(dataset)
    if stem in artifacts.saved_stems(profile, prefix=stem):
        saved = artifacts.load_artifact(stem, profile, expect_kind=recipe_.history_kind)
        saved_seed = saved.metadata.get("seed")
        split_seed = saved_seed if isinstance(saved_seed, int) and saved_seed >= 0 else seed
        data = load_dataset(dataset, profile, validation_size=recipe_.validation_size, seed=split_seed)
        print(f"{stem}: loaded the model notebook {recipe_.notebook[:2]} saved in {saved.folder} "
              f"(trained on {saved.metadata.get('source', 'unknown data')}; its splits drawn with seed "
              f"{split_seed}{'' if split_seed == saved_seed else ', none was recorded'})")
        return Trained(recipe_, saved.model, saved.history, data, True, recipe_.prepare(data.x_test))
    data = load_dataset(dataset, profile, validation_size=recipe_.validation_size, seed=seed)
    budget = recipe_.budget(profile)
    print(f"{stem}: nothing saved under the '{profile.name}' profile yet (run notebook "
          f"{recipe_.notebook} first to reuse its model); training it now: "
          + ", ".join(f"{k} {v}" for k, v in budget.items()))
    import keras

    keras.utils.set_random_seed(seed)
    model = recipe_.build(budget)
    history = recipe_.fit(model, data, budget, seed)
    if artifacts.history_kind(history) == "keras_history":
        history = dict(getattr(history, "history", history))
    return Trained(recipe_, model, history, data, False, recipe_.prepare(data.x_test))


__all__ = ["BATCHNORM_CNN", "LENET5", "RECIPES", "Recipe", "Trained", "latest_dataset",
           "load_or_train", "pad_to_32", "recipe", "save_trained", "scale_to_unit"]
