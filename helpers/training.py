"""The explicit ``train_on_batch`` loop of notebook 04, reusable, and its record.

The loop draws a random batch, calls ``model.train_on_batch`` on it, and every
few iterations measures accuracy on a random sample of evaluation images. That
evaluation uses one compiled prediction function instead of ``model.evaluate``:
``evaluate`` sets up a fresh evaluation loop on every call, which on a CPU
costs far more than the few milliseconds of arithmetic (see the benchmarks).

Keras metrics are running means over every batch since their last reset. Keras
3.15's ``train_on_batch`` resets them itself, but not every Keras 3 release
did, so the loop resets them before each step: every recorded loss and
accuracy is that one batch's.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import weakref
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from . import checks


@dataclass
class TrainingRecord:
    """What a ``train_on_batch`` run measured, as plain lists (JSON-ready).

    ``train_loss``/``train_accuracy`` hold one value per iteration (on that
    iteration's batch); ``eval_accuracy`` one per evaluation, at the
    iterations listed in ``eval_iterations``, on ``eval_size`` random images
    of the evaluation split (``eval_split``: ``"validation"`` or ``"test"``).
    """

    iterations: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    eval_iterations: list[int] = field(default_factory=list)
    eval_accuracy: list[float] = field(default_factory=list)
    batch_size: int = 0
    eval_size: int = 0
    eval_split: str = "validation"
    seconds: float = 0.0

    def __post_init__(self) -> None:
        for name in ("iterations", "train_loss", "train_accuracy", "eval_iterations", "eval_accuracy"):
            values = getattr(self, name)
            if not isinstance(values, list):
                raise TypeError(f"{name} must be a list, got {checks.describe(values)}.")
            if values:
                checks.finite(checks.array(values, name, ndim=1), name)
        checks.integer(self.batch_size, "batch_size", minimum=0)
        checks.integer(self.eval_size, "eval_size", minimum=0)
        checks.number(self.seconds, "seconds", 0)
        lengths = {len(self.iterations), len(self.train_loss), len(self.train_accuracy)}
        if len(lengths) != 1:
            raise ValueError("iterations, train_loss and train_accuracy must have the same length, "
                             f"got {len(self.iterations)}, {len(self.train_loss)} and "
                             f"{len(self.train_accuracy)}.")
        checks.same_length(self.eval_iterations, "eval_iterations", self.eval_accuracy,
                           "eval_accuracy")
        checks.one_of(self.eval_split, "eval_split", ("validation", "test"))

    def to_dict(self) -> dict:
        """The record as a dict of lists and numbers."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainingRecord:
        """Rebuild a record from :meth:`to_dict`'s output (e.g. read from JSON)."""
        if not isinstance(values, dict):
            raise TypeError(f"values must be a dict, got {checks.describe(values)}.")
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"values has keys a TrainingRecord does not know: {sorted(unknown)}.")
        return cls(**values)

    def extend(self, later: TrainingRecord) -> TrainingRecord:
        """A new record: this run followed by ``later``, whose iterations continue the count."""
        if not isinstance(later, TrainingRecord):
            raise TypeError(f"later must be a TrainingRecord, got {checks.describe(later)}.")
        if (later.batch_size, later.eval_size, later.eval_split) != (
                self.batch_size, self.eval_size, self.eval_split):
            raise ValueError("later must use the same batch_size, eval_size and eval_split to "
                             f"continue this record, got {later.batch_size}/{later.eval_size}/"
                             f"{later.eval_split} after {self.batch_size}/{self.eval_size}/"
                             f"{self.eval_split}.")
        offset = self.iterations[-1] if self.iterations else 0
        return TrainingRecord(
            iterations=self.iterations + [offset + i for i in later.iterations],
            train_loss=self.train_loss + later.train_loss,
            train_accuracy=self.train_accuracy + later.train_accuracy,
            eval_iterations=self.eval_iterations + [offset + i for i in later.eval_iterations],
            eval_accuracy=self.eval_accuracy + later.eval_accuracy,
            batch_size=self.batch_size, eval_size=self.eval_size, eval_split=self.eval_split,
            seconds=self.seconds + later.seconds,
        )

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON to ``path`` (all or nothing: a temporary file, then a rename)."""
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a str or pathlib.Path, got {checks.describe(path)}.")
        path = Path(path)
        text = json.dumps(self.to_dict(), indent=1, allow_nan=False)
        handle, partial = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        try:
            with os.fdopen(handle, "w") as file:
                file.write(text)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        return path

    @classmethod
    def load(cls, path: str | Path) -> TrainingRecord:
        """Read a record written by :meth:`save`; a damaged file raises ``ValueError`` naming it."""
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a str or pathlib.Path, got {checks.describe(path)}.")
        path = Path(path)
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except (ValueError, TypeError, UnicodeDecodeError) as error:  # JSONDecodeError: ValueError
            raise ValueError(f"{path} is not a readable TrainingRecord ({type(error).__name__}: "
                             f"{error}); re-run the notebook that wrote it, or delete it.") from None


MAX_ITERATIONS = 1_000_000  # hours of training on any machine; more is a slip, not a plan
_PREDICTORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled_predictor(model):
    """A compiled ``model(x, training=False)``: the fast way to predict in a loop.

    Cached per model, so later loops over the same model do not trace it again.
    The cached function holds only a weak reference to the model, so the cache
    never keeps a deleted model (and its weights) alive.
    """
    import keras
    import tensorflow as tf

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {checks.describe(model)}.")
    if model not in _PREDICTORS:
        model_ref = weakref.ref(model)
        _PREDICTORS[model] = tf.function(lambda x: model_ref()(x, training=False),
                                         reduce_retracing=True)
    return _PREDICTORS[model]


def train_on_batches(
    model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_eval: np.ndarray,
    y_eval: np.ndarray,
    iterations: int,
    batch_size: int = 100,
    eval_every: int = 5,
    eval_size: int = 500,
    seed: int = 0,
    progress: bool = True,
    eval_split: str = "validation",
) -> TrainingRecord:
    """Train ``model`` (compiled, with an accuracy metric) for ``iterations`` random batches.

    Each iteration draws ``batch_size`` distinct random training examples,
    resets the model's metrics and calls ``model.train_on_batch``, so the
    recorded loss and accuracy are that batch's alone. Every ``eval_every``
    iterations the accuracy on ``eval_size`` random examples of
    ``(x_eval, y_eval)`` – a validation split, so that the test set stays
    untouched until the end – is recorded. Images are float in [0, 1].
    Batches and samples come from a generator seeded with ``seed``; seed Keras
    too (``helpers.setup``) for identical weights and records.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {checks.describe(model)}.")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("model must be compiled (with metrics=['accuracy']) before training.")
    iterations = checks.positive_int(iterations, "iterations", maximum=MAX_ITERATIONS)
    x_train = checks.images(x_train, "x_train", scale="unit")
    x_eval = checks.images(x_eval, "x_eval", scale="unit")
    y_train = checks.labels(y_train, "y_train")
    y_eval = checks.labels(y_eval, "y_eval")
    checks.same_length(x_train, "x_train", y_train, "y_train")
    checks.same_length(x_eval, "x_eval", y_eval, "y_eval")
    expected_shape, num_classes = _model_shapes(model)
    for argument, images in (("x_train", x_train), ("x_eval", x_eval)):
        if expected_shape is not None and images.shape[1:] != expected_shape:
            raise ValueError(f"{argument} must be shaped (N, {', '.join(map(str, expected_shape))}) "
                             f"for this model, got {images.shape}.")
    if num_classes is not None:
        checks.labels(y_train, "y_train", num_classes)
        checks.labels(y_eval, "y_eval", num_classes)
    batch_size = checks.positive_int(batch_size, "batch_size", maximum=len(x_train))
    eval_every = checks.positive_int(eval_every, "eval_every")
    eval_size = checks.positive_int(eval_size, "eval_size", maximum=len(x_eval))
    seed = checks.integer(seed, "seed", minimum=0)
    progress = checks.boolean(progress, "progress")
    checks.one_of(eval_split, "eval_split", ("validation", "test"))

    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    predict = compiled_predictor(model)
    record = TrainingRecord(batch_size=batch_size, eval_size=eval_size, eval_split=eval_split)
    start = time.perf_counter()
    bar = tqdm(range(1, iterations + 1), desc="iterations", disable=not progress)
    for iteration in bar:
        batch = rng.choice(len(x_train), size=batch_size, replace=False)
        model.reset_metrics()  # single-batch figures on every Keras 3 release
        metrics = model.train_on_batch(x_train[batch], y_train[batch], return_dict=True)
        record.iterations.append(iteration)
        record.train_loss.append(float(metrics["loss"]))
        record.train_accuracy.append(float(_accuracy_of(metrics)))
        if iteration % eval_every == 0:
            sample = rng.choice(len(x_eval), size=eval_size, replace=False)
            predicted = np.argmax(predict(x_eval[sample]), axis=-1)
            record.eval_iterations.append(iteration)
            record.eval_accuracy.append(float(np.mean(predicted == y_eval[sample])))
            bar.set_postfix(loss=f"{record.train_loss[-1]:.3f}",
                            val_acc=f"{record.eval_accuracy[-1]:.3f}", refresh=False)
    bar.close()
    record.seconds = time.perf_counter() - start
    return record


def _model_shapes(model) -> tuple[tuple | None, int | None]:
    """The model's input shape (without the batch) and its number of outputs, where known."""
    try:
        input_shape = tuple(model.inputs[0].shape[1:])
        outputs = model.outputs[0].shape[-1]
    except (AttributeError, IndexError, ValueError):  # a model not built yet
        return None, None
    return (input_shape if None not in input_shape else None), outputs


def _accuracy_of(metrics: dict) -> float:
    for key in ("accuracy", "sparse_categorical_accuracy", "acc"):
        if key in metrics:
            return metrics[key]
    raise ValueError(f"model must be compiled with metrics=['accuracy']; it reports {sorted(metrics)}.")
