"""MNIST, Fashion-MNIST and CIFAR-10 through ``keras.datasets``, offline-aware.

Where the data comes from, in order:

1. the Keras cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``) – the
   real loader runs and finds its files;
2. Fashion-MNIST only: Debian's ``dataset-fashion-mnist`` package, copied into
   the Keras cache so the real loader reads it;
3. the ``smoke`` profile, or ``allow_standin=True`` / ``CNN_ALLOW_STANDIN=1``:
   an announced stand-in (see :mod:`helpers.standins`), never a download;
4. otherwise a download through the real loader; if it fails,
   :class:`DatasetUnavailableError` says what failed, where the files are
   expected and how to run offline.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import standins
from .runtime import active_profile

STANDIN_VARIABLE = "CNN_ALLOW_STANDIN"
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_TIMEOUT_S = 20  # per network operation: an unreachable host fails in seconds

CLASS_NAMES = {
    "mnist": standins.DIGIT_CLASS_NAMES,
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    "cifar10": (
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ),
}  # fmt: skip
DATASETS = tuple(CLASS_NAMES)
_FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
# (train, test) sizes per profile; None keeps the whole split.
PROFILE_SIZES = {
    "full": {name: (None, None) for name in DATASETS},
    "quick": {"mnist": (12_000, 2_000), "fashion_mnist": (12_000, 2_000), "cifar10": (10_000, 2_000)},
    "smoke": {"mnist": (1_000, 300), "fashion_mnist": (1_000, 300), "cifar10": (2_000, 500)},
}
_REAL_SIZES = {"mnist": (60_000, 10_000), "fashion_mnist": (60_000, 10_000), "cifar10": (50_000, 10_000)}


class DatasetUnavailableError(RuntimeError):
    """The real dataset is neither cached nor downloadable, and no stand-in was allowed."""


@dataclass(frozen=True)
class Dataset:
    """A train/test split with the real loader's shapes and dtypes, and its provenance."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    is_standin: bool

    def summary(self) -> str:
        """One line per split with shape and dtype, then where the data came from."""
        return "\n".join(
            [
                f"{self.name}: {len(self.class_names)} classes"
                + (" (STAND-IN, not the real dataset)" if self.is_standin else ""),
                f"  x_train {self.x_train.shape} {self.x_train.dtype}   "
                f"y_train {self.y_train.shape} {self.y_train.dtype}",
                f"  x_test  {self.x_test.shape} {self.x_test.dtype}   "
                f"y_test  {self.y_test.shape} {self.y_test.dtype}",
                f"  source: {self.source}",
            ]
        )


def keras_cache_dir() -> Path:
    """Return the folder where ``keras.datasets`` caches downloads (``.../datasets``).

    Keras reads ``$KERAS_HOME`` (default ``~/.keras``) once, when it is imported,
    and falls back to ``/tmp/.keras`` when that folder is not writable; this
    returns the folder Keras will really use.
    """
    try:
        from keras.src.backend.config import keras_home  # the value Keras fixed at import
        home = keras_home()
    except ImportError:  # a Keras that moved it: same rule, read from the environment
        home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    home = os.path.expanduser(home)
    if not os.access(home, os.W_OK):
        home = "/tmp/.keras"
    return Path(home) / "datasets"


def expected_files(name: str) -> list[Path]:
    """Return the cache files whose presence lets ``keras.datasets.<name>`` load offline."""
    _check_name(name)
    cache = keras_cache_dir()
    if name == "mnist":
        return [cache / "mnist.npz"]
    if name == "fashion_mnist":
        return [cache / "fashion-mnist" / f for f in _FASHION_FILES]
    return [cache / "cifar-10-batches-py-target_archive"]


def is_cached(name: str) -> bool:
    """True when every file the real loader needs is already in the Keras cache."""
    return all(path.exists() for path in expected_files(name))


def standin_allowed(allow_standin: bool | None = None) -> bool:
    """Resolve the stand-in opt-in: the argument, else ``$CNN_ALLOW_STANDIN``, else smoke."""
    if allow_standin is not None:
        if not isinstance(allow_standin, bool):
            raise TypeError(f"allow_standin must be True, False or None, got {allow_standin!r}.")
        return allow_standin
    if os.environ.get(STANDIN_VARIABLE, "").strip().lower() in ("1", "true", "yes"):
        return True
    return active_profile() == "smoke"


def load_dataset(
    name: str,
    train_size: int | None | str = "profile",
    test_size: int | None | str = "profile",
    seed: int = 0,
    allow_standin: bool | None = None,
) -> Dataset:
    """Load ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"`` as a :class:`Dataset`.

    Arrays have the real loader's shapes and dtypes: uint8 images (N, 28, 28)
    or (N, 32, 32, 3), uint8 labels (N,) or, for CIFAR-10, (N, 1).
    ``train_size``/``test_size``: ``"profile"`` (default) takes the active
    profile's size, ``None`` the whole split, an int a seeded class-stratified
    subset of that many images.

    Raises:
        ValueError: unknown ``name`` or a bad size.
        DatasetUnavailableError: no cached data, no download, no stand-in allowed.
    """
    _check_name(name)
    profile_train, profile_test = PROFILE_SIZES[active_profile()][name]
    train_from_profile, test_from_profile = train_size == "profile", test_size == "profile"
    train_size = profile_train if train_from_profile else train_size
    test_size = profile_test if test_from_profile else test_size
    _check_size("train_size", train_size)
    _check_size("test_size", test_size)

    if not is_cached(name) and name == "fashion_mnist" and DEBIAN_FASHION_MNIST.is_dir():
        _copy_debian_fashion_mnist()
        source_note = f" (copied from Debian's dataset-fashion-mnist, {DEBIAN_FASHION_MNIST})"
    else:
        source_note = ""

    if is_cached(name):
        (x_train, y_train), (x_test, y_test) = _keras_loader(name)()
        source = f"keras.datasets.{name} from the cache {keras_cache_dir()}{source_note}"
        is_standin = False
    elif standin_allowed(allow_standin):
        (x_train, y_train), (x_test, y_test), source = _standin(name, train_size, test_size)
        is_standin = True
        print(f"*** STAND-IN DATA *** {name} is not in {keras_cache_dir()}; no download tried.")
        print(f"*** {source}")
    else:
        (x_train, y_train), (x_test, y_test) = _download(name)
        source = f"keras.datasets.{name}, downloaded to {keras_cache_dir()}"
        is_standin = False

    class_names = standins.SHAPE_CLASS_NAMES if is_standin and name != "mnist" else CLASS_NAMES[name]
    if is_standin:  # sizes the profile chose (not the caller) are capped at what the stand-in has
        train_size = _cap(train_size, len(y_train), train_from_profile, "training")
        test_size = _cap(test_size, len(y_test), test_from_profile, "test")
    x_train, y_train = _maybe_subset(x_train, y_train, train_size, seed, "train_size")
    x_test, y_test = _maybe_subset(x_test, y_test, test_size, seed + 1, "test_size")
    return Dataset(name, x_train, y_train, x_test, y_test, tuple(class_names), source, is_standin)


def stratified_subset(
    x: np.ndarray, y: np.ndarray, size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``size`` examples of ``(x, y)`` keeping the class proportions of ``y``.

    Each class gets its proportional share (largest remainders break ties);
    the pick is seeded, so the same seed gives the same subset. Examples keep
    their original order. ``y`` may be (N,) or (N, 1).
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}.")
    _check_size("size", size)
    if size > len(y):
        raise ValueError(f"size={size} is larger than the {len(y)} examples available.")
    flat = np.asarray(y).reshape(len(y), -1)[:, 0]
    classes, counts = np.unique(flat, return_counts=True)
    exact = counts * size / len(flat)
    share = np.floor(exact).astype(int)
    remainder_order = np.argsort(-(exact - share), kind="stable")
    share[remainder_order[: size - share.sum()]] += 1

    rng = np.random.default_rng(seed)
    picked = [
        rng.choice(np.flatnonzero(flat == label), size=k, replace=False)
        for label, k in zip(classes, share)
    ]
    index = np.sort(np.concatenate(picked))
    return x[index], y[index]


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"name={name!r} is not a known dataset; expected one of {DATASETS}.")


def _check_size(argument: str, size: int | None) -> None:
    if size is None:
        return
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"{argument} must be a positive integer or None, got {size!r}.")


def _cap(size, available, from_profile, split):
    if from_profile and (size is None or size > available):
        print(f"*** the stand-in has {available:,} {split} images; using all of them")
        return available
    return size


def _maybe_subset(x, y, size, seed, argument):
    if size is None or size == len(y):
        return x, y
    if size > len(y):
        raise ValueError(f"{argument}={size} is larger than the {len(y)} examples available.")
    return stratified_subset(x, y, size, seed)


def _keras_loader(name: str):
    import keras

    return getattr(keras.datasets, name).load_data


def _copy_debian_fashion_mnist() -> None:
    target = keras_cache_dir() / "fashion-mnist"
    target.mkdir(parents=True, exist_ok=True)
    for filename in _FASHION_FILES:
        if (DEBIAN_FASHION_MNIST / filename).exists() and not (target / filename).exists():
            shutil.copyfile(DEBIAN_FASHION_MNIST / filename, target / filename)


def _download(name: str):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return _keras_loader(name)()
    except Exception as error:  # noqa: BLE001 - any failure gets the same advice
        expected = "\n  ".join(str(p) for p in expected_files(name))
        debian = (
            "\n- on Debian/Ubuntu, `apt-get install dataset-fashion-mnist` gives the real files"
            if name == "fashion_mnist"
            else ""
        )
        raise DatasetUnavailableError(
            f"Could not load {name}: it is not cached and the download failed ({error}).\n"
            f"The real loader looks for:\n  {expected}\n"
            "To go on:\n"
            f"- connect to the internet once, or copy the files above from a machine that has them{debian}\n"
            f"- or use the announced offline stand-in: set {STANDIN_VARIABLE}=1, or "
            "CNN_PROFILE=smoke, or pass allow_standin=True."
        ) from error
    finally:
        socket.setdefaulttimeout(previous)


def _standin(name: str, train_size, test_size):
    real_train, real_test = _REAL_SIZES[name]
    if name == "mnist":
        train, test = standins.digits_like_mnist()
        source = (
            "stand-in for MNIST: scikit-learn's 1,797 real 8×8 handwritten digits, "
            "rescaled to 20×20 and centred in 28×28 like MNIST"
        )
        return train, test, source
    size, channels = (32, 3) if name == "cifar10" else (28, 1)
    x_train, y_train = standins.make_shapes(train_size or real_train, size, channels, seed=1)
    x_test, y_test = standins.make_shapes(test_size or real_test, size, channels, seed=2)
    if name == "cifar10":  # CIFAR-10's loader gives labels shaped (N, 1)
        y_train, y_test = y_train[:, None], y_test[:, None]
    source = (
        f"stand-in for {name}: generated shapes and textures, "
        f"{size}×{size}×{channels}, 10 classes of its own ({', '.join(standins.SHAPE_CLASS_NAMES)})"
    )
    return (x_train, y_train), (x_test, y_test), source


def sample_images(downscale: int = 4) -> dict[str, np.ndarray]:
    """Return real images that need no download, as float32 in [0, 1].

    ``"china"`` (a temple) and ``"flower"``: scikit-learn's two bundled photos,
    427×640, shrunk by averaging ``downscale``×``downscale`` blocks (the default
    gives 106×160) so that from-scratch code runs in a blink; grey, and in
    colour under ``"china_rgb"``/``"flower_rgb"``. ``"digit"``: a real
    handwritten 3 from scikit-learn's digits, placed in 28×28 like MNIST.
    """
    if isinstance(downscale, bool) or not isinstance(downscale, (int, np.integer)) or downscale < 1:
        raise ValueError(f"downscale must be a positive integer, got {downscale!r}.")
    from sklearn.datasets import load_sample_images

    bundle = load_sample_images()
    photos = {}
    for filename, image in zip(bundle.filenames, bundle.images):
        name = Path(filename).stem
        h, w = (image.shape[0] // downscale) * downscale, (image.shape[1] // downscale) * downscale
        small = image[:h, :w].reshape(h // downscale, downscale, w // downscale, downscale, 3)
        rgb = small.mean(axis=(1, 3)).astype(np.float32) / 255.0
        photos[name] = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # luma
        photos[f"{name}_rgb"] = rgb
    (digits, labels), _ = standins.digits_like_mnist()
    photos["digit"] = digits[np.flatnonzero(labels == 3)[0]].astype(np.float32) / 255.0
    return photos
