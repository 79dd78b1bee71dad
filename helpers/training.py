"""The explicit ``train_on_batch`` loop of notebook 04, reusable, and its record.

The loop draws a random batch, calls ``model.train_on_batch`` on it, and every
few iterations measures accuracy on a random sample of test images. That
evaluation uses one compiled prediction function instead of ``model.evaluate``:
``evaluate`` sets up a fresh evaluation loop on every call, which on a CPU
costs far more than the few milliseconds of arithmetic (see the benchmarks).
"""

from __future__ import annotations

import json
import time
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class TrainingRecord:
    """What a ``train_on_batch`` run measured, as plain lists (JSON-ready).

    ``train_loss``/``train_accuracy`` hold one value per iteration (on that
    iteration's batch); ``test_accuracy`` one per evaluation, at the iterations
    listed in ``eval_iterations``.
    """

    iterations: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    eval_iterations: list[int] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    batch_size: int = 0
    eval_size: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """The record as a dict of lists and numbers."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainingRecord:
        """Rebuild a record from :meth:`to_dict`'s output (e.g. read from JSON)."""
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"values has keys a TrainingRecord does not know: {sorted(unknown)}.")
        return cls(**values)

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON to ``path``; return the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> TrainingRecord:
        """Read a record written by :meth:`save`."""
        return cls.from_dict(json.loads(Path(path).read_text()))


def image_batches(x, y, batch_size: int, shuffle: bool = False, seed: int = 0):
    """A ``tf.data`` pipeline of (float32 images in [0, 1], labels) batches from uint8 images.

    The images stay uint8 in memory (a quarter of float32's size) and each batch
    is converted on the fly while the previous one trains (prefetch).
    """
    import tensorflow as tf

    _check_positive("batch_size", batch_size)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}.")
    if np.asarray(x).dtype != np.uint8:
        raise ValueError(f"x must hold uint8 images (0–255), got dtype {np.asarray(x).dtype}.")
    batches = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        batches = batches.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return (batches.batch(batch_size)
            .map(lambda images, labels: (tf.cast(images, tf.float32) / 255.0, labels),
                 num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def save_trained(name: str, model, history) -> Path:
    """Save ``model`` as ``<name>.keras`` and its history as ``<name>_history.json``.

    ``history``: a Keras ``History``, its ``.history`` dict or a
    :class:`TrainingRecord`. Goes to :func:`helpers.artifacts_dir` (per profile,
    outside the repository) for later notebooks; returns that folder.
    """
    from .runtime import artifacts_dir

    _check_name(name)
    folder = artifacts_dir()
    model.save(folder / f"{name}.keras")
    values = history.to_dict() if isinstance(history, TrainingRecord) else dict(getattr(history, "history", history))
    (folder / f"{name}_history.json").write_text(json.dumps(values, indent=1))
    return folder


def load_or_train(name: str, train):
    """Load what :func:`save_trained` saved under ``name``, else call ``train()`` and say so.

    ``train`` takes no arguments and returns ``(model, history)``. Returns
    ``(model, history, loaded)``: the history as a dict, or a
    :class:`TrainingRecord` when it was one; ``loaded`` tells which path ran.
    """
    import keras

    from .runtime import active_profile, artifacts_dir

    _check_name(name)
    folder = artifacts_dir()
    model_path, history_path = folder / f"{name}.keras", folder / f"{name}_history.json"
    if model_path.exists() and history_path.exists():
        values = json.loads(history_path.read_text())
        history = TrainingRecord.from_dict(values) if "eval_iterations" in values else values
        print(f"{name}: loaded the model and history saved in {folder}")
        return keras.models.load_model(model_path), history, True
    print(f"{name}: nothing saved in {folder} yet (run its notebook first to reuse its model); "
          f"training one now at the '{active_profile()}' profile's size")
    model, history = train()
    if not isinstance(history, TrainingRecord):
        history = dict(getattr(history, "history", history))
    return model, history, False


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"name must be a plain file-name stem such as 'lenet5_mnist', got {name!r}.")


_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled_predictor(model):
    """A compiled ``model(x, training=False)``: the fast way to predict in a loop.

    Cached per model, so later loops over the same model do not trace it again.
    """
    import tensorflow as tf

    if model not in _PREDICTORS:
        _PREDICTORS[model] = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    return _PREDICTORS[model]


def train_on_batches(
    model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    iterations: int,
    batch_size: int = 100,
    eval_every: int = 5,
    eval_size: int = 500,
    seed: int = 0,
    progress: bool = True,
) -> TrainingRecord:
    """Train ``model`` (compiled, with an accuracy metric) for ``iterations`` random batches.

    Each iteration draws ``batch_size`` distinct random training examples and
    calls ``model.train_on_batch``; every ``eval_every`` iterations the accuracy
    on ``eval_size`` random test examples is recorded. Batches and test samples
    come from a generator seeded with ``seed``; seed Keras too (``helpers.setup``)
    for identical weights and records. Returns a :class:`TrainingRecord`.
    """
    _check_positive("iterations", iterations)
    _check_positive("batch_size", batch_size)
    _check_positive("eval_every", eval_every)
    _check_positive("eval_size", eval_size)
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if len(x) != len(y):
            raise ValueError(f"x_{name} and y_{name} must have the same length, got {len(x)} and {len(y)}.")
    if batch_size > len(x_train):
        raise ValueError(f"batch_size={batch_size} is larger than the {len(x_train)} training examples.")
    if eval_size > len(x_test):
        raise ValueError(f"eval_size={eval_size} is larger than the {len(x_test)} test examples.")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("model must be compiled (with an accuracy metric) before training.")

    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    predict = compiled_predictor(model)
    y_test_flat = np.asarray(y_test).reshape(len(y_test))
    record = TrainingRecord(batch_size=batch_size, eval_size=eval_size)
    start = time.perf_counter()
    bar = tqdm(range(1, iterations + 1), desc="iterations", disable=not progress)
    for iteration in bar:
        batch = rng.choice(len(x_train), size=batch_size, replace=False)
        metrics = model.train_on_batch(x_train[batch], y_train[batch], return_dict=True)
        record.iterations.append(iteration)
        record.train_loss.append(float(metrics["loss"]))
        record.train_accuracy.append(float(_accuracy_of(metrics)))
        if iteration % eval_every == 0:
            sample = rng.choice(len(x_test), size=eval_size, replace=False)
            predicted = np.argmax(predict(x_test[sample]), axis=-1)
            record.eval_iterations.append(iteration)
            record.test_accuracy.append(float(np.mean(predicted == y_test_flat[sample])))
            bar.set_postfix(loss=f"{record.train_loss[-1]:.3f}",
                            test_acc=f"{record.test_accuracy[-1]:.3f}", refresh=False)
    bar.close()
    record.seconds = time.perf_counter() - start
    return record


def _accuracy_of(metrics: dict) -> float:
    for key in ("accuracy", "sparse_categorical_accuracy", "acc"):
        if key in metrics:
            return metrics[key]
    raise ValueError(f"model must be compiled with metrics=['accuracy']; it reports {sorted(metrics)}.")


def _check_positive(argument: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{argument} must be a positive integer, got {value!r}.")
