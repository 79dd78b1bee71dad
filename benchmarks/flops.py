"""Multiply-adds per image of a Keras model, from its layers' shapes.

Only convolutions and dense layers are counted: they hold nearly all the
arithmetic (pooling, BatchNorm, activations and dropout are a few operations per
value, not per weight). One multiply-add is two floating-point operations, and a
training step costs about three forward passes (forward, and the backward pass's
two products: gradients for the inputs and for the weights).
"""

from __future__ import annotations

import math

from helpers import checks

TRAINING_PASSES = 3  # forward + backward (input gradients) + backward (weight gradients)


def multiply_adds(model) -> dict[str, int]:
    """Multiply-adds per image of each ``Conv2D``/``Dense`` layer of ``model``, by layer name.

    Conv2D: output positions × filters × (kernel height × kernel width × input channels);
    Dense: inputs × units. Biases and other layers are not counted.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {checks.describe(model)}.")
    counts = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, filters = layer.output.shape
            kernel_height, kernel_width, channels, _ = layer.kernel.shape
            counts[layer.name] = height * width * filters * kernel_height * kernel_width * channels
        elif isinstance(layer, keras.layers.Dense):
            inputs, units = layer.kernel.shape
            counts[layer.name] = inputs * units
    return {name: int(count) for name, count in counts.items()}


def training_flops_per_image(model) -> int:
    """Floating-point operations to train ``model`` on one image: 3 passes × 2 × multiply-adds."""
    return TRAINING_PASSES * 2 * sum(multiply_adds(model).values())


def achieved_gflops(images_per_second: float, flops_per_image: int) -> float:
    """GFLOP/s a training run achieved at ``images_per_second``."""
    checks.number(images_per_second, "images_per_second", 0)
    checks.positive_int(flops_per_image, "flops_per_image")
    if not math.isfinite(images_per_second * flops_per_image):
        raise ValueError("images_per_second × flops_per_image must be finite.")
    return images_per_second * flops_per_image / 1e9
