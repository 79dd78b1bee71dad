"""Keras behaviour that a notebook's prose states, checked on the installed Keras.

Notebook 02 (section 5, and its Summary) says that ``fit`` casts a ``float64`` array to
``float32`` once, the whole array, when it starts, so that while it trains the ``float64``
array and its ``float32`` copy both sit in memory. If this test fails, Keras changed how it
feeds arrays (or moved the code watched here): re-check the behaviour and that prose.
"""

import keras
import numpy as np
import pytest
from keras.src.trainers.data_adapters import array_slicing  # where Keras 3.15 casts arrays for fit


@pytest.fixture
def casts(monkeypatch):
    """The ``(shape, dtype before, dtype after)`` of every array Keras casts for ``fit``."""
    seen = []
    original = array_slicing.NumpySliceable.cast.__func__

    def spy(cls, x, dtype):
        result = original(cls, x, dtype)
        seen.append((x.shape, str(x.dtype), str(result.dtype)))
        return result

    monkeypatch.setattr(array_slicing.NumpySliceable, "cast", classmethod(spy))
    return seen


def fit_three_epochs(x):
    y = np.arange(len(x)) % 3
    model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(3)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=10, epochs=3, verbose=0)


def test_fit_casts_a_float64_array_to_float32_once_and_whole(casts):
    x = np.random.default_rng(0).integers(0, 256, (60, 4, 4, 3), dtype=np.uint8) / 255.0  # float64
    fit_three_epochs(x)
    assert casts == [((60, 4, 4, 3), "float64", "float32")]  # one cast, of the whole array, not per batch


def test_fit_leaves_a_float32_array_as_it_is(casts):
    x = np.random.default_rng(0).integers(0, 256, (60, 4, 4, 3), dtype=np.uint8).astype("float32") / 255
    fit_three_epochs(x)
    assert casts == []
