"""The hand-off between notebooks: recipes, atomic artifacts, and failing safe on broken files."""

import json
import os

import keras
import numpy as np
import pytest

import helpers
from helpers import artifacts, recipes
from helpers.training import TrainingRecord


def tiny_model():
    # Not compiled: saving an optimizer that never stepped makes Keras warn on loading.
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])


def a_record():
    return TrainingRecord(iterations=[1, 2], train_loss=[1.0, 0.9], train_accuracy=[0.2, 0.3],
                          eval_iterations=[2], eval_accuracy=[0.4], batch_size=2, eval_size=4)


def test_an_artifact_round_trips_with_its_kind_and_metadata(smoke):
    model = tiny_model()
    folder = artifacts.save_artifact("toy", smoke, model, a_record(), {"dataset": "mnist"})
    assert sorted(p.name for p in folder.iterdir()) == ["history.json", "model.keras"]
    saved = artifacts.load_artifact("toy", smoke, expect_kind="training_record")
    assert saved.history == a_record() and saved.metadata == {"dataset": "mnist"}
    x = np.ones((2, 4), dtype="float32")
    np.testing.assert_allclose(saved.model.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    assert json.loads((folder / "history.json").read_text())["kind"] == "training_record"


def test_a_keras_history_keeps_its_kind(smoke):
    artifacts.save_artifact("toy", smoke, tiny_model(), {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    saved = artifacts.load_artifact("toy", smoke)
    assert saved.history == {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}
    with pytest.raises(helpers.ArtifactError, match="holds a keras_history, not the training_record expected"):
        artifacts.load_artifact("toy", smoke, expect_kind="training_record")


def test_a_failed_save_leaves_the_earlier_artifact_whole(smoke, monkeypatch):
    first = tiny_model()
    artifacts.save_artifact("toy", smoke, first, a_record())

    def broken_save(self, path, *args, **kwargs):
        open(path, "wb").write(b"half a model")
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        artifacts.save_artifact("toy", smoke, tiny_model(), a_record())
    monkeypatch.undo()
    saved = artifacts.load_artifact("toy", smoke)  # still the first, complete
    x = np.ones((1, 4), dtype="float32")
    np.testing.assert_allclose(saved.model.predict(x, verbose=0), first.predict(x, verbose=0), atol=1e-6)
    assert [p.name for p in smoke.artifacts_dir.iterdir()] == ["toy"]  # no half-written leftovers


def test_a_history_that_is_not_json_writes_nothing(smoke):
    with pytest.raises(TypeError, match="not JSON serializable"):
        artifacts.save_artifact("toy", smoke, tiny_model(), a_record(), {"when": object()})
    assert artifacts.saved_stems(smoke) == []


@pytest.mark.parametrize("damage, message", [
    (lambda folder: (folder / "history.json").write_text('{"kind": "training_rec'),
     "history.json is not a readable history"),
    (lambda folder: (folder / "history.json").write_text('{"kind": "pickle", "values": {}}'),
     "unknown history kind 'pickle'"),
    (lambda folder: (folder / "model.keras").write_bytes(b"PK\x03\x04 truncated"), "model.keras could not be loaded"),
    (lambda folder: os.remove(folder / "model.keras"), "model.keras is missing"),
])
def test_a_damaged_artifact_fails_with_the_file_and_what_to_do(smoke, damage, message):
    folder = artifacts.save_artifact("toy", smoke, tiny_model(), a_record())
    damage(folder)
    with pytest.raises(helpers.ArtifactError, match=message) as caught:
        artifacts.load_artifact("toy", smoke)
    assert str(folder) in str(caught.value) and "Re-run the notebook" in str(caught.value)
    assert f"delete {folder}" in str(caught.value)


def test_save_trained_refuses_the_wrong_history_kind(smoke):
    data = helpers.load_dataset("mnist", smoke, train_size=100, test_size=20, validation_size=0.2)
    with pytest.raises(ValueError, match="history must be a training_record for recipe 'lenet5'"):
        helpers.save_trained(recipes.LENET5, smoke, data, tiny_model(), {"loss": [1.0]})


def test_notebook_06_finds_the_dataset_notebook_05_ran_with(smoke, capsys):
    """The hand-off: what was saved last, for whichever dataset, is what load_or_train evaluates."""
    assert recipes.latest_dataset(recipes.LENET5, smoke) is None
    fashion = helpers.load_dataset("fashion_mnist", smoke, train_size=200, test_size=50,
                                   validation_size=0.2)
    model = helpers.models.lenet5()
    helpers.save_trained(recipes.LENET5, smoke, fashion, model, a_record())
    assert recipes.latest_dataset(recipes.LENET5, smoke) == "fashion_mnist"
    trained = helpers.load_or_train(recipes.LENET5, smoke)
    assert trained.loaded and trained.data.name == "fashion_mnist" and trained.history == a_record()
    assert trained.x_test.shape[1:] == (32, 32, 1) and trained.x_test.dtype == np.float32
    assert "loaded the model notebook 05 saved" in capsys.readouterr().out


def test_a_loaded_model_gets_the_validation_and_test_images_its_notebook_held_out(smoke, capsys):
    """Notebook 05 splits with its own seed (98); notebook 06 asks with another (7). The loaded
    model's data must be drawn with the saved seed: with 06's, most of its "validation" images
    would be images the model trained on."""
    trained_on = helpers.load_dataset("fashion_mnist", smoke, validation_size=recipes.LENET5.validation_size,
                                      seed=98)
    helpers.save_trained(recipes.LENET5, smoke, trained_on, helpers.models.lenet5(), a_record())
    loaded = helpers.load_or_train(recipes.LENET5, smoke, dataset="fashion_mnist", seed=7)
    np.testing.assert_array_equal(loaded.data.x_val, trained_on.x_val)
    np.testing.assert_array_equal(loaded.data.x_test, trained_on.x_test)
    assert loaded.data.seed == 98 and "its splits drawn with seed 98" in capsys.readouterr().out
    other = helpers.load_dataset("fashion_mnist", smoke, validation_size=recipes.LENET5.validation_size, seed=7)
    assert not np.array_equal(other.x_val, trained_on.x_val)  # the check above could fail


def test_load_or_train_trains_the_recipe_when_nothing_is_saved(smoke, capsys):
    trained = helpers.load_or_train(recipes.LENET5, smoke, dataset="mnist", seed=1)
    budget = recipes.LENET5.budget(smoke)
    assert not trained.loaded and "training it now" in capsys.readouterr().out
    assert len(trained.history.iterations) == budget["schedule_iterations"]
    # The scheduled run: the rates the optimizer used are warm-up + cosine decay, step by step.
    schedule = helpers.training.warmup_cosine(budget["peak_learning_rate"], budget["schedule_iterations"],
                                              budget["warmup_fraction"], budget["start_fraction"])
    np.testing.assert_allclose(trained.history.learning_rate,
                               [float(schedule(step)) for step in range(budget["schedule_iterations"])],
                               rtol=1e-6)
    assert trained.history.eval_split == "validation" and trained.data.x_val is not None
    assert trained.model.count_params() == 61_706


def test_recipes_name_their_artifacts_and_budgets(make_profile):
    assert recipes.LENET5.stem("fashion_mnist") == "lenet5_fashion_mnist"
    with pytest.raises(ValueError, match="dataset must be one of 'mnist', 'fashion_mnist'"):
        recipes.LENET5.stem("cifar10")
    for recipe in recipes.RECIPES.values():
        for name in helpers.PROFILE_NAMES:
            assert recipe.budget(make_profile(name))
    assert recipes.BATCHNORM_CNN.budget(make_profile("full"))["epochs"] == 12
    # The names notebook 05 reads; the constant rate is Adam's default, the peak a few times it.
    for name in helpers.PROFILE_NAMES:
        lenet5 = recipes.LENET5.budget(make_profile(name))
        assert set(lenet5) == {"iterations", "schedule_iterations", "batch_size", "eval_every", "eval_size",
                               "learning_rate", "peak_learning_rate", "warmup_fraction", "start_fraction"}
        assert lenet5["learning_rate"] == 1e-3 and lenet5["peak_learning_rate"] > lenet5["learning_rate"]
        assert lenet5["batch_size"] == 100 and lenet5["eval_every"] == 5 and lenet5["warmup_fraction"] == 0.2
    assert [recipes.LENET5.budget(make_profile(n))["iterations"] for n in ("full", "quick", "smoke")] == [300, 300, 60]
    assert [recipes.LENET5.budget(make_profile(n))["schedule_iterations"] for n in ("quick", "smoke")] == [1500, 60]
    assert recipes.recipe("lenet5") is recipes.LENET5
    with pytest.raises(ValueError, match="name must be one of 'lenet5', 'batchnorm_cnn'"):
        recipes.recipe("resnet")


@pytest.mark.parametrize("images, error, message", [
    (np.zeros((2, 28, 28), np.float32), ValueError, r"images must be uint8 images \(0–255\)"),
    (np.zeros((2, 32, 32), np.uint8), ValueError, "images must be 28×28"),
    (np.zeros((28, 28), np.uint8), ValueError, "images must have 3 or 4 dimensions"),
])
def test_pad_to_32_refuses_what_lenet5_cannot_take(images, error, message):
    with pytest.raises(error, match=message):
        recipes.pad_to_32(images)
