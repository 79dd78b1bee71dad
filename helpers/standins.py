"""Offline stand-ins with the real loaders' shapes, dtypes and value ranges.

They exist so the series runs (and is tested) on a machine with no network.
They are never used silently: :mod:`helpers.data` announces every stand-in.

* MNIST: real handwritten digits from scikit-learn's bundled ``load_digits``
  (8×8, 0–16), rescaled to a 20×20 box centred in 28×28 like MNIST.
* CIFAR-10 / Fashion-MNIST: a generated 10-class image set of shapes and
  textures on random colours – not CIFAR's classes, so its class names are its own.
"""

from __future__ import annotations

import numpy as np

from . import checks

SHAPE_CLASS_NAMES = (
    "disc",
    "square",
    "triangle",
    "ring",
    "cross",
    "horizontal bars",
    "vertical bars",
    "diagonal bars",
    "checkerboard",
    "dots",
)
DIGIT_CLASS_NAMES = tuple(str(d) for d in range(10))
_CHUNK = 4096  # images generated at once: bounds temporary memory for large requests
MAX_IMAGES = 60_000  # the largest real dataset it stands in for


def digits_like_mnist(seed: int = 0, test_fraction: float = 0.2) -> tuple:
    """Return ``(x_train, y_train), (x_test, y_test)`` built from scikit-learn's digits.

    Images are uint8 (N, 28, 28) in 0–255, labels uint8 (N,), as
    ``keras.datasets.mnist.load_data()``. The split is stratified and seeded;
    1,797 images in all.
    """
    seed = checks.integer(seed, "seed", minimum=0)
    test_fraction = checks.number(test_fraction, "test_fraction", 0, 1, low_open=True, high_open=True)
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = digits.images.astype(np.float32) / 16.0  # (N, 8, 8) in [0, 1]
    box = np.clip(zoom(small, (1, 2.5, 2.5), order=1), 0.0, 1.0)  # (N, 20, 20)
    images = np.zeros((len(box), 28, 28), dtype=np.uint8)
    images[:, 4:24, 4:24] = np.round(box * 255).astype(np.uint8)
    labels = digits.target.astype(np.uint8)

    rng = np.random.default_rng(seed)
    test_mask = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        test_mask[members[: int(round(len(members) * test_fraction))]] = True
    return (images[~test_mask], labels[~test_mask]), (images[test_mask], labels[test_mask])


def make_shapes(n: int, image_size: int = 32, channels: int = 3, seed: int = 0):
    """Generate ``n`` labelled images of 10 shape/texture classes.

    Returns ``(images, labels)``: uint8 images (n, size, size, 3) for
    ``channels=3`` or (n, size, size) for ``channels=1``, and uint8 labels
    (n,), balanced over the classes in :data:`SHAPE_CLASS_NAMES`. Position,
    size, colours and noise vary, so a CNN must learn the shape, not a colour.
    """
    n = checks.positive_int(n, "n", maximum=MAX_IMAGES)
    image_size = checks.integer(image_size, "image_size", minimum=16, maximum=256)
    checks.one_of(channels, "channels", (1, 3))
    seed = checks.integer(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % len(SHAPE_CLASS_NAMES)).astype(np.uint8)
    rng.shuffle(labels)
    chunks = [
        _draw_shapes(labels[i : i + _CHUNK], image_size, channels, rng)
        for i in range(0, n, _CHUNK)
    ]
    return np.concatenate(chunks), labels


def _draw_shapes(labels: np.ndarray, s: int, channels: int, rng: np.random.Generator):
    n = len(labels)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    centre = s / 2 + rng.uniform(-0.12 * s, 0.12 * s, size=(2, n, 1, 1)).astype(np.float32)
    dy, dx = yy - centre[0], xx - centre[1]
    r = rng.uniform(0.24 * s, 0.36 * s, size=(n, 1, 1)).astype(np.float32)
    period = rng.uniform(0.16 * s, 0.24 * s, size=(n, 1, 1)).astype(np.float32)
    dist = np.hypot(dx, dy)
    inside_box = np.maximum(np.abs(dx), np.abs(dy)) <= r
    masks = {
        0: dist <= r,
        1: np.maximum(np.abs(dx), np.abs(dy)) <= 0.8 * r,
        2: (dy <= 0.7 * r) & (np.abs(dx) <= (dy + r) * 0.6),
        3: (dist <= r) & (dist >= 0.55 * r),
        4: ((np.abs(dx) <= 0.25 * r) | (np.abs(dy) <= 0.25 * r)) & inside_box,
        5: (np.sin(2 * np.pi * dy / period) > 0) & inside_box,
        6: (np.sin(2 * np.pi * dx / period) > 0) & inside_box,
        7: (np.sin(2 * np.pi * (dx + dy) / (1.41 * period)) > 0) & inside_box,
        8: ((np.floor(dx / period) + np.floor(dy / period)) % 2 == 0) & inside_box,
        9: (np.hypot(dx % period - period / 2, dy % period - period / 2) <= 0.3 * period)
        & inside_box,
    }
    mask = np.zeros((n, s, s), dtype=bool)
    for label, class_mask in masks.items():
        mask[labels == label] = class_mask[labels == label]

    background = rng.uniform(0, 1, size=(n, 1, 1, 3)).astype(np.float32)
    # Shift every channel by 0.35–0.65 (mod 1): shape and background always contrast.
    foreground = (background + rng.uniform(0.35, 0.65, size=(n, 1, 1, 3))) % 1.0
    images = np.where(mask[..., None], foreground, background)
    images += rng.normal(0, 0.06, size=images.shape).astype(np.float32)
    images = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
    return images if channels == 3 else images[..., 0]
