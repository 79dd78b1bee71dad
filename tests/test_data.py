import dataclasses
import hashlib
import socket
import time
from pathlib import Path

import numpy as np
import pytest

import helpers
from helpers import data, standins

EXPECTED = {  # what keras.datasets.<name>.load_data() gives
    "mnist": ((28, 28), ()),
    "fashion_mnist": ((28, 28), ()),
    "cifar10": ((32, 32, 3), (1,)),
}


@pytest.fixture
def empty_keras_home(monkeypatch, tmp_path):
    """A Keras home with nothing cached, and no Debian copy to fall back on."""
    use_keras_home(monkeypatch, tmp_path)
    without_debian = dataclasses.replace(data.REGISTRY["fashion_mnist"],
                                         debian_folder=tmp_path / "no-debian-package")
    monkeypatch.setitem(data.REGISTRY, "fashion_mnist", without_debian)
    return tmp_path


def use_keras_home(monkeypatch, folder):
    # Keras reads $KERAS_HOME once at import, so its module value is patched too.
    import keras.src.backend.config as keras_config

    monkeypatch.setenv("KERAS_HOME", str(folder))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(folder))


def test_keras_cache_dir_is_where_keras_looks(monkeypatch, tmp_path):
    use_keras_home(monkeypatch, tmp_path)
    assert helpers.keras_cache_dir() == tmp_path / "datasets"
    monkeypatch.setattr(data.os, "access", lambda path, mode: False)  # read-only home
    assert helpers.keras_cache_dir() == Path("/tmp/.keras/datasets")


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach the network fails at once, as it does on an offline machine."""
    def refuse(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known (network disabled by the test)")
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("name", helpers.DATASETS)
def test_standins_have_the_real_loaders_shapes_and_dtypes(name, empty_keras_home, capsys, make_profile):
    ds = helpers.load_dataset(name, make_profile("full", allow_standin=True), train_size=200, test_size=50)
    image_shape, label_tail = EXPECTED[name]
    assert ds.x_train.shape == (200, *image_shape) and ds.x_test.shape == (50, *image_shape)
    assert ds.y_train.shape == (200, *label_tail) and ds.y_test.shape == (50, *label_tail)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.uint8
    assert ds.x_train.max() > 200 and ds.x_train.min() < 30  # uses the 0–255 range
    assert set(np.unique(ds.y_train)) == set(range(10))
    assert len(ds.class_names) == 10 and ds.is_standin
    assert "STAND-IN" in capsys.readouterr().out and "STAND-IN" in ds.summary()


def test_cifar_standin_names_its_own_classes(empty_keras_home, smoke):
    ds = helpers.load_dataset("cifar10", smoke, train_size=100, test_size=20)
    assert ds.class_names == standins.SHAPE_CLASS_NAMES
    assert "airplane" not in ds.class_names


def test_smoke_profile_uses_standins_without_touching_the_network(empty_keras_home, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the smoke profile must never try to download")
    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    monkeypatch.delenv("CNN_ALLOW_STANDIN", raising=False)
    ds = helpers.load_dataset("mnist", helpers.resolve_profile("smoke"))
    assert ds.is_standin and ds.x_train.shape == (1000, 28, 28) and ds.x_test.shape == (300, 28, 28)


def test_standin_opt_in_by_environment_variable(empty_keras_home, monkeypatch, no_network):
    monkeypatch.setenv("CNN_ALLOW_STANDIN", "1")
    profile = helpers.resolve_profile("full")
    assert profile.allow_standin
    assert helpers.load_dataset("cifar10", profile, train_size=100, test_size=20).is_standin


def test_missing_dataset_fails_fast_with_advice(empty_keras_home, no_network, make_profile):
    start = time.perf_counter()
    with pytest.raises(helpers.DatasetUnavailableError) as caught:
        helpers.load_dataset("cifar10", make_profile("full"))
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert "Could not load cifar10" in message
    assert str(empty_keras_home / "datasets" / "cifar-10-batches-py-target_archive") in message
    assert "CNN_ALLOW_STANDIN=1" in message and "allow_standin=True" in message
    assert "PROFILE = 'smoke'" in message and "170.5 MB" in message


def test_fashion_mnist_error_mentions_the_debian_package(empty_keras_home, no_network, make_profile):
    with pytest.raises(helpers.DatasetUnavailableError, match="apt-get install dataset-fashion-mnist"):
        helpers.load_dataset("fashion_mnist", make_profile("quick"))


def test_cached_data_wins_over_the_standin(empty_keras_home, monkeypatch, no_network, smoke):
    # A tiny file in mnist.npz's format where keras.datasets.mnist looks for it. Its hash
    # is not the real one (Keras would re-download), so the registry is given its hash and
    # the loader is pointed at it; the real loader's code path is covered by the
    # Fashion-MNIST tests below.
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
              "y_train": np.repeat(np.arange(10, dtype=np.uint8), 4),
              "x_test": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
              "y_test": np.repeat(np.arange(10, dtype=np.uint8), 2)}
    cache = empty_keras_home / "datasets"
    cache.mkdir()
    np.savez(cache / "mnist.npz", **arrays)
    assert helpers.is_cached("mnist")
    fake_hash = hashlib.sha256((cache / "mnist.npz").read_bytes()).hexdigest()
    monkeypatch.setitem(data.REGISTRY, "mnist", dataclasses.replace(
        data.REGISTRY["mnist"], cache_sha256={"mnist.npz": fake_hash}))

    def load_cached():
        with np.load(cache / "mnist.npz", allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    monkeypatch.setattr(data, "_keras_loader", lambda name: load_cached)
    ds = helpers.load_dataset("mnist", smoke, train_size=None, test_size=None)
    assert not ds.is_standin and "from the cache" in ds.source
    np.testing.assert_array_equal(ds.x_train, arrays["x_train"])
    assert ds.class_names == tuple("0123456789")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"name": "svhn"}, ValueError, r"name must be one of 'mnist', 'fashion_mnist', 'cifar10'; got str 'svhn'"),
    ({"name": "mnist", "train_size": 0}, ValueError, "train_size must be at least 1"),
    ({"name": "mnist", "test_size": -5}, ValueError, "test_size must be at least 1"),
    ({"name": "mnist", "train_size": 2.5}, TypeError, "train_size must be an integer"),
    ({"name": "mnist", "train_size": 10**6}, ValueError, "train_size must be at most 60,000"),
    ({"name": "mnist", "validation_size": 1.5}, ValueError, r"validation_size must lie in \(0, 1\)"),
    ({"name": "mnist", "validation_size": "10%"}, TypeError, "validation_size must be an int"),
])
def test_bad_arguments_name_the_argument(kwargs, error, message, empty_keras_home, smoke):
    with pytest.raises(error, match=message):
        helpers.load_dataset(profile=smoke, **kwargs)


def test_profile_must_be_a_profile_object(empty_keras_home):
    with pytest.raises(TypeError, match=r"profile must be a helpers.Profile \(from helpers.resolve_profile\)"):
        helpers.load_dataset("mnist", "smoke")


def test_stratified_subset_keeps_class_proportions():
    y = np.repeat(np.arange(4), [400, 300, 200, 100])  # 40%, 30%, 20%, 10%
    x = np.arange(len(y))
    xs, ys = helpers.stratified_subset(x, y, 101, seed=3)
    counts = np.bincount(ys, minlength=4)
    assert counts.sum() == 101
    assert np.all(np.abs(counts - np.array([40.4, 30.3, 20.2, 10.1])) < 1)
    assert np.array_equal(y[xs], ys)  # x and y stay paired
    assert np.all(np.diff(xs) > 0)  # original order, no repeats


def test_stratified_subset_is_seeded():
    y = np.arange(1000) % 10
    x = np.arange(1000)
    first = helpers.stratified_subset(x, y, 50, seed=1)[0]
    assert np.array_equal(first, helpers.stratified_subset(x, y, 50, seed=1)[0])
    assert not np.array_equal(first, helpers.stratified_subset(x, y, 50, seed=2)[0])


def test_stratified_subset_accepts_cifar_shaped_labels():
    y = (np.arange(100) % 10)[:, None].astype(np.uint8)
    xs, ys = helpers.stratified_subset(np.zeros((100, 2)), y, 30)
    assert ys.shape == (30, 1) and np.all(np.bincount(ys[:, 0]) == 3)


@pytest.mark.parametrize("x_len, size, message", [
    (99, 10, "x and y must have the same length"),
    (100, 0, "size must be at least 1"),
    (100, 101, "size must be at most 100"),
])
def test_stratified_subset_rejects_bad_input(x_len, size, message):
    with pytest.raises(ValueError, match=message):
        helpers.stratified_subset(np.zeros(x_len), np.arange(100) % 10, size)


def test_same_seed_gives_the_same_dataset_subset_and_another_seed_another(empty_keras_home, smoke):
    a = helpers.load_dataset("mnist", smoke, train_size=300, test_size=100, seed=5)
    b = helpers.load_dataset("mnist", smoke, train_size=300, test_size=100, seed=5)
    c = helpers.load_dataset("mnist", smoke, train_size=300, test_size=100, seed=6)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.x_test, c.x_test)


def test_make_shapes_is_balanced_and_seeded():
    x1, y1 = standins.make_shapes(100, seed=4)
    x2, y2 = standins.make_shapes(100, seed=4)
    np.testing.assert_array_equal(x1, x2)
    assert np.all(np.bincount(y1) == 10)
    gray, _ = standins.make_shapes(20, image_size=28, channels=1)
    assert gray.shape == (20, 28, 28)


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 0}, "n must be at least 1"),
    ({"n": 10**16}, "n must be at most 60,000"),
    ({"n": 10, "channels": 2}, "channels must be one of 1, 3"),
    ({"n": 10, "image_size": 8}, "image_size must be at least 16"),
])
def test_make_shapes_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        standins.make_shapes(**kwargs)


def test_debian_fashion_mnist_is_copied_into_the_keras_cache(monkeypatch, tmp_path, make_profile):
    if not data.DEBIAN_FASHION_MNIST.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
    use_keras_home(monkeypatch, tmp_path)
    ds = helpers.load_dataset("fashion_mnist", make_profile("quick"), train_size=500, test_size=100)
    assert not ds.is_standin and "Debian" in ds.source
    assert all(p.exists() for p in helpers.expected_files("fashion_mnist"))
    assert ds.class_names[0] == "T-shirt/top"


def test_real_fashion_mnist_full_split(make_profile):
    """Real data through keras.datasets' own code path (the Keras home of the test run)."""
    if not (data.DEBIAN_FASHION_MNIST.is_dir() or helpers.is_cached("fashion_mnist")):
        pytest.skip("real Fashion-MNIST absent: apt-get install dataset-fashion-mnist")
    ds = helpers.load_dataset("fashion_mnist", make_profile("full"))
    assert ds.x_train.shape == (60_000, 28, 28) and ds.x_test.shape == (10_000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.uint8
    assert np.all(np.bincount(ds.y_train) == 6_000)  # Fashion-MNIST is exactly balanced
    assert 60 < ds.x_train.mean() < 80  # the known mean pixel value is about 72.9


def test_sample_images_need_no_download():
    images = helpers.sample_images(downscale=4)
    assert images["china"].shape == (106, 160) and images["china_rgb"].shape == (106, 160, 3)
    assert images["digit"].shape == (28, 28) and images["digit"][:4].max() == 0  # MNIST-like border
    assert all(v.dtype == np.float32 and 0 <= v.min() and v.max() <= 1 for v in images.values())
    grey = images["flower_rgb"] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    np.testing.assert_allclose(images["flower"], grey, atol=1e-6)
    with pytest.raises(ValueError, match="downscale must be at least 1"):
        helpers.sample_images(downscale=0)
    with pytest.raises(ValueError, match="downscale must be at most 32"):
        helpers.sample_images(downscale=10**6)


def test_standin_caps_profile_sizes_but_not_explicit_ones(empty_keras_home, capsys, make_profile):
    quick = make_profile("quick", allow_standin=True)  # asks for 12,000 MNIST training images
    ds = helpers.load_dataset("mnist", quick)
    assert len(ds.x_train) < 12_000 and "using all of them" in capsys.readouterr().out
    with pytest.raises(ValueError, match="train_size=12,000 is larger than the"):
        helpers.load_dataset("mnist", quick, train_size=12_000)


def test_profile_sizes_come_from_the_registry(empty_keras_home, make_profile):
    for name in ("smoke", "quick"):
        profile = make_profile(name, allow_standin=True)
        ds = helpers.load_dataset("cifar10", profile)
        assert (len(ds.x_train), len(ds.x_test)) == helpers.dataset_info("cifar10").sizes(profile)
    assert helpers.dataset_info("cifar10").sizes(make_profile("full")) == (None, None)


def test_every_registry_record_is_complete():
    for name, info in helpers.REGISTRY.items():
        assert info.name == name and len(info.class_names) == 10
        assert set(info.profile_sizes) == set(helpers.PROFILE_NAMES)
        assert all(size is None or size <= real for sizes in info.profile_sizes.values()
                   for size, real in zip(sizes, info.real_sizes))
        x_train, y_train, x_test, y_test, names, description = info.make_standin(40, 20)
        assert x_train.shape[1:] == info.image_shape and y_train.shape[1:] == info.label_shape
        assert x_train.dtype == np.uint8 and len(names) == 10 and "stand-in" in description


def test_validation_split_is_carved_from_training_stratified_and_seeded(empty_keras_home, smoke):
    whole = helpers.load_dataset("cifar10", smoke, train_size=500, test_size=100, seed=3)
    split = helpers.load_dataset("cifar10", smoke, train_size=500, test_size=100, seed=3,
                                 validation_size=0.2)
    assert len(split.x_train) == 400 and len(split.x_val) == 100 and whole.x_val is None
    assert np.all(np.bincount(split.y_val.ravel(), minlength=10) == 10)  # 10% of each class
    # Together they are exactly the training images of the run without a split.
    together = np.concatenate([split.x_train, split.x_val]).reshape(500, -1)
    assert sorted(map(bytes, together)) == sorted(map(bytes, whole.x_train.reshape(500, -1)))
    np.testing.assert_array_equal(split.x_test, whole.x_test)  # the test set is untouched
    again = helpers.load_dataset("cifar10", smoke, train_size=500, test_size=100, seed=3,
                                 validation_size=100)
    np.testing.assert_array_equal(again.x_val, split.x_val)
    assert "x_val" in split.summary()


@pytest.mark.parametrize("size, message", [(0, "must leave examples on both sides"),
                                           (100, "must leave examples on both sides")])
def test_validation_split_must_leave_both_sides(size, message):
    with pytest.raises(ValueError, match=message):
        helpers.validation_split(np.zeros((100, 2)), np.arange(100) % 10, size)


def test_image_batches_convert_and_shuffle_seeded():
    x = np.arange(64, dtype=np.uint8).reshape(64, 1, 1, 1).repeat(2, axis=1).repeat(2, axis=2)
    y = np.arange(64) % 10

    def first_labels(dataset):
        return np.concatenate([labels.numpy() for _, labels in dataset])

    plain = first_labels(helpers.image_batches(x, y, 16))
    np.testing.assert_array_equal(plain, y)  # no shuffle: the original order
    shuffled = first_labels(helpers.image_batches(x, y, 16, shuffle=True, seed=1))
    assert not np.array_equal(shuffled, y) and sorted(shuffled) == sorted(y)
    np.testing.assert_array_equal(shuffled, first_labels(helpers.image_batches(x, y, 16, shuffle=True, seed=1)))
    assert not np.array_equal(shuffled, first_labels(helpers.image_batches(x, y, 16, shuffle=True, seed=2)))
    images, _ = next(iter(helpers.image_batches(x, y, 16)))
    assert images.dtype == "float32" and float(images.numpy().max()) == pytest.approx(15 / 255)


def test_image_batches_refuse_float_images():
    with pytest.raises(ValueError, match=r"x must be uint8 images \(0–255\)"):
        helpers.image_batches(np.zeros((4, 8, 8, 3), dtype=np.float32), np.zeros(4, dtype=int), 2)
