"""MNIST, Fashion-MNIST and CIFAR-10 through ``keras.datasets``, offline-aware, from one registry.

Everything the series knows about a dataset is one :class:`DatasetInfo` record
in :data:`REGISTRY`: class names, real sizes, sizes per profile, cache files,
shapes and its stand-in. Adding a dataset means adding one record.

Where the data comes from, in order:

1. the Keras cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``) – the
   real loader runs and finds its files;
2. Fashion-MNIST only: Debian's ``dataset-fashion-mnist`` package, copied into
   the Keras cache so the real loader reads it;
3. when the profile allows it (``smoke``, or an explicit opt-in): an announced
   stand-in (see :mod:`helpers.standins`), never a download – printed, and
   raised as a :class:`StandInWarning` so that it shows in logs too;
4. otherwise a download through the real loader; if it fails,
   :class:`DatasetUnavailableError` says what failed, where the files are
   expected and how to run offline.

Cached files are checked before Keras sees them (:func:`check_cache`): Keras
deletes a file whose hash it does not recognise and downloads it again, so a
damaged file is refused here instead, named, and left for the user to delete
(or replaced by the stand-in, announced, where the profile allows one).

Every loader call runs under :func:`helpers.network.download_limits`: whatever
the network does, a download gets no more than ``DOWNLOAD_TIMEOUT_S`` to its
first byte (name lookup included), stops when slower than 20 kB/s over 20 s,
and ends within ``DOWNLOAD_DEADLINE_S``, with a message saying how far it got
and where to download the file by hand. When the Keras cache cannot be written
(a read-only home, a shared lab image), Debian's Fashion-MNIST is read in place.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import warnings
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import checks, network, standins
from .runtime import PROFILE_NAMES, STANDIN_VARIABLE, Profile

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
DOWNLOAD_TIMEOUT_S = 8  # to the first byte, name lookup included: a dead or silent host fails within 10 s
DOWNLOAD_DEADLINE_S = 600  # each file, however slowly it arrives: 10 minutes (CIFAR-10 needs ~290 kB/s)


class DatasetUnavailableError(RuntimeError):
    """The real dataset is not usable: not cached, damaged, not downloadable, and no stand-in allowed."""


class StandInWarning(UserWarning):
    """A dataset was replaced by its offline stand-in (also printed, so it shows in logs and notebooks)."""


@dataclass(frozen=True)
class DatasetInfo:
    """Everything the series knows about one dataset.

    ``profile_sizes`` maps a profile name to its (train, test) sizes, ``None``
    meaning the whole split; ``cache_files`` are relative to the Keras cache
    folder; ``make_standin(train_size, test_size)`` returns
    ``(x_train, y_train, x_test, y_test, class_names, description)``.
    ``debian_folder``: where a Debian package installs the same files (gzipped
    IDX, in ``cache_files`` order: train labels, train images, test labels,
    test images), copied into the cache or read in place.
    """

    name: str
    title: str
    class_names: tuple[str, ...]
    image_shape: tuple[int, ...]
    label_shape: tuple[int, ...]
    real_sizes: tuple[int, int]
    profile_sizes: Mapping[str, tuple[int | None, int | None]]
    cache_files: tuple[str, ...]
    download: str
    make_standin: Callable[[int | None, int | None], tuple]
    debian_folder: Path | None = None
    cache_sha256: Mapping[str, str] | None = None

    def sizes(self, profile: Profile) -> tuple[int | None, int | None]:
        """(train, test) sizes that ``profile`` uses for this dataset."""
        return self.profile_sizes[profile.name]


def _shapes_standin(name: str, image_size: int, channels: int, label_shape: tuple[int, ...],
                    real_sizes: tuple[int, int]):
    def make(train_size: int | None, test_size: int | None) -> tuple:
        train_size, test_size = train_size or real_sizes[0], test_size or real_sizes[1]
        x_train, y_train = standins.make_shapes(train_size, image_size, channels, seed=1)
        x_test, y_test = standins.make_shapes(test_size, image_size, channels, seed=2)
        y_train, y_test = y_train.reshape(-1, *label_shape), y_test.reshape(-1, *label_shape)
        description = (f"stand-in for {name}: generated shapes and textures, "
                       f"{image_size}×{image_size}×{channels}, 10 classes of its own "
                       f"({', '.join(standins.SHAPE_CLASS_NAMES)})")
        return x_train, y_train, x_test, y_test, standins.SHAPE_CLASS_NAMES, description
    return make


def _digits_standin(train_size: int | None, test_size: int | None) -> tuple:
    (x_train, y_train), (x_test, y_test) = standins.digits_like_mnist()
    description = ("stand-in for MNIST: scikit-learn's 1,797 real 8×8 handwritten digits, "
                   "rescaled to 20×20 and centred in 28×28 like MNIST")
    return x_train, y_train, x_test, y_test, standins.DIGIT_CLASS_NAMES, description


REGISTRY: dict[str, DatasetInfo] = {
    info.name: info for info in (
        DatasetInfo(
            name="mnist", title="MNIST", class_names=standins.DIGIT_CLASS_NAMES,
            image_shape=(28, 28), label_shape=(), real_sizes=(60_000, 10_000),
            profile_sizes={"full": (None, None), "quick": (12_000, 2_000), "smoke": (1_000, 300)},
            cache_files=("mnist.npz",), download="11 MB",
            make_standin=_digits_standin,
            # The hash keras.datasets.mnist checks (a mismatch makes Keras delete and re-download).
            cache_sha256={"mnist.npz":
                          "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"},
        ),
        DatasetInfo(
            name="fashion_mnist", title="Fashion-MNIST",
            class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            image_shape=(28, 28), label_shape=(), real_sizes=(60_000, 10_000),
            profile_sizes={"full": (None, None), "quick": (12_000, 2_000), "smoke": (1_000, 300)},
            cache_files=tuple(f"fashion-mnist/{f}" for f in (
                "train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")),
            download="30 MB",
            make_standin=_shapes_standin("fashion_mnist", 28, 1, (), (60_000, 10_000)),
            debian_folder=DEBIAN_FASHION_MNIST,
        ),
        DatasetInfo(
            name="cifar10", title="CIFAR-10",
            class_names=("airplane", "automobile", "bird", "cat", "deer",
                         "dog", "frog", "horse", "ship", "truck"),
            image_shape=(32, 32, 3), label_shape=(1,), real_sizes=(50_000, 10_000),
            profile_sizes={"full": (None, None), "quick": (3_000, 2_000), "smoke": (1_000, 300)},
            cache_files=("cifar-10-batches-py-target_archive",), download="170.5 MB (163 MiB)",
            make_standin=_shapes_standin("cifar10", 32, 3, (1,), (50_000, 10_000)),
            cache_sha256={"cifar-10-batches-py-target_archive":
                          "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"},
        ),
    )
}
DATASETS = tuple(REGISTRY)
assert all(set(info.profile_sizes) == set(PROFILE_NAMES) for info in REGISTRY.values())


def dataset_info(name: str) -> DatasetInfo:
    """Return the registry record of dataset ``name`` (``"mnist"``, ``"fashion_mnist"``, ``"cifar10"``)."""
    checks.text(name, "name")
    return REGISTRY[checks.one_of(name, "name", DATASETS)]


@dataclass(frozen=True)
class Dataset:
    """Train/validation/test splits with the real loader's shapes and dtypes, and provenance.

    ``x_val``/``y_val`` are ``None`` unless a validation split was asked for;
    it is carved from the training images, which then no longer contain it.
    ``seed``: the seed the subsets and the split were drawn with (the same seed,
    profile and sizes give the same images), ``None`` when not known.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    is_standin: bool
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    seed: int | None = None

    def summary(self) -> str:
        """One line per split with shape and dtype, then where the data came from."""
        splits = [("train", self.x_train, self.y_train), ("val", self.x_val, self.y_val),
                  ("test", self.x_test, self.y_test)]
        return "\n".join(
            [f"{self.name}: {len(self.class_names)} classes"
             + (" (STAND-IN, not the real dataset)" if self.is_standin else "")]
            + [f"  x_{split:<5} {str(x.shape):<18} {x.dtype}   y_{split:<5} {str(y.shape):<10} {y.dtype}"
               for split, x, y in splits if x is not None]
            + [f"  source: {self.source}"]
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
    cache = keras_cache_dir()
    return [cache / relative for relative in dataset_info(name).cache_files]


def is_cached(name: str) -> bool:
    """True when every file the real loader needs is already in the Keras cache."""
    return all(path.exists() for path in expected_files(name))


def load_dataset(
    name: str,
    profile: Profile,
    train_size: int | None | str = "profile",
    test_size: int | None | str = "profile",
    validation_size: int | float = 0,
    seed: int = 0,
) -> Dataset:
    """Load ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"`` as a :class:`Dataset`.

    Arrays have the real loader's shapes and dtypes: uint8 images (N, 28, 28)
    or (N, 32, 32, 3), uint8 labels (N,) or, for CIFAR-10, (N, 1).
    ``train_size``/``test_size``: ``"profile"`` (default) takes ``profile``'s
    size for this dataset, ``None`` the whole split, an int a seeded
    class-stratified subset of that many images. ``validation_size``: how many
    of those training images (an int, or a fraction in (0, 1)) to hold out as
    a seeded, class-stratified validation split; 0 for none.

    Raises:
        ValueError / TypeError: a bad argument, named in the message.
        DatasetUnavailableError: no cached data, no download, no stand-in allowed.
    """
    info = dataset_info(name)
    if not isinstance(profile, Profile):
        raise TypeError(f"profile must be a helpers.Profile (from helpers.resolve_profile), got "
                        f"{checks.describe(profile)}.")
    seed = checks.integer(seed, "seed", minimum=0)
    profile_train, profile_test = info.sizes(profile)
    train_from_profile, test_from_profile = train_size == "profile", test_size == "profile"
    train_size = _size("train_size", profile_train if train_from_profile else train_size,
                       info.real_sizes[0])
    test_size = _size("test_size", profile_test if test_from_profile else test_size,
                      info.real_sizes[1])
    _check_validation_size(validation_size)

    source_note, read_only = "", None
    if not is_cached(name) and info.debian_folder is not None and info.debian_folder.is_dir():
        try:
            _copy_from_debian(info)
            source_note = f" (copied from Debian's dataset-fashion-mnist, {info.debian_folder})"
        except OSError as error:  # a read-only or full cache: Debian's files are read where they are
            read_only = error

    # Checked before Keras sees them: Keras deletes a file whose hash it does not recognise.
    damage = _damaged_cache_file(info)
    if read_only is not None and not is_cached(name) and _debian_problem(info) is None:
        (x_train, y_train), (x_test, y_test) = _read_idx_files(
            [info.debian_folder / Path(relative).name for relative in info.cache_files])
        source = (f"Debian's dataset-fashion-mnist read in place from {info.debian_folder} (the Keras "
                  f"cache {keras_cache_dir()} cannot be written: {read_only.strerror or read_only})")
        class_names, is_standin = info.class_names, False
    elif is_cached(name) and damage is None:
        (x_train, y_train), (x_test, y_test) = _load_cached(info)
        source = f"keras.datasets.{name} from the cache {keras_cache_dir()}{source_note}"
        class_names, is_standin = info.class_names, False
    elif profile.allow_standin:
        x_train, y_train, x_test, y_test, class_names, source = info.make_standin(train_size, test_size)
        is_standin = True
        if damage is not None:
            why = f"has a damaged cache file, {damage[0]} ({damage[1]}; left as it is)"
        elif read_only is not None:
            why = (f"cannot be copied into {keras_cache_dir()} ({read_only.strerror or read_only}) and "
                   "Debian's files cannot be read in place ({} {})".format(*_debian_problem(info)))
        else:
            why = f"is not in {keras_cache_dir()}"
        _announce_standin(f"*** STAND-IN DATA *** {name} {why}; no download tried.\n*** {source}")
    elif damage is not None:
        raise DatasetUnavailableError(_damaged_message(info, *damage))
    elif read_only is not None:
        raise DatasetUnavailableError(_read_only_message(info, read_only))
    else:
        (x_train, y_train), (x_test, y_test) = _download(info)
        source = f"keras.datasets.{name}, downloaded to {keras_cache_dir()}"
        class_names, is_standin = info.class_names, False

    if is_standin:  # sizes the profile chose (not the caller) are capped at what the stand-in has
        train_size = _cap(train_size, len(y_train), train_from_profile, "training")
        test_size = _cap(test_size, len(y_test), test_from_profile, "test")
    x_train, y_train = _maybe_subset(x_train, y_train, train_size, seed, "train_size")
    x_test, y_test = _maybe_subset(x_test, y_test, test_size, seed + 1, "test_size")
    x_val = y_val = None
    if validation_size:
        x_train, y_train, x_val, y_val = validation_split(x_train, y_train, validation_size, seed + 2)
    return Dataset(name, x_train, y_train, x_test, y_test, tuple(class_names), source, is_standin,
                   x_val, y_val, seed)


def stratified_indices(y: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``size`` examples keeping the class proportions of labels ``y``.

    Each class gets its proportional share (largest remainders break ties);
    the pick is seeded, so the same seed gives the same subset.
    """
    flat = checks.labels(y, "y")
    size = checks.positive_int(size, "size", maximum=len(flat))
    seed = checks.integer(seed, "seed", minimum=0)
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
    return np.sort(np.concatenate(picked))


def stratified_subset(
    x: np.ndarray, y: np.ndarray, size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``size`` examples of ``(x, y)`` keeping the class proportions of ``y``.

    Seeded (the same seed gives the same subset); examples keep their original
    order. ``y`` holds class indices shaped (N,) or (N, 1).
    """
    x = checks.array(x, "x")
    checks.labels(y, "y")
    checks.same_length(x, "x", y, "y")
    index = stratified_indices(y, size, seed)
    return x[index], np.asarray(y)[index]


def validation_split(x: np.ndarray, y: np.ndarray, size: int | float, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split ``(x, y)`` into ``(x_train, y_train, x_val, y_val)``, class-stratified and seeded.

    ``size``: how many examples to hold out (an int), or which fraction (a
    float in (0, 1)). Both parts keep the original order.
    """
    x = checks.array(x, "x")
    checks.labels(y, "y")
    checks.same_length(x, "x", y, "y")
    _check_validation_size(size)
    count = size if isinstance(size, (int, np.integer)) else int(round(size * len(x)))
    if not 1 <= count < len(x):
        raise ValueError(f"validation_size must leave examples on both sides: {size!r} of "
                         f"{len(x):,} gives {count:,} validation examples.")
    held_out = stratified_indices(y, count, seed)
    keep = np.ones(len(x), dtype=bool)
    keep[held_out] = False
    y = np.asarray(y)
    return x[keep], y[keep], x[held_out], y[held_out]


def image_batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = False,
                  seed: int = 0):
    """A ``tf.data`` pipeline of (float32 images in [0, 1], labels) batches from uint8 images.

    The images stay uint8 in memory (a quarter of float32's size) and each batch
    is converted on the fly while the previous one trains (prefetch). With
    ``shuffle`` the order changes every epoch, seeded.
    """
    import tensorflow as tf

    x = checks.images(x, "x", scale="uint8")
    checks.labels(y, "y")
    checks.same_length(x, "x", y, "y")
    batch_size = checks.positive_int(batch_size, "batch_size")
    shuffle = checks.boolean(shuffle, "shuffle")
    seed = checks.integer(seed, "seed", minimum=0)
    batches = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        batches = batches.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return (batches.batch(batch_size)
            .map(lambda images, labels: (tf.cast(images, tf.float32) / 255.0, labels),
                 num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def _check_validation_size(size) -> None:
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise TypeError(f"validation_size must be an int (a count) or a float in (0, 1) (a "
                        f"fraction), got {checks.describe(size)}.")
    if isinstance(size, (int, np.integer)):
        checks.integer(size, "validation_size", minimum=0)
    else:
        checks.number(size, "validation_size", 0, 1, low_open=True, high_open=True)


def _size(argument: str, size, real: int) -> int | None:
    if size is None:
        return None
    return checks.positive_int(size, argument, maximum=real)


def _cap(size, available, from_profile, split):
    if from_profile and (size is None or size > available):
        print(f"*** the stand-in has {available:,} {split} images; using all of them")
        return available
    return size


def _maybe_subset(x, y, size, seed, argument):
    if size is None or size == len(y):
        return x, y
    if size > len(y):
        raise ValueError(f"{argument}={size:,} is larger than the {len(y):,} examples available.")
    return stratified_subset(x, y, size, seed)


def _keras_loader(name: str):
    import keras

    return getattr(keras.datasets, name).load_data


def _copy_from_debian(info: DatasetInfo) -> None:
    for relative in info.cache_files:
        target = keras_cache_dir() / relative
        origin = info.debian_folder / Path(relative).name
        if origin.exists() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Copied beside the target and renamed: an interrupted copy leaves no truncated file.
            handle, partial = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
            os.close(handle)
            try:
                shutil.copyfile(origin, partial)
                os.replace(partial, target)
            finally:
                if os.path.exists(partial):
                    os.remove(partial)


def _download_limits():
    """The limits every loader call runs under (read at call time, so tests can shorten them)."""
    return network.download_limits(DOWNLOAD_TIMEOUT_S, DOWNLOAD_DEADLINE_S)


def _debian_problem(info: DatasetInfo) -> tuple[Path, str] | None:
    """The first of Debian's files for ``info`` that is missing or damaged, with what is wrong."""
    for relative in info.cache_files:
        path = info.debian_folder / Path(relative).name
        if not path.is_file():
            problem = "is missing"
        elif path.stat().st_size == 0:
            problem = "is empty"
        else:
            problem = _idx_problem(path)
        if problem is not None:
            return path, problem
    return None


def _read_idx_files(paths: list[Path]):
    """((x_train, y_train), (x_test, y_test)) from gzipped IDX files, as keras.datasets reads them."""
    arrays = []
    for path in paths:
        with gzip.open(path, "rb") as file:
            content = file.read()
        if int.from_bytes(content[:4], "big") == 2049:  # labels
            arrays.append(np.frombuffer(content, np.uint8, offset=8))
        else:  # images: count, rows, columns, then pixels
            rows, columns = int.from_bytes(content[8:12], "big"), int.from_bytes(content[12:16], "big")
            arrays.append(np.frombuffer(content, np.uint8, offset=16).reshape(-1, rows, columns))
    y_train, x_train, y_test, x_test = arrays
    return (x_train, y_train), (x_test, y_test)


def _read_only_message(info: DatasetInfo, error: OSError) -> str:
    problem = _debian_problem(info)
    return (f"Could not load {info.name}: the Keras cache {keras_cache_dir()} cannot be written "
            f"({error.strerror or error}), so Debian's files could not be copied there, and reading "
            f"them in place failed too: {problem[0]} {problem[1]}.\n"
            "To go on:\n"
            "- reinstall them (apt-get install --reinstall dataset-fashion-mnist), or point Keras at a "
            "writable folder: set KERAS_HOME=/some/writable/folder before starting Jupyter\n"
            + _standin_advice())


def _standin_advice() -> str:
    return ("- or use the announced offline stand-in: PROFILE = 'smoke' in the parameters cell, "
            f"or set {STANDIN_VARIABLE}=1 before starting Jupyter, or "
            "helpers.resolve_profile(PROFILE, allow_standin=True).")


def _announce_standin(message: str) -> None:
    print(message)
    warnings.warn(StandInWarning(message), stacklevel=3)  # points at the load_dataset call


def check_cache(name: str) -> None:
    """Raise :class:`DatasetUnavailableError` if a file of dataset ``name`` in the Keras cache is damaged.

    Absent files are not checked (a download fills them in). Files whose hash
    Keras checks (MNIST, CIFAR-10) must match it – Keras would otherwise delete
    them and download again without asking; Fashion-MNIST's files, which Keras
    reads unchecked, must be complete gzipped IDX files. Nothing is modified.
    """
    info = dataset_info(name)
    damage = _damaged_cache_file(info)
    if damage is not None:
        raise DatasetUnavailableError(_damaged_message(info, *damage))


_VERIFIED: set[tuple[str, int, int]] = set()  # (path, size, mtime) already checked in this process


def _damaged_cache_file(info: DatasetInfo) -> tuple[Path, str] | None:
    """The first cached file of ``info`` that is damaged, with what is wrong with it."""
    for relative, path in zip(info.cache_files, expected_files(info.name)):
        if not path.exists():
            continue
        if not path.is_file():
            return path, "is not a file"
        status = path.stat()
        key = (str(path), status.st_size, status.st_mtime_ns)
        if key in _VERIFIED:
            continue
        expected_hash = (info.cache_sha256 or {}).get(relative)
        if status.st_size == 0:
            problem = "is empty"
        elif expected_hash is not None:
            problem = _hash_problem(path, expected_hash, status.st_size)
        elif path.name.endswith(".gz"):
            problem = _idx_problem(path)
        else:
            problem = None
        if problem is not None:
            return path, problem
        _VERIFIED.add(key)
    return None


def _hash_problem(path: Path, expected: str, size: int) -> str | None:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() == expected:
        return None
    return (f"is incomplete or damaged: its {size:,} bytes do not have the SHA-256 of the real "
            "file that keras.datasets checks")


def _idx_problem(path: Path) -> str | None:
    """What is wrong with a gzipped IDX file (MNIST's format), or None."""
    try:
        with gzip.open(path, "rb") as file:
            content = file.read()
    except (OSError, EOFError, zlib.error) as error:  # BadGzipFile is an OSError
        return f"cannot be decompressed ({type(error).__name__}: {error})"
    if len(content) < 8:
        return f"is too short to be an IDX file ({len(content)} bytes decompressed)"
    magic, count = int.from_bytes(content[:4], "big"), int.from_bytes(content[4:8], "big")
    if magic == 2049:  # labels: header, then one byte per label
        needed = 8 + count
    elif magic == 2051 and len(content) >= 16:  # images: header with rows and columns, then pixels
        needed = 16 + count * int.from_bytes(content[8:12], "big") * int.from_bytes(content[12:16], "big")
    else:
        return f"is not an IDX file of labels or images (magic number {magic})"
    if len(content) != needed:
        return (f"is truncated or damaged: its header announces {needed:,} bytes, it holds "
                f"{len(content):,} once decompressed")
    return None


def _damaged_message(info: DatasetInfo, path: Path, problem: str) -> str:
    again = f"downloaded again ({info.download})"
    if info.debian_folder is not None and info.debian_folder.is_dir():
        again = f"copied again from {info.debian_folder}"
    return (f"Could not load {info.name}: the cache file {path} {problem}. It was left as it is "
            "(keras.datasets would delete it and download it again without asking).\n"
            "To go on:\n"
            f"- delete it (rm '{path}') and run again: it will be {again}\n"
            + _standin_advice())


def _load_cached(info: DatasetInfo):
    try:
        with _download_limits():
            return _keras_loader(info.name)()
    except Exception as error:  # noqa: BLE001 - an unreadable cache gets one message
        raise DatasetUnavailableError(
            f"Could not load {info.name}: keras.datasets.{info.name} failed on the files in "
            f"{keras_cache_dir()} ({type(error).__name__}: {error}).\n"
            "To go on:\n"
            f"- delete the files (rm {' '.join(repr(str(p)) for p in expected_files(info.name))}, and "
            f"what Keras extracted beside them) and run again to download them ({info.download})\n"
            + _standin_advice()
        ) from error


def _download(info: DatasetInfo):
    try:
        with _download_limits():
            return _keras_loader(info.name)()
    except Exception as error:  # noqa: BLE001 - any failure gets the same advice
        expected = "\n  ".join(str(p) for p in expected_files(info.name))
        debian = (f"\n- on Debian/Ubuntu, `apt-get install dataset-{info.name.replace('_', '-')}` "
                  "gives the real files" if info.debian_folder is not None else "")
        if isinstance(error, network.DownloadTimeout):
            reason = str(error)
        elif isinstance(error, TimeoutError):
            reason = f"no answer within {DOWNLOAD_TIMEOUT_S:g} s"
        else:
            reason = f"{type(error).__name__}: {error}"
        raise DatasetUnavailableError(
            f"Could not load {info.name}: it is not cached and the download ({info.download}) "
            f"failed ({reason}).\n"
            f"The real loader looks for:\n  {expected}\n"
            "To go on:\n"
            f"- connect to the internet once, or copy the files above from a machine that has them{debian}\n"
            + network.by_hand(error)
            + _standin_advice()
        ) from error


def sample_images(downscale: int = 4) -> dict[str, np.ndarray]:
    """Return real images that need no download, as float32 in [0, 1].

    ``"china"`` (a temple) and ``"flower"``: scikit-learn's two bundled photos,
    427×640, shrunk by averaging ``downscale``×``downscale`` blocks (the default
    gives 106×160) so that from-scratch code runs in a blink; grey, and in
    colour under ``"china_rgb"``/``"flower_rgb"``. ``"digit"``: a real
    handwritten 3 from scikit-learn's digits, placed in 28×28 like MNIST.
    ``downscale`` runs from 1 to 32 (13×20 pixels).
    """
    downscale = checks.positive_int(downscale, "downscale", maximum=32)
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
