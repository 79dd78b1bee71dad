"""Data and saved files fail safe: damaged caches, no network, a network that never answers, broken artifacts.

Each data fault must end in ``DatasetUnavailableError`` within 10 s, naming the
file, what is wrong with it and what to do, and must leave the user's files as
they were; each damaged model or history in ``ArtifactError`` naming the file.
"""

import dataclasses
import gzip
import hashlib
import os
import socket
import time
import warnings

import keras
import keras.src.datasets.fashion_mnist as keras_fashion_mnist  # loaders whose origin tests redirect
import keras.src.datasets.mnist as keras_mnist
import keras.src.utils.file_utils as keras_file_utils
import numpy as np
import pytest

import helpers
from helpers import data


@pytest.fixture
def keras_home(monkeypatch, tmp_path):
    """An empty Keras home (Keras reads $KERAS_HOME at import, so its module value is patched too)."""
    import keras.src.backend.config as keras_config

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))
    without_debian = dataclasses.replace(data.REGISTRY["fashion_mnist"],
                                         debian_folder=tmp_path / "no-debian-package")
    monkeypatch.setitem(data.REGISTRY, "fashion_mnist", without_debian)
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


@pytest.fixture
def silent_server():
    """A TCP server on loopback that accepts connections and never answers; closed afterwards."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # the kernel completes the handshakes; nobody ever reads or replies
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    server.close()


def closed_port_url() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connections are refused at once
    return f"http://127.0.0.1:{port}/"


def point_downloads_at(monkeypatch, module, url):
    """Make a keras.datasets loader fetch from ``url`` instead of its real origin."""
    def get_file(*args, **kwargs):
        kwargs["origin"] = url + "data"
        return keras_file_utils.get_file(*args, **kwargs)
    monkeypatch.setattr(module, "get_file", get_file)


def idx_gz(path, magic, count, item_bytes, truncate_to=None):
    header = magic.to_bytes(4, "big") + count.to_bytes(4, "big")
    if magic == 2051:
        header += (28).to_bytes(4, "big") * 2
    content = header + bytes(count * item_bytes)
    path.write_bytes(gzip.compress(content)[:truncate_to])


def fashion_cache(folder):
    """Tiny, well-formed Fashion-MNIST files where keras.datasets.fashion_mnist looks for them."""
    target = folder / "fashion-mnist"
    target.mkdir()
    for split, count in (("train", 20), ("t10k", 10)):
        idx_gz(target / f"{split}-labels-idx1-ubyte.gz", 2049, count, 1)
        idx_gz(target / f"{split}-images-idx3-ubyte.gz", 2051, count, 784)
    return target


def snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def load(name, profile_name="full", allow_standin=False, **kwargs):
    profile = helpers.Profile(profile_name, "set by the test", allow_standin)
    return helpers.load_dataset(name, profile, **kwargs)


def assert_refused(name, files_before, folder, *fragments, seconds=10.0, **kwargs):
    start = time.perf_counter()
    with pytest.raises(helpers.DatasetUnavailableError) as caught:
        load(name, **kwargs)
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert "allow_standin=True" in message  # says how to go on
    assert snapshot(folder) == files_before  # nothing deleted or changed
    return message


def test_truncated_mnist_npz_is_refused_not_deleted(keras_home, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a damaged cache file must not lead to a download")
    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    rng = np.random.default_rng(0)
    np.savez(keras_home / "mnist.npz", x_train=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8))
    path = keras_home / "mnist.npz"
    path.write_bytes(path.read_bytes()[:5_000])  # truncated
    before = snapshot(keras_home)
    assert_refused("mnist", before, keras_home, str(path), "incomplete or damaged", "SHA-256",
                   "left as it is", f"rm '{path}'", "11 MB")


def test_damaged_cache_with_standin_allowed_uses_the_standin_and_says_why(keras_home):
    path = keras_home / "mnist.npz"
    path.write_bytes(b"not a zip file at all")
    before = snapshot(keras_home)
    with pytest.warns(data.StandInWarning, match="STAND-IN DATA") as caught:
        ds = load("mnist", "smoke", allow_standin=True)
    assert ds.is_standin
    assert str(path) in str(caught[0].message) and "damaged" in str(caught[0].message)
    assert snapshot(keras_home) == before


@pytest.mark.parametrize("damage, problem", [
    (lambda p: p.write_bytes(p.read_bytes()[:40]), "cannot be decompressed"),
    (lambda p: p.write_bytes(b"\x1f\x8b garbage that is not deflate"), "cannot be decompressed"),
    (lambda p: idx_gz(p, 2051, 20, 700), "header announces"),
    (lambda p: idx_gz(p, 1234, 20, 784), "magic number 1234"),
    (lambda p: p.write_bytes(b""), "is empty"),
])
def test_corrupted_fashion_mnist_gz_is_refused(keras_home, damage, problem):
    folder = fashion_cache(keras_home)
    broken = folder / "train-images-idx3-ubyte.gz"
    damage(broken)
    assert_refused("fashion_mnist", snapshot(keras_home), keras_home, str(broken), problem)


def test_well_formed_fashion_cache_goes_through_the_real_keras_loader(keras_home):
    fashion_cache(keras_home)
    ds = load("fashion_mnist", train_size=None, test_size=None)
    assert ds.x_train.shape == (20, 28, 28) and ds.y_test.shape == (10,) and not ds.is_standin


def test_truncated_cifar10_archive_is_refused_not_deleted(keras_home):
    archive = keras_home / "cifar-10-batches-py-target_archive"
    archive.write_bytes(b"\x1f\x8b\x08\x00" + bytes(4_000))  # the first bytes of a .tar.gz, then nothing
    message = assert_refused("cifar10", snapshot(keras_home), keras_home, str(archive),
                             "incomplete or damaged", "170.5 MB")
    assert archive.exists()
    assert "helpers.resolve_profile(PROFILE, allow_standin=True)" in message


def test_check_cache_reports_without_loading(keras_home):
    data.check_cache("mnist")  # nothing cached: nothing to complain about
    (keras_home / "mnist.npz").write_bytes(b"x" * 100)
    with pytest.raises(helpers.DatasetUnavailableError, match="mnist.npz is incomplete or damaged"):
        data.check_cache("mnist")


def test_unreadable_cache_that_passes_the_check_still_ends_in_the_named_error(keras_home, monkeypatch):
    content = b"PK\x03\x04 not really a zip"
    (keras_home / "mnist.npz").write_bytes(content)
    monkeypatch.setitem(data.REGISTRY, "mnist", dataclasses.replace(
        data.REGISTRY["mnist"], cache_sha256={"mnist.npz": hashlib.sha256(content).hexdigest()}))

    def read_like_keras():  # the real loader would re-check its own hash and re-download
        with np.load(keras_home / "mnist.npz", allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    monkeypatch.setattr(data, "_keras_loader", lambda name: read_like_keras)
    assert_refused("mnist", snapshot(keras_home), keras_home, "keras.datasets.mnist failed",
                   str(keras_home), "BadZipFile", "rm ")


def test_unreachable_network_fails_at_once(keras_home, monkeypatch):
    point_downloads_at(monkeypatch, keras_mnist, closed_port_url())
    message = assert_refused("mnist", {}, keras_home, "the download (11 MB) failed",
                             str(keras_home / "mnist.npz"), seconds=5)
    assert "Connection refused" in message or "Errno" in message


def test_hanging_download_times_out(keras_home, monkeypatch, silent_server):
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", 0.5)  # the real 8 s would slow the suite
    point_downloads_at(monkeypatch, keras_mnist, silent_server)
    default = socket.getdefaulttimeout()
    assert_refused("mnist", {}, keras_home, "no answer within 0.5 s", str(keras_home / "mnist.npz"),
                   seconds=5)
    assert socket.getdefaulttimeout() == default  # the process-wide default is restored


def test_hanging_download_with_a_partial_cache_keeps_the_files_there(keras_home, monkeypatch,
                                                                    silent_server):
    folder = fashion_cache(keras_home)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()  # one file missing: the loader downloads it
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", 0.5)
    point_downloads_at(monkeypatch, keras_fashion_mnist, silent_server)
    assert_refused("fashion_mnist", snapshot(keras_home), keras_home, "no answer within 0.5 s",
                   seconds=5)


def test_every_download_has_a_timeout_under_ten_seconds():
    assert 0 < data.DOWNLOAD_TIMEOUT_S < 10


def test_standin_announces_itself_as_a_warning_and_in_print(keras_home, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load("mnist", "smoke", allow_standin=True)
    assert ds.is_standin
    standin = [w for w in caught if issubclass(w.category, data.StandInWarning)]
    assert len(standin) == 1 and "STAND-IN DATA" in str(standin[0].message)
    assert issubclass(data.StandInWarning, UserWarning)
    assert standin[0].filename == __file__  # points at the caller's line, not inside helpers
    assert "STAND-IN DATA" in capsys.readouterr().out


def test_keras_would_delete_a_mismatched_file_which_is_why_it_is_checked_first(keras_home, monkeypatch):
    """Documents the Keras behaviour the checks guard against (so a Keras change is noticed)."""
    point_downloads_at(monkeypatch, keras_mnist, closed_port_url())
    path = keras_home / "mnist.npz"
    path.write_bytes(b"user's damaged file")
    with pytest.raises(Exception):  # noqa: B017 - Keras's own bare Exception
        keras.datasets.mnist.load_data()
    assert not path.exists()


# --- saved models and histories ---------------------------------------------------------------

@pytest.fixture(scope="module")
def saved_once(tmp_path_factory):
    """One real artifact, saved once; each test copies it and damages its copy."""
    root = tmp_path_factory.mktemp("artifacts")
    profile = helpers.Profile("smoke", "set by the test", True, root)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    record = helpers.TrainingRecord(iterations=[1, 2], train_loss=[1.0, 0.9], train_accuracy=[0.2, 0.3],
                                    batch_size=2, eval_size=4)
    return helpers.artifacts.save_artifact("toy", profile, model, record)


@pytest.fixture
def artifact(saved_once, tmp_path):
    import shutil

    profile = helpers.Profile("smoke", "set by the test", True, tmp_path)
    shutil.copytree(saved_once, profile.artifacts_dir / "toy")
    return profile, profile.artifacts_dir / "toy"


def halve(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("damage, names, problem", [
    (lambda f: halve(f / "model.keras"), "model.keras", "could not be loaded"),
    (lambda f: (f / "model.keras").write_bytes(b""), "model.keras", "could not be loaded"),
    (lambda f: halve(f / "history.json"), "history.json", "JSONDecodeError"),
    (lambda f: (f / "history.json").write_bytes(b"\xff\xfe\x00 binary"), "history.json", "not a readable"),
    (lambda f: (f / "history.json").write_text("[1, 2]"), "history.json", "JSON object was expected"),
    (lambda f: (f / "history.json").write_text('{"kind": "keras_history", "values": {"loss": ["a"]}}'),
     "history.json", "must be a list of numbers"),
    (lambda f: (f / "history.json").write_text('{"kind": "keras_history", "values": {"acc": [1.0]}}'),
     "history.json", "'loss' entry"),
    (lambda f: (f / "history.json").write_text(
        '{"kind": "training_record", "values": {"iterations": [1], "train_loss": [],'
        ' "train_accuracy": []}}'), "history.json", "same length"),
    (lambda f: (f / "history.json").unlink(), "history.json", "is missing"),
])
def test_a_damaged_artifact_names_the_file_and_what_to_do(artifact, damage, names, problem):
    profile, folder = artifact
    damage(folder)
    before = snapshot(folder)
    with pytest.raises(helpers.ArtifactError) as caught:
        helpers.artifacts.load_artifact("toy", profile)
    message = str(caught.value)
    assert str(folder / names) in message and problem in message
    assert "Re-run the notebook" in message and f"delete {folder}" in message
    assert snapshot(folder) == before  # reading never repairs or removes anything


def test_a_history_of_the_wrong_kind_is_refused_not_returned(artifact):
    profile, _ = artifact
    with pytest.raises(helpers.ArtifactError, match="holds a training_record, not the keras_history"):
        helpers.artifacts.load_artifact("toy", profile, expect_kind="keras_history")


def test_models_load_in_safe_mode(tmp_path):
    """A model with a Python lambda in it could run any code when loaded: it is refused."""
    profile = helpers.Profile("smoke", "set by the test", True, tmp_path)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda x: x * 2)])
    helpers.artifacts.save_artifact("unsafe", profile, model, {"loss": [1.0]})
    with pytest.raises(helpers.ArtifactError, match="model.keras could not be loaded.*safe_mode"):
        helpers.artifacts.load_artifact("unsafe", profile)


def test_a_training_record_file_is_written_whole_and_read_with_its_name(tmp_path, monkeypatch):
    record = helpers.TrainingRecord(iterations=[1], train_loss=[0.5], train_accuracy=[0.9])
    path = record.save(tmp_path / "record.json")
    assert helpers.TrainingRecord.load(path) == record
    halve(path)
    with pytest.raises(ValueError, match=f"{path} is not a readable TrainingRecord.*re-run the notebook"):
        helpers.TrainingRecord.load(path)

    def failing_write(*args, **kwargs):
        raise OSError("disk full (simulated)")
    record.save(path)
    monkeypatch.setattr(os, "replace", failing_write)
    with pytest.raises(OSError, match="disk full"):
        helpers.TrainingRecord(iterations=[1, 2], train_loss=[0.5, 0.4],
                               train_accuracy=[0.9, 0.95]).save(path)
    monkeypatch.undo()
    assert helpers.TrainingRecord.load(path) == record  # the earlier file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]  # no temporary leftovers


def test_no_helper_loads_numpy_files_with_pickles_allowed():
    import ast
    from pathlib import Path

    for source in Path(helpers.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "load" \
                    and getattr(node.func.value, "id", "") in ("np", "numpy"):
                flags = {k.arg: k.value for k in node.keywords}
                assert isinstance(flags.get("allow_pickle"), ast.Constant) \
                    and flags["allow_pickle"].value is False, f"{source.name}:{node.lineno}"
