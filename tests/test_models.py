import numpy as np
import pytest

import helpers
from helpers import models, standins


def test_plain_cnn_has_the_tutorials_parameter_count():
    assert models.plain_cnn().count_params() == 122_570


@pytest.mark.parametrize("kwargs, message", [
    ({"input_shape": (32, 32)}, "input_shape must be a tuple"),
    ({"input_shape": [32, 32, 3]}, "input_shape must be a tuple"),
    ({"num_classes": 1}, "num_classes must be an integer of at least 2"),
])
def test_plain_cnn_rejects_bad_shapes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.plain_cnn(**kwargs)


def test_the_cifar_standin_is_learnable_by_the_plain_cnn():
    """The stand-in must teach something: the plain CNN beats chance (10%) by far."""
    import keras

    helpers.setup(seed=0)
    x_train, y_train = standins.make_shapes(2000, seed=1)
    x_test, y_test = standins.make_shapes(500, seed=2)
    model = models.plain_cnn()
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train.astype(np.float32) / 255, y_train, epochs=4, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(x_test.astype(np.float32) / 255, y_test, verbose=0)
    assert accuracy > 0.5, f"test accuracy {accuracy:.2f} on the stand-in"
