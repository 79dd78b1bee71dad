import json
from pathlib import Path

import keras
import numpy as np
import pytest

import helpers
from helpers import models, standins


def test_plain_cnn_has_the_tutorials_parameter_count():
    assert models.plain_cnn().count_params() == 122_570


@pytest.mark.parametrize("kwargs, error, message", [
    ({"input_shape": (32, 32)}, TypeError, "input_shape must be a tuple"),
    ({"input_shape": [32, 32, 3]}, TypeError, "input_shape must be a tuple"),
    ({"input_shape": (32, 0, 3)}, ValueError, r"input_shape\[1\] must be at least 1"),
    ({"num_classes": 1}, ValueError, "num_classes must be at least 2"),
    ({"num_classes": 2.0}, TypeError, "num_classes must be an integer"),
])
def test_plain_cnn_rejects_bad_shapes(kwargs, error, message):
    with pytest.raises(error, match=message):
        models.plain_cnn(**kwargs)


def test_the_cifar_standin_is_learnable_by_the_plain_cnn():
    """The stand-in must teach something: the plain CNN beats chance (10%) by far."""
    import keras

    keras.utils.set_random_seed(0)
    x_train, y_train = standins.make_shapes(2000, seed=1)
    x_test, y_test = standins.make_shapes(500, seed=2)
    model = models.plain_cnn()
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train.astype(np.float32) / 255, y_train, epochs=4, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(x_test.astype(np.float32) / 255, y_test, verbose=0)
    assert accuracy > 0.5, f"test accuracy {accuracy:.2f} on the stand-in"


NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def model_defined_in(notebook: str, variable: str, **parameters):
    """Execute the notebook cell that writes out `variable = keras.Sequential(...)`."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    defining = [s for s in sources if f"{variable} = keras.Sequential(" in s]
    assert len(defining) == 1, f"one cell of {notebook} should define {variable}"
    namespace = {"keras": keras, **parameters}
    exec(defining[0], namespace)
    return namespace[variable]


def model_built_in(notebook: str, function: str, **parameters):
    """Execute the notebook cell with `def function():` and return the model it builds."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    defining = [s for s in sources if f"def {function}(" in s and "# Solution" not in s]
    assert len(defining) == 1, f"one cell of {notebook} should define {function}()"
    namespace = {"keras": keras, **parameters}
    exec(defining[0], namespace)
    return namespace[function]()


def test_notebook_05_lenet5_is_the_helpers_copy():
    written_out = model_defined_in("05_lenet5_mnist_train_on_batch.ipynb", "model")
    assert models.describe_layers(written_out) == models.describe_layers(models.lenet5())


def test_notebook_05_prepares_images_as_the_recipe_does():
    cells = json.loads((NOTEBOOKS / "05_lenet5_mnist_train_on_batch.ipynb").read_text())["cells"]
    source = next("".join(c["source"]) for c in cells if "def prepare(images):" in "".join(c["source"]))
    namespace = {"np": np}
    exec(source[source.index("def prepare"):source.index("x_train, x_val, x_test")], namespace)
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    np.testing.assert_array_equal(namespace["prepare"](images), helpers.recipes.pad_to_32(images))


def test_describe_layers_sees_a_changed_layer():
    changed = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(6, 3)])
    original = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(6, 5)])
    assert models.describe_layers(changed) != models.describe_layers(original)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        models.describe_layers("lenet5")


def test_batchnorm_cnn_counts():
    model = models.batchnorm_cnn()
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert model.count_params() == 552_362 and non_trainable == 896
    with pytest.raises(ValueError, match=r"dropout must lie in \[0, 1\)"):
        models.batchnorm_cnn(dropout=1.0)


def test_batchnorm_cnn_without_batchnorm_is_the_same_network_minus_those_layers():
    with_bn, without = models.batchnorm_cnn(), models.batchnorm_cnn(batchnorm=False)
    kept = [row for row in models.describe_layers(with_bn) if row[0] != "BatchNormalization"]
    assert kept == models.describe_layers(without) and len(with_bn.layers) - len(without.layers) == 6
    assert without.count_params() == 552_362 - 4 * 448 == 550_570 and not without.non_trainable_weights
    with pytest.raises(TypeError, match="batchnorm must be True or False"):
        models.batchnorm_cnn(batchnorm="no")


NOTEBOOK_03 = "03_training_a_cnn_cifar10.ipynb"
NOTEBOOK_04 = "04_batchnorm_cnn_cifar10.ipynb"


def test_notebook_03_plain_cnn_is_the_helpers_copy():
    plain = model_built_in(NOTEBOOK_03, "plain_cnn")
    assert models.describe_layers(plain) == models.describe_layers(models.plain_cnn())


def test_notebook_04_models_are_the_helpers_copies():
    batchnorm = model_built_in(NOTEBOOK_04, "batchnorm_cnn", BN_MOMENTUM=0.99)
    assert models.describe_layers(batchnorm) == models.describe_layers(models.batchnorm_cnn())
    assert models.describe_layers(batchnorm) != models.describe_layers(models.batchnorm_cnn(momentum=0.9))
    twin = model_built_in(NOTEBOOK_04, "no_batchnorm_cnn")
    assert models.describe_layers(twin) == models.describe_layers(models.batchnorm_cnn(batchnorm=False))
    assert models.describe_layers(twin) != models.describe_layers(models.batchnorm_cnn(dropout=0.5, batchnorm=False))
