import gc
import json
import time
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import models, training
from helpers.training import TrainingRecord, compiled_predictor, learning_rates, train_on_batches, warmup_cosine


def small_problem(n_train=300, n_test=120):
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 3, n_train), rng.integers(0, 3, n_test)
    # Class k lights up row band k: learnable in a few dozen steps.
    def images(y):
        x = rng.uniform(0, 0.2, (len(y), 12, 12, 1)).astype("float32")
        for k in range(3):
            x[y == k, 4 * k : 4 * k + 4] += 0.8
        return x
    return images(y_train), y_train, images(y_test), y_test


def tiny_model():
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(seed=0, **kwargs):
    keras.utils.set_random_seed(1)  # same initial weights
    args = dict(iterations=40, batch_size=32, eval_every=5, eval_size=100, seed=seed, progress=False)
    args.update(kwargs)
    return train_on_batches(tiny_model(), *small_problem(), **args)


def test_record_lengths_follow_iterations_and_interval():
    record = run(iterations=42, eval_every=5)
    assert record.iterations == list(range(1, 43))
    assert len(record.train_loss) == len(record.train_accuracy) == 42
    assert record.eval_iterations == list(range(5, 41, 5)) and len(record.eval_accuracy) == 8
    assert record.batch_size == 32 and record.eval_size == 100 and record.seconds > 0
    assert record.eval_split == "validation"


def test_the_loop_learns():
    record = run(iterations=60)
    assert record.eval_accuracy[-1] > 0.9 and np.mean(record.train_loss[-5:]) < record.train_loss[0]


def test_seeding_gives_identical_records():
    first, second = run(seed=3), run(seed=3)
    for name in ("train_loss", "train_accuracy", "eval_accuracy", "eval_iterations"):
        assert getattr(first, name) == getattr(second, name)
    assert run(seed=4).train_loss != first.train_loss  # another seed, other batches


def test_record_round_trips_through_json(tmp_path):
    record = run(iterations=10)
    path = record.save(tmp_path / "record.json")
    assert json.loads(path.read_text())["iterations"] == list(range(1, 11))
    assert TrainingRecord.load(path) == record
    with pytest.raises(ValueError, match="keys a TrainingRecord does not know: \\['epochs'\\]"):
        TrainingRecord.from_dict({"epochs": 3})


def test_a_record_saved_before_learning_rates_were_recorded_still_loads(tmp_path):
    values = run(iterations=10).to_dict()
    del values["learning_rate"]  # the JSON notebooks wrote before this field existed
    (tmp_path / "old.json").write_text(json.dumps(values))
    old = TrainingRecord.load(tmp_path / "old.json")
    assert old.learning_rate == [] and old.iterations == list(range(1, 11))


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 301}, "batch_size must be at most 300"),
    ({"eval_every": 0}, "eval_every must be at least 1, got 0"),
    ({"eval_every": -5}, "eval_every must be at least 1, got -5"),
    ({"iterations": 0}, "iterations must be at least 1"),
    ({"eval_size": 121}, "eval_size must be at most 120"),
    ({"eval_split": "test set"}, "eval_split must be one of 'validation', 'test'"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(**kwargs)


def test_mismatched_lengths_are_rejected():
    x_train, y_train, x_test, y_test = small_problem()
    with pytest.raises(ValueError, match="x_train and y_train must have the same length, got 300 and 299"):
        train_on_batches(tiny_model(), x_train, y_train[:-1], x_test, y_test, 5, progress=False)
    with pytest.raises(ValueError, match="x_eval and y_eval must have the same length"):
        train_on_batches(tiny_model(), x_train, y_train, x_test[:5], y_test, 5, progress=False)


def test_uncompiled_model_or_missing_accuracy_is_rejected():
    x_train, y_train, x_test, y_test = small_problem()
    bare = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="model must be compiled"):
        train_on_batches(bare, x_train, y_train, x_test, y_test, 5, batch_size=10, eval_size=10, progress=False)
    bare.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match="compiled with metrics=\\['accuracy'\\]"):
        train_on_batches(bare, x_train, y_train, x_test, y_test, 5, batch_size=10, eval_size=10, progress=False)


def test_lenet5_counts():
    model = models.lenet5()
    assert [layer.count_params() for layer in model.layers] == [156, 0, 2416, 0, 0, 48120, 10164, 850]
    assert model.output_shape == (None, 10)


KERAS_VERSION = tuple(int(part) for part in keras.__version__.split(".")[:2])


def test_keras_train_on_batch_resets_its_metrics_from_3_15_on():
    """The Keras behaviour the loop does not rely on, stated per version: from 3.15
    (keras-team/keras#22617) each ``train_on_batch`` reports that batch's accuracy; earlier 3.x
    releases report a running mean. Both stacks CI tests run Keras 3.15 (the setup cell raises
    Colab's 3.13); before 3.15 the loop resets the metrics itself, and the next test covers both."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.layers[0].set_weights([np.array([[-5.0, 5.0]], "float32"), np.zeros(2, "float32")])  # says 1
    x = np.ones((4, 1), "float32")
    assert model.train_on_batch(x, np.ones(4, "int32"), return_dict=True)["accuracy"] == 1.0
    second = model.train_on_batch(x, np.zeros(4, "int32"), return_dict=True)["accuracy"]
    assert second == (0.0 if KERAS_VERSION >= (3, 15) else 0.5)


@pytest.mark.parametrize("keras_resets", [True, False], ids=["as this Keras does", "as Keras < 3.15"])
def test_recorded_figures_are_each_batchs_own(keras_resets, monkeypatch):
    """With a learning rate of 0 the weights never move, so each recorded loss and accuracy
    can be recomputed on its batch; a running mean over batches would not match. Run once as
    this Keras is (on 3.15 the loop leaves the reset to train_on_batch: the test fails if that
    release did not reset) and once with the loop resetting the metrics itself, as it does
    before Keras 3.15."""
    if not keras_resets:
        monkeypatch.setattr(training, "_keras_resets_metrics_in_train_on_batch", lambda: False)
    elif not training._keras_resets_metrics_in_train_on_batch():
        pytest.skip("this Keras does not reset the metrics in train_on_batch; the loop does")
    x_train, y_train, x_eval, y_eval = small_problem()
    model = tiny_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    record = train_on_batches(model, x_train, y_train, x_eval, y_eval, iterations=6, batch_size=20,
                              eval_every=100, eval_size=10, seed=5, progress=False)
    rng = np.random.default_rng(5)  # the loop's own draws, replayed
    for loss, accuracy in zip(record.train_loss, record.train_accuracy):
        batch = rng.choice(len(x_train), size=20, replace=False)
        probabilities = model.predict(x_train[batch], verbose=0)
        direct_loss = -np.mean(np.log(probabilities[np.arange(20), y_train[batch]]))
        direct_accuracy = np.mean(probabilities.argmax(axis=1) == y_train[batch])
        assert loss == pytest.approx(direct_loss, abs=1e-5)
        assert accuracy == pytest.approx(direct_accuracy)
    assert len(set(np.round(record.train_loss, 6))) > 1  # the batches really differ


def test_evaluations_score_the_weights_of_their_iteration_while_training_goes_on(monkeypatch):
    """Evaluations run on a second thread. Held back until training has moved on, each still
    scores the weights after its own iteration: the record equals one evaluated in line."""
    counter, steps_seen = training._correct_counter, []

    def held_back(model):
        count = counter(model)

        def later(*args):
            time.sleep(0.05)  # several training steps
            steps_seen.append(int(model.optimizer.iterations))
            return count(*args)
        return later

    monkeypatch.setattr(training, "_correct_counter", held_back)
    record = run(iterations=20, eval_every=2, eval_size=60)
    assert any(seen > iteration for seen, iteration in zip(steps_seen, record.eval_iterations))

    keras.utils.set_random_seed(1)  # the same run, evaluated in line
    model = tiny_model()
    x_train, y_train, x_eval, y_eval = small_problem()
    rng, in_line = np.random.default_rng(0), []
    for iteration in range(1, 21):
        batch = rng.choice(len(x_train), size=32, replace=False)
        model.train_on_batch(x_train[batch], y_train[batch])
        if iteration % 2 == 0:
            sample = rng.choice(len(x_eval), size=60, replace=False)
            in_line.append(float(np.mean(model.predict(x_eval[sample], verbose=0).argmax(axis=1)
                                         == y_eval[sample])))
    assert record.eval_accuracy == in_line and len(set(in_line)) > 2  # and the accuracy moved


def test_a_record_extends_with_a_later_run():
    first, later = run(iterations=10), run(iterations=15, seed=2)
    whole = first.extend(later)
    assert whole.iterations == list(range(1, 26))
    assert whole.eval_iterations == [5, 10, 15, 20, 25]
    assert whole.train_loss == first.train_loss + later.train_loss
    assert whole.learning_rate == first.learning_rate + later.learning_rate and len(whole.learning_rate) == 25
    assert whole.seconds == pytest.approx(first.seconds + later.seconds)
    assert first.iterations == list(range(1, 11))  # unchanged
    with pytest.raises(ValueError, match="same batch_size, eval_size and eval_split"):
        first.extend(run(iterations=10, batch_size=16))
    with pytest.raises(TypeError, match="later must be a TrainingRecord"):
        first.extend({"iterations": [1]})
    by_hand = TrainingRecord(iterations=[1, 2], train_loss=[1.0, 0.9], train_accuracy=[0.2, 0.3],
                             batch_size=32, eval_size=100)  # no learning rates recorded
    with pytest.raises(ValueError, match="this record has none; build it with learning_rate"):
        by_hand.extend(later)
    with pytest.raises(ValueError, match="later has none"):
        first.extend(by_hand)
    assert by_hand.extend(by_hand).learning_rate == []


def test_a_record_refuses_inconsistent_lists():
    with pytest.raises(ValueError, match="iterations, train_loss and train_accuracy must have the same length"):
        TrainingRecord(iterations=[1, 2], train_loss=[0.5], train_accuracy=[0.1, 0.2])
    two = dict(iterations=[1, 2], train_loss=[0.5, 0.4], train_accuracy=[0.1, 0.2])
    with pytest.raises(ValueError, match="learning_rate must hold one value per iteration"):
        TrainingRecord(**two, learning_rate=[1e-3])
    with pytest.raises(ValueError, match="learning_rate must hold values ≥ 0"):
        TrainingRecord(**two, learning_rate=[1e-3, -1e-3])
    with pytest.raises(ValueError, match="learning_rate must be finite"):
        TrainingRecord(**two, learning_rate=[1e-3, float("nan")])


def test_the_predictor_cache_does_not_keep_a_model_alive():
    model = tiny_model()
    x = np.zeros((2, 12, 12, 1), dtype="float32")
    predict = compiled_predictor(model)
    np.testing.assert_allclose(predict(x).numpy(), model(x, training=False).numpy(), atol=1e-6)
    assert compiled_predictor(model) is predict  # cached: traced once
    alive = weakref.ref(model)
    del model, predict
    gc.collect()
    assert alive() is None


# --------------------------------------------------------------------------- learning-rate schedules


def warmup_cosine_by_hand(peak, total, warmup_fraction=0.2, start_fraction=0.1):
    """The documented formula in NumPy (float64), every step 0 … total − 1."""
    warmup = round(warmup_fraction * total)
    decay = total - warmup
    start = start_fraction * peak
    steps = np.arange(total)
    rising = start + (peak - start) * steps / max(warmup, 1)
    falling = peak * 0.5 * (1 + np.cos(np.pi * np.minimum(steps - warmup, decay) / decay))
    return np.where(steps < warmup, rising, falling)


@pytest.mark.parametrize("peak, total, warmup_fraction, start_fraction", [
    (3e-3, 1500, 0.2, 0.1),    # the recipe's quick run
    (2e-3, 60, 0.2, 0.1),      # smoke
    (4e-3, 37, 0.25, 0.0),     # warm-up from 0, an odd number of steps
    (1e-2, 10, 0.0, 0.1),      # no warm-up: cosine from the peak
])
def test_warmup_cosine_follows_its_formula_at_every_step(peak, total, warmup_fraction, start_fraction):
    schedule = warmup_cosine(peak, total, warmup_fraction, start_fraction)
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    # Every step's value from one graph (one eager call per step took 2.6 s for the 1,500 steps).
    every_step = tf.function(lambda steps: tf.map_fn(schedule, steps, fn_output_signature=tf.float32))
    keras_values = every_step(tf.range(total)).numpy().astype(float)
    # Keras computes in float32: near the end, 1 + cos(…) loses digits, so the tolerance is
    # relative to the peak there (a millionth of it), and to each value elsewhere.
    np.testing.assert_allclose(keras_values, warmup_cosine_by_hand(peak, total, warmup_fraction, start_fraction),
                               rtol=1e-6, atol=1e-6 * peak)
    warmup = round(warmup_fraction * total)
    assert keras_values[warmup] == pytest.approx(peak) and keras_values.max() == pytest.approx(peak)
    assert keras_values[0] == pytest.approx(start_fraction * peak if warmup else peak)
    assert float(schedule(total)) == pytest.approx(0.0, abs=1e-12)  # down to 0 after the last step


@pytest.mark.parametrize("kwargs, error, message", [
    ({"peak_learning_rate": 0.0}, ValueError, r"peak_learning_rate must lie in \(0"),
    ({"peak_learning_rate": "3e-3"}, TypeError, "peak_learning_rate must be a number"),
    ({"total_steps": 0}, ValueError, "total_steps must be at least 1"),
    ({"total_steps": 10.0}, TypeError, "total_steps must be an integer"),
    ({"warmup_fraction": 1.0}, ValueError, r"warmup_fraction must lie in \[0, 1\)"),
    ({"start_fraction": 1.5}, ValueError, r"start_fraction must lie in \[0, 1\]"),
    ({"total_steps": 2, "warmup_fraction": 0.8}, ValueError, "leaves no step to decay over"),
])
def test_warmup_cosine_refuses_what_it_cannot_draw(kwargs, error, message):
    arguments = {"peak_learning_rate": 3e-3, "total_steps": 100, **kwargs}
    with pytest.raises(error, match=message):
        warmup_cosine(**arguments)


def test_learning_rates_are_the_schedules_own_values_at_every_step():
    schedule = warmup_cosine(3e-3, 50)
    assert learning_rates(schedule, 50) == [float(schedule(step)) for step in range(50)]  # exactly
    assert learning_rates(lambda step: 1e-3 * 0.5 ** step, 3) == [1e-3, 5e-4, 2.5e-4]
    assert learning_rates(lambda step: np.float32(0.5), 2) == [0.5, 0.5]  # NumPy scalars are numbers
    with pytest.raises(ValueError, match="steps must be at least 1"):
        learning_rates(schedule, 0)


def linear_probe(learning_rate=0.5):
    """A model in which SGD moves every weight by exactly −lr/2 per step (loss = sum of the
    outputs, images all 0.5): the learning rate each update used can be read from its weights."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                  loss=lambda y_true, y_pred: keras.ops.sum(y_pred, axis=-1), metrics=["accuracy"])
    return model


def train_watched(model, monkeypatch, iterations=8, **kwargs):
    """train_on_batches with, for each train_on_batch call, the optimizer's learning rate read just
    before it and the learning rate the update applied (from the weights' change)."""
    before, applied = [], []
    original = model.train_on_batch

    def watched(*args, **kw):
        weights = model.get_weights()[0]
        before.append(float(model.optimizer.learning_rate))
        result = original(*args, **kw)
        applied.append(2 * float(np.mean(weights - model.get_weights()[0])))
        return result

    monkeypatch.setattr(model, "train_on_batch", watched)
    x = np.full((40, 12, 12, 1), 0.5, dtype="float32")
    y = np.arange(40) % 3
    record = train_on_batches(model, x, y, x, y, iterations, batch_size=8, eval_every=4, eval_size=8,
                              progress=False, **kwargs)
    return record, before, applied


def test_a_schedule_function_sets_the_rate_each_update_uses(monkeypatch):
    def halving(step):
        return 0.4 / 2 ** step

    record, before, applied = train_watched(linear_probe(), monkeypatch, schedule=halving)
    expected = [halving(step) for step in range(8)]
    assert record.learning_rate == before  # the record holds what the optimizer held
    np.testing.assert_allclose(before, expected, rtol=1e-6)  # float32, as the optimizer stores it
    np.testing.assert_allclose(applied, expected, rtol=1e-3)  # and what each update applied


def test_a_keras_schedule_sets_the_rate_each_update_uses_counting_from_0_in_each_call(monkeypatch):
    schedule = warmup_cosine(0.3, 8, warmup_fraction=0.25)
    model = linear_probe()
    expected = [float(schedule(step)) for step in range(8)]
    for _ in range(2):  # a second call starts the schedule again, whatever optimizer.iterations says
        record, before, applied = train_watched(model, monkeypatch, schedule=schedule)
        assert record.learning_rate == before
        np.testing.assert_allclose(before, expected, rtol=1e-6)
        np.testing.assert_allclose(applied[:-1], expected[:-1], rtol=1e-3)
        assert applied[-1] == pytest.approx(expected[-1], abs=1e-6)  # the last rate is near 0
        monkeypatch.undo()
    assert int(model.optimizer.iterations) == 16


def test_without_a_schedule_the_record_holds_the_optimizers_own_rate(monkeypatch):
    record, before, applied = train_watched(linear_probe(0.25), monkeypatch)
    assert record.learning_rate == before == [0.25] * 8
    np.testing.assert_allclose(applied, 0.25, rtol=1e-3)
    decaying = keras.optimizers.schedules.ExponentialDecay(0.4, decay_steps=1, decay_rate=0.5)
    model = linear_probe(decaying)  # a schedule the optimizer holds itself: it runs, and is recorded
    record, before, applied = train_watched(model, monkeypatch, iterations=5)
    np.testing.assert_allclose(record.learning_rate, [0.4 / 2 ** step for step in range(5)], rtol=1e-6)
    np.testing.assert_allclose(applied, record.learning_rate, rtol=1e-3)


@pytest.mark.parametrize("schedule, error, message", [
    (3e-3, TypeError, "schedule must be a function step -> learning rate"),
    (lambda step: float("nan") if step == 4 else 1e-3, ValueError, r"schedule\(4\) returned nan"),
    (lambda step: -1e-3, ValueError, r"finite learning rates ≥ 0; schedule\(0\) returned -0.001"),
    (lambda step: "1e-3", TypeError, r"one number per step; schedule\(0\) returned str"),
    (lambda step: [1e-3, 2e-3], TypeError, r"schedule\(0\) returned list"),
    (lambda: 1e-3, TypeError, "takes 0 positional arguments but 1 was given"),
])
def test_bad_schedules_are_refused_before_any_training(schedule, error, message):
    model = linear_probe()
    x = np.full((40, 12, 12, 1), 0.5, dtype="float32")
    with pytest.raises(error, match=message):
        train_on_batches(model, x, np.arange(40) % 3, x, np.arange(40) % 3, 8, batch_size=8,
                         eval_size=8, progress=False, schedule=schedule)
    assert int(model.optimizer.iterations) == 0 and not np.any(model.get_weights()[0])


def test_a_schedule_cannot_override_one_the_optimizer_holds():
    model = linear_probe(keras.optimizers.schedules.ExponentialDecay(0.4, 1, 0.5))
    x = np.full((40, 12, 12, 1), 0.5, dtype="float32")
    with pytest.raises(ValueError, match="schedule cannot set this model's learning rate: its optimizer "
                                         "was compiled with a schedule of its own"):
        train_on_batches(model, x, np.arange(40) % 3, x, np.arange(40) % 3, 8, batch_size=8,
                         eval_size=8, progress=False, schedule=lambda step: 1e-3)
