"""The explicit ``train_on_batch`` loop of notebook 05, reusable, its record, and its schedule.

The loop draws a random batch, calls ``model.train_on_batch`` on it, and every
few iterations measures accuracy on a random sample of evaluation images. That
evaluation runs as one compiled function (gather the sample, predict, count the
correct answers) instead of ``model.evaluate``: ``evaluate`` sets up a fresh
evaluation loop on every call, which on a CPU costs far more than the few
milliseconds of arithmetic. It runs on a second thread, on a copy of the
weights taken at its iteration, while the next batches train: a batch of 100
leaves a CPU core partly idle, and the evaluation fills it. The record is the
one an evaluation in line would give (see ``benchmarks/README.md``).

Keras metrics are running means over every batch since their last reset. Keras
3.15's ``train_on_batch`` resets them itself (on every backend), earlier Keras 3
releases did not, so on those the loop resets them before each step: on every
release each recorded loss and accuracy is that one batch's.

A learning-rate schedule (a function ``step -> learning rate`` or a Keras
``LearningRateSchedule``) sets the optimizer's learning rate before each step;
:func:`warmup_cosine` is the one notebook 05 writes out and uses.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
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
    ``learning_rate`` holds the learning rate the optimizer used at each
    iteration, or nothing (records saved before it was recorded, and records
    written by hand without it).
    """

    iterations: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    eval_iterations: list[int] = field(default_factory=list)
    eval_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    batch_size: int = 0
    eval_size: int = 0
    eval_split: str = "validation"
    seconds: float = 0.0

    def __post_init__(self) -> None:
        for name in ("iterations", "train_loss", "train_accuracy", "eval_iterations", "eval_accuracy",
                     "learning_rate"):
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
        if self.learning_rate and len(self.learning_rate) != len(self.iterations):
            raise ValueError("learning_rate must hold one value per iteration (or none), got "
                             f"{len(self.learning_rate)} for {len(self.iterations)} iterations.")
        if self.learning_rate and min(self.learning_rate) < 0:
            raise ValueError(f"learning_rate must hold values ≥ 0, got {min(self.learning_rate)}.")
        checks.one_of(self.eval_split, "eval_split", ("validation", "test"))

    def to_dict(self) -> dict:
        """The record as a dict of lists and numbers."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainingRecord:
        """Rebuild a record from :meth:`to_dict`'s output (e.g. read from JSON).

        Keys added since a record was saved take their defaults: a record saved
        before ``learning_rate`` was recorded loads with none.
        """
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
        if bool(self.learning_rate) != bool(later.learning_rate) and self.iterations and later.iterations:
            missing = "this record" if not self.learning_rate else "later"
            raise ValueError(f"later must record its learning rates exactly when this record does, but "
                             f"{missing} has none; build it with learning_rate=[...] (one per "
                             "iteration) to continue the record.")
        offset = self.iterations[-1] if self.iterations else 0
        return TrainingRecord(
            iterations=self.iterations + [offset + i for i in later.iterations],
            train_loss=self.train_loss + later.train_loss,
            train_accuracy=self.train_accuracy + later.train_accuracy,
            eval_iterations=self.eval_iterations + [offset + i for i in later.eval_iterations],
            eval_accuracy=self.eval_accuracy + later.eval_accuracy,
            learning_rate=self.learning_rate + later.learning_rate,
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
_COUNTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


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
                                         reduce_retracing=True, autograph=False)
    return _PREDICTORS[model]


MAX_PENDING_EVALUATIONS = 2  # evaluations left running behind training before the loop waits


def _correct_counter(model):
    """A compiled ``(weights, images, labels, sample) -> correct answers among images[sample]``.

    ``weights``: the values of ``model``'s trainable and non-trainable
    variables (two lists), so that the count uses the weights they were copied
    from, whatever the training does meanwhile (``model.stateless_call``).
    Gathering the sample inside the compiled function spares copying it out of
    NumPy and back in. Cached per model, weakly, like :func:`compiled_predictor`.
    """
    import tensorflow as tf

    if model not in _COUNTERS:
        model_ref = weakref.ref(model)

        def count(trainable, non_trainable, images, labels, sample):
            scores, _ = model_ref().stateless_call(trainable, non_trainable, tf.gather(images, sample),
                                                   training=False)
            predicted = tf.argmax(scores, axis=-1, output_type=tf.int64)
            return tf.reduce_sum(tf.cast(tf.equal(predicted, tf.gather(labels, sample)), tf.int64))

        _COUNTERS[model] = tf.function(count, reduce_retracing=True, autograph=False)
    return _COUNTERS[model]


def _weight_values(model) -> tuple[list, list]:
    """The current values of ``model``'s trainable and non-trainable variables: a copy later
    updates leave alone (TensorFlow copies a variable's buffer before updating it in place
    while a value read from it is still held)."""
    import tensorflow as tf

    return ([tf.identity(v.value) for v in model.trainable_variables],
            [tf.identity(v.value) for v in model.non_trainable_variables])


def warmup_cosine(peak_learning_rate: float, total_steps: int, warmup_fraction: float = 0.2,
                  start_fraction: float = 0.1):
    """Linear warm-up then cosine decay to 0, as a ``keras.optimizers.schedules.CosineDecay``.

    With ``W = round(warmup_fraction · total_steps)`` warm-up steps,
    ``D = total_steps − W`` decay steps and ``start = start_fraction ·
    peak_learning_rate``, the learning rate at step ``s`` (0-based) is::

        s < W:  start + (peak − start) · s / W
        else:   peak · ½ · (1 + cos(π · min(s − W, D) / D))

    which is Keras's own ``CosineDecay(start, D, alpha=0, warmup_target=peak,
    warmup_steps=W)``. Pass it to :func:`train_on_batches` as ``schedule``.
    """
    import keras

    peak = checks.number(peak_learning_rate, "peak_learning_rate", 0, low_open=True)
    total_steps = checks.positive_int(total_steps, "total_steps", maximum=MAX_ITERATIONS)
    warmup_fraction = checks.number(warmup_fraction, "warmup_fraction", 0, 1, high_open=True)
    start_fraction = checks.number(start_fraction, "start_fraction", 0, 1)
    warmup_steps = round(warmup_fraction * total_steps)
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_fraction {warmup_fraction} of total_steps {total_steps} leaves no step "
                         "to decay over; use a smaller warmup_fraction or more total_steps.")
    return keras.optimizers.schedules.CosineDecay(
        start_fraction * peak, decay_steps=total_steps - warmup_steps, alpha=0.0,
        warmup_target=peak, warmup_steps=warmup_steps, name="warmup_cosine")


def learning_rates(schedule, steps: int) -> list[float]:
    """The learning rates ``schedule`` gives at steps 0 … steps − 1, as Python floats.

    ``schedule``: a function ``step -> learning rate`` (called once per step)
    or a ``keras.optimizers.schedules.LearningRateSchedule`` (evaluated for all
    steps in one compiled call: called eagerly, step by step, it costs about a
    millisecond a step, as much as a tenth of a LeNet-5 iteration). Every value
    must be a finite number ≥ 0. This is what :func:`train_on_batches` sets
    before each iteration, and what a plot of the schedule shows.
    """
    import keras

    count = checks.positive_int(steps, "steps", maximum=MAX_ITERATIONS)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        import tensorflow as tf

        evaluate = tf.function(lambda s: tf.map_fn(lambda step: tf.cast(schedule(step), tf.float64), s,
                                                   fn_output_signature=tf.float64), autograph=False)
        values = evaluate(tf.range(count, dtype=tf.int64)).numpy().tolist()  # int64: optimizer.iterations'
    elif callable(schedule):
        values = [schedule(step) for step in range(count)]
    else:
        raise TypeError("schedule must be a function step -> learning rate or a "
                        f"keras.optimizers.schedules.LearningRateSchedule, got {checks.describe(schedule)}.")
    rates = []
    for step, value in enumerate(values):
        number = np.asarray(value)
        if number.ndim != 0 or number.dtype.kind not in "iuf":  # not bool, complex or text
            raise TypeError(f"schedule must return one number per step; schedule({step}) returned "
                            f"{checks.describe(value)}.")
        rate = float(number)
        if not math.isfinite(rate) or rate < 0:
            raise ValueError(f"schedule must return finite learning rates ≥ 0; schedule({step}) "
                             f"returned {rate}.")
        rates.append(rate)
    return rates


def _keras_resets_metrics_in_train_on_batch() -> bool:
    """Whether this Keras's ``train_on_batch`` resets the metrics itself (3.15 and later)."""
    import keras

    major, minor = (int(part) for part in re.findall(r"\d+", keras.version())[:2])
    return (major, minor) >= (3, 15)


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
    schedule=None,
) -> TrainingRecord:
    """Train ``model`` (compiled, with an accuracy metric) for ``iterations`` random batches.

    Each iteration draws ``batch_size`` distinct random training examples and
    calls ``model.train_on_batch`` on them, with the metrics reset first (by
    Keras itself from 3.15, by this loop before), so the recorded loss and
    accuracy are that batch's alone. Every ``eval_every`` iterations the
    accuracy on ``eval_size`` random examples of ``(x_eval, y_eval)`` – a
    validation split, so that the test set stays untouched until the end – is
    recorded: the accuracy of the weights after that iteration, computed on a
    second thread while training goes on (the loop waits when two are still
    queued, and for the last before it returns). Images are float in [0, 1].
    Batches and samples come from a generator seeded with ``seed``; seed Keras
    too (``helpers.setup``) for identical weights and records.

    ``schedule``: ``None`` leaves the optimizer's learning rate as it is; a
    function ``step -> learning rate`` or a ``keras.optimizers.schedules.
    LearningRateSchedule`` sets it before each iteration, ``step`` being the
    0-based index of the update within this call (as ``optimizer.iterations``
    counts for a fresh optimizer); the optimizer must then have been compiled
    with a number as its learning rate. The record holds the learning rate the
    optimizer used at each iteration, read back from it.
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
    rates = None if schedule is None else learning_rates(schedule, iterations)
    optimizer = model.optimizer
    if rates is not None:
        try:
            optimizer.learning_rate = rates[0]
        except (TypeError, AttributeError):  # the optimizer holds a schedule (or a function) itself
            raise ValueError("schedule cannot set this model's learning rate: its optimizer was "
                             "compiled with a schedule of its own. Compile it with a number (e.g. "
                             "keras.optimizers.Adam(1e-3)) to pass schedule here, or leave "
                             "schedule=None to let the optimizer's schedule run.") from None
    settable = isinstance(optimizer.learning_rate, keras.Variable)
    if not settable and rates is not None:
        raise ValueError("schedule cannot set this model's learning rate: its optimizer's learning "
                         "rate is not a variable. Compile it with a number (e.g. "
                         "keras.optimizers.Adam(1e-3)).")
    resets_itself = _keras_resets_metrics_in_train_on_batch()

    import tensorflow as tf
    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    count_correct = _correct_counter(model)
    eval_images = tf.convert_to_tensor(x_eval)
    eval_labels = tf.convert_to_tensor(y_eval.astype(np.int64))
    record = TrainingRecord(batch_size=batch_size, eval_size=eval_size, eval_split=eval_split)
    learning_rate = optimizer.learning_rate if settable else None
    constant_rate = float(learning_rate) if settable and rates is None else None
    pending: deque = deque()  # (iteration, future count of correct answers), oldest first

    def evaluate(weights, sample):
        return int(count_correct(*weights, eval_images, eval_labels, sample))

    def collect():
        iteration, future = pending.popleft()
        record.eval_iterations.append(iteration)
        record.eval_accuracy.append(future.result() / eval_size)
        bar.set_postfix(loss=f"{record.train_loss[-1]:.3f}", val_acc=f"{record.eval_accuracy[-1]:.3f}",
                        refresh=False)

    start = time.perf_counter()
    bar = tqdm(range(1, iterations + 1), desc="iterations", disable=not progress)
    evaluator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="train_on_batches-evaluation")
    try:
        for iteration in bar:
            batch = rng.choice(len(x_train), size=batch_size, replace=False)
            if rates is not None:
                learning_rate.assign(rates[iteration - 1])
                record.learning_rate.append(float(learning_rate))  # as the optimizer holds it
            elif constant_rate is not None:
                record.learning_rate.append(constant_rate)
            else:  # the optimizer's own schedule at its current step: the rate this update uses
                record.learning_rate.append(float(optimizer.learning_rate))
            if not resets_itself:
                model.reset_metrics()  # single-batch figures on Keras 3 before 3.15 too
            metrics = model.train_on_batch(x_train[batch], y_train[batch], return_dict=True)
            record.iterations.append(iteration)
            record.train_loss.append(float(metrics["loss"]))
            record.train_accuracy.append(float(_accuracy_of(metrics)))
            if iteration % eval_every == 0:
                sample = rng.choice(len(x_eval), size=eval_size, replace=False)
                pending.append((iteration, evaluator.submit(evaluate, _weight_values(model), sample)))
            while pending and (pending[0][1].done() or len(pending) > MAX_PENDING_EVALUATIONS):
                collect()
        while pending:
            collect()
    finally:
        evaluator.shutdown(wait=True, cancel_futures=True)
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
