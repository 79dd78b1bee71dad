import gc
import json
import weakref

import keras
import numpy as np
import pytest

from helpers import models
from helpers.training import TrainingRecord, compiled_predictor, train_on_batches


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
    Colab's 3.13); the loop resets the metrics itself, so the next test holds on every 3.x."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.layers[0].set_weights([np.array([[-5.0, 5.0]], "float32"), np.zeros(2, "float32")])  # says 1
    x = np.ones((4, 1), "float32")
    assert model.train_on_batch(x, np.ones(4, "int32"), return_dict=True)["accuracy"] == 1.0
    second = model.train_on_batch(x, np.zeros(4, "int32"), return_dict=True)["accuracy"]
    assert second == (0.0 if KERAS_VERSION >= (3, 15) else 0.5)


def test_recorded_figures_are_each_batchs_own():
    """With a learning rate of 0 the weights never move, so each recorded loss and accuracy
    can be recomputed on its batch; a running mean over batches would not match. Holds on
    every Keras 3 release: the loop resets the metrics before each step."""
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


def test_a_record_extends_with_a_later_run():
    first, later = run(iterations=10), run(iterations=15, seed=2)
    whole = first.extend(later)
    assert whole.iterations == list(range(1, 26))
    assert whole.eval_iterations == [5, 10, 15, 20, 25]
    assert whole.train_loss == first.train_loss + later.train_loss
    assert whole.seconds == pytest.approx(first.seconds + later.seconds)
    assert first.iterations == list(range(1, 11))  # unchanged
    with pytest.raises(ValueError, match="same batch_size, eval_size and eval_split"):
        first.extend(run(iterations=10, batch_size=16))
    with pytest.raises(TypeError, match="later must be a TrainingRecord"):
        first.extend({"iterations": [1]})


def test_a_record_refuses_inconsistent_lists():
    with pytest.raises(ValueError, match="iterations, train_loss and train_accuracy must have the same length"):
        TrainingRecord(iterations=[1, 2], train_loss=[0.5], train_accuracy=[0.1, 0.2])


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
