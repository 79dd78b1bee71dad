"""Architectures used by more than one notebook.

Each notebook writes its own model out layer by layer, because that is what it
teaches; these copies serve the notebooks and benchmarks that reuse a model,
and a unit test checks that both definitions agree layer by layer.
"""

from __future__ import annotations

import keras
from keras import layers

from . import checks


def plain_cnn(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10) -> keras.Model:
    """The TensorFlow CNN tutorial's model: 122,570 parameters on 32×32×3, 10 classes.

    Conv32–Pool–Conv64–Pool–Conv64–Dense64–Dense(num_classes); outputs logits,
    so compile it with ``from_logits=True``.
    """
    _check_shape(input_shape, num_classes)
    return _sequential("plain_cnn", input_shape, [
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(num_classes),
    ])


def batchnorm_cnn(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10,
                  dropout: float = 0.25, momentum: float = 0.99, batchnorm: bool = True) -> keras.Model:
    """Three blocks of [Conv–BN–Conv–BN–MaxPool–Dropout] (32, 64, 128 filters), Dense128, softmax.

    552,362 parameters on 32×32×3 with 10 classes, 896 of them the
    BatchNormalization layers' non-trainable moving means and variances.
    ``momentum`` is BatchNormalization's (Keras default 0.99); short runs need
    less so the moving statistics catch up. Outputs probabilities (softmax).
    ``batchnorm=False`` gives the ablation of notebook 04: the same network with
    every BatchNormalization layer removed and nothing else changed (550,570
    parameters, named ``no_batchnorm_cnn``).
    """
    _check_shape(input_shape, num_classes)
    checks.number(dropout, "dropout", 0, 1, high_open=True)
    checks.number(momentum, "momentum", 0, 1, high_open=True)
    checks.boolean(batchnorm, "batchnorm")

    def normalise() -> list:
        return [layers.BatchNormalization(momentum=momentum)] if batchnorm else []

    stack = []
    for filters in (32, 64, 128):
        stack += [
            layers.Conv2D(filters, 3, padding="same", activation="relu"),
            *normalise(),
            layers.Conv2D(filters, 3, padding="same", activation="relu"),
            *normalise(),
            layers.MaxPooling2D(2),
            layers.Dropout(dropout),
        ]
    stack += [
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(dropout),
        layers.Dense(num_classes, activation="softmax"),
    ]
    return _sequential("batchnorm_cnn" if batchnorm else "no_batchnorm_cnn", input_shape, stack)


def lenet5(input_shape: tuple[int, int, int] = (32, 32, 1), num_classes: int = 10) -> keras.Model:
    """LeNet-5 with ReLU and max pooling: 61,706 parameters on 32×32×1 with 10 classes.

    C1 Conv(6, 5×5) – S2 MaxPool 2 – C3 Conv(16, 5×5) – S4 MaxPool 2 – C5 Dense 120 (the
    paper's 5×5 convolution on a 5×5 map, as a dense layer on the 400 values) –
    F6 Dense 84 – output Dense(num_classes, softmax).
    """
    _check_shape(input_shape, num_classes)
    return _sequential("lenet5", input_shape, [
        layers.Conv2D(6, 5, activation="relu", name="C1"),
        layers.MaxPooling2D(2, strides=2, name="S2"),
        layers.Conv2D(16, 5, activation="relu", name="C3"),
        layers.MaxPooling2D(2, strides=2, name="S4"),
        layers.Flatten(name="flatten"),
        layers.Dense(120, activation="relu", name="C5"),
        layers.Dense(84, activation="relu", name="F6"),
        layers.Dense(num_classes, activation="softmax", name="output"),
    ])


def describe_layers(model: keras.Model) -> list[tuple[str, str, tuple, int]]:
    """(class name, config without the name, output shape, parameters) for each layer.

    Two models with equal descriptions have the same architecture layer by layer;
    the tests use it to check a notebook's model against its copy here.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}.")
    rows = []
    for layer in model.layers:
        config = {k: v for k, v in layer.get_config().items() if k not in ("name", "trainable")}
        for key in ("kernel_initializer", "bias_initializer"):
            config.pop(key, None)  # initializer seeds differ between instances
        rows.append((type(layer).__name__, repr(sorted(config.items())),
                     tuple(layer.output.shape), layer.count_params()))
    return rows


def _sequential(name: str, input_shape: tuple[int, int, int], stack: list) -> keras.Model:
    """``keras.Sequential`` of ``stack`` on ``input_shape``, refused first when the images are too small."""
    height, width = smallest_image(stack)
    if input_shape[0] < height or input_shape[1] < width:
        raise ValueError(
            f"input_shape {input_shape} is too small for {name}: its convolution and pooling layers "
            f"need images of at least {height}×{width} pixels (each window of k pixels with stride s "
            f"needs (out − 1)·s + k input pixels for one output pixel, layer by layer), got "
            f"{input_shape[0]}×{input_shape[1]}. Pad or resize the images to at least {height}×{width} "
            f"first (np.pad, or keras.layers.Resizing({height}, {width}) in front of the model).")
    return keras.Sequential([keras.Input(shape=input_shape), *stack], name=name)


def smallest_image(stack: list) -> tuple[int, int]:
    """The smallest (height, width) for which every layer of ``stack`` keeps at least one pixel.

    Read from the layers' own configuration, walking back from a 1×1 output: a
    window of k pixels (dilated by d: (k − 1)·d + 1) with stride s needs
    (out − 1)·s + k input pixels with ``padding="valid"`` and (out − 1)·s + 1
    with ``"same"``. Layers without a window (Dense, Dropout, BatchNorm, ...) are
    skipped: the ones after ``Flatten`` do not see pixels.
    """
    if not isinstance(stack, (list, tuple)) or not all(isinstance(layer, keras.layers.Layer) for layer in stack):
        raise TypeError(f"stack must be a list of Keras layers, got {checks.describe(stack)}.")
    need = [1, 1]
    for layer in reversed(stack):
        config = layer.get_config()
        window = config.get("kernel_size", config.get("pool_size"))
        if window is None:
            continue
        strides = config.get("strides") or window
        dilation = config.get("dilation_rate", (1, 1))
        for axis in range(2):
            span = (window[axis] - 1) * dilation[axis] + 1
            need[axis] = (need[axis] - 1) * strides[axis] + (span if config.get("padding") == "valid" else 1)
    return need[0], need[1]


def _check_shape(input_shape, num_classes) -> None:
    if not isinstance(input_shape, tuple) or len(input_shape) != 3:
        raise TypeError(f"input_shape must be a tuple (height, width, channels), got "
                        f"{checks.describe(input_shape)}.")
    for k, size in enumerate(input_shape):
        checks.positive_int(size, f"input_shape[{k}]", maximum=4096)
    checks.integer(num_classes, "num_classes", minimum=2, maximum=10_000)
