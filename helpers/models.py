"""Architectures used by more than one notebook.

Each notebook writes its own model out layer by layer, because that is what it
teaches; these copies serve the notebooks and benchmarks that reuse a model,
and a unit test checks that both definitions agree layer by layer.
"""

from __future__ import annotations

import keras
from keras import layers


def plain_cnn(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10) -> keras.Model:
    """The TensorFlow CNN tutorial's model: 122,570 parameters on 32×32×3, 10 classes.

    Conv32–Pool–Conv64–Pool–Conv64–Dense64–Dense(num_classes); outputs logits,
    so compile it with ``from_logits=True``.
    """
    _check_shape(input_shape, num_classes)
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(num_classes),
        ],
        name="plain_cnn",
    )


def _check_shape(input_shape, num_classes) -> None:
    if (not isinstance(input_shape, tuple) or len(input_shape) != 3
            or not all(isinstance(d, int) and d > 0 for d in input_shape)):
        raise ValueError(f"input_shape must be a tuple (height, width, channels) of positive "
                         f"integers, got {input_shape!r}.")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer of at least 2, got {num_classes!r}.")
