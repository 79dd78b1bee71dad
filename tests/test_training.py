import json

import keras
import numpy as np
import pytest

import helpers
from helpers import models
from helpers.training import TrainingRecord, train_on_batches


def small_problem(n_train=300, n_test=120):
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 3, n_train), rng.integers(0, 3, n_test)
    # Class k lights up row band k: learnable in a few dozen steps.
    def images(y):
        x = rng.normal(0, 0.1, (len(y), 12, 12, 1)).astype("float32")
        for k in range(3):
            x[y == k, 4 * k : 4 * k + 4] += 1.0
        return x
    return images(y_train), y_train, images(y_test), y_test


def tiny_model():
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(seed=0, **kwargs):
    helpers.setup(seed=1)  # same initial weights
    args = dict(iterations=40, batch_size=32, eval_every=5, eval_size=100, seed=seed, progress=False)
    args.update(kwargs)
    return train_on_batches(tiny_model(), *small_problem(), **args)


def test_record_lengths_follow_iterations_and_interval():
    record = run(iterations=42, eval_every=5)
    assert record.iterations == list(range(1, 43))
    assert len(record.train_loss) == len(record.train_accuracy) == 42
    assert record.eval_iterations == list(range(5, 41, 5)) and len(record.test_accuracy) == 8
    assert record.batch_size == 32 and record.eval_size == 100 and record.seconds > 0


def test_the_loop_learns():
    record = run(iterations=60)
    assert record.test_accuracy[-1] > 0.9 and np.mean(record.train_loss[-5:]) < record.train_loss[0]


def test_seeding_gives_identical_records():
    first, second = run(seed=3), run(seed=3)
    for name in ("train_loss", "train_accuracy", "test_accuracy", "eval_iterations"):
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
    ({"batch_size": 301}, "batch_size=301 is larger than the 300 training examples"),
    ({"eval_every": 0}, "eval_every must be a positive integer, got 0"),
    ({"eval_every": -5}, "eval_every must be a positive integer, got -5"),
    ({"iterations": 0}, "iterations must be a positive integer"),
    ({"eval_size": 121}, "eval_size=121 is larger than the 120 test examples"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(**kwargs)


def test_mismatched_lengths_are_rejected():
    x_train, y_train, x_test, y_test = small_problem()
    with pytest.raises(ValueError, match="x_train and y_train must have the same length, got 300 and 299"):
        train_on_batches(tiny_model(), x_train, y_train[:-1], x_test, y_test, 5, progress=False)
    with pytest.raises(ValueError, match="x_test and y_test must have the same length"):
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


def test_image_batches_scale_per_batch_and_keep_order():
    x = np.arange(5 * 2 * 2 * 3, dtype=np.uint8).reshape(5, 2, 2, 3)
    y = np.arange(5)
    batches = list(helpers.image_batches(x, y, batch_size=2))
    assert [len(b[1]) for b in batches] == [2, 2, 1]
    images, labels = batches[0]
    assert images.dtype.name == "float32"
    np.testing.assert_allclose(images.numpy(), x[:2] / 255.0, atol=1e-7)
    shuffled = np.concatenate([b[1].numpy() for b in helpers.image_batches(x, y, 2, shuffle=True, seed=1)])
    assert sorted(shuffled) == list(range(5))


@pytest.mark.parametrize("args, message", [
    ((np.zeros((3, 2, 2, 3), np.uint8), np.arange(2), 2), "x and y must have the same length"),
    ((np.zeros((3, 2, 2, 3), np.float32), np.arange(3), 2), "x must hold uint8 images"),
    ((np.zeros((3, 2, 2, 3), np.uint8), np.arange(3), 0), "batch_size must be a positive integer"),
])
def test_image_batches_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        helpers.image_batches(*args)
