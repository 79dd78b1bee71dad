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
from pathlib import Path

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


# --- a damaged hand-off: either half of an artifact missing -----------------------------------

@pytest.mark.parametrize("missing", ["history.json", "model.keras"])
def test_a_hand_off_missing_half_is_reported_as_damage_not_retrained(saved_once, tmp_path, keras_home,
                                                                     capsys, missing):
    import shutil

    profile = helpers.Profile("smoke", "set by the test", True, tmp_path / "artifacts")
    folder = profile.artifacts_dir / helpers.recipes.LENET5.stem("mnist")
    shutil.copytree(saved_once, folder)
    (folder / missing).unlink()
    assert helpers.recipes.latest_dataset(helpers.recipes.LENET5, profile) == "mnist"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.StandInWarning)
        with pytest.raises(helpers.ArtifactError) as caught:
            helpers.load_or_train(helpers.recipes.LENET5, profile)
    message = str(caught.value)
    assert f"{folder / missing} is missing" in message and f"delete {folder}" in message
    assert "training it now" not in capsys.readouterr().out  # nothing was trained over it


# --- a Keras cache that cannot be written -----------------------------------------------------

@pytest.fixture
def read_only_cache(keras_home, monkeypatch, tmp_path):
    """A Keras cache where nothing can be created (a read-only home, a shared lab image), and a
    Debian folder with tiny real-format Fashion-MNIST files. Simulated: root may write anywhere."""
    import errno
    import tempfile

    (tmp_path / "debian-package").mkdir()
    debian = fashion_cache(tmp_path / "debian-package")
    monkeypatch.setitem(data.REGISTRY, "fashion_mnist",
                        dataclasses.replace(data.REGISTRY["fashion_mnist"], debian_folder=debian))

    def inside(path) -> bool:
        path = Path(path).absolute()
        return path == keras_home or keras_home in path.parents

    def refuse(path):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    real_mkdir, real_mkstemp = Path.mkdir, tempfile.mkstemp
    monkeypatch.setattr(Path, "mkdir", lambda self, *a, **k: refuse(self) if inside(self)
                        else real_mkdir(self, *a, **k))
    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, dir=None, **k: refuse(dir) if dir and inside(dir)
                        else real_mkstemp(*a, dir=dir, **k))
    return debian


@pytest.mark.parametrize("profile_name", ["full", "smoke"])
def test_a_read_only_cache_reads_debians_files_in_place(read_only_cache, keras_home, profile_name):
    before = snapshot(keras_home)
    ds = load("fashion_mnist", profile_name, allow_standin=profile_name == "smoke", train_size=None,
              test_size=None)
    assert not ds.is_standin and ds.x_train.shape == (20, 28, 28) and ds.y_test.shape == (10,)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.uint8
    assert f"read in place from {read_only_cache}" in ds.source and "Read-only file system" in ds.source
    assert snapshot(keras_home) == before


def test_a_read_only_cache_with_damaged_debian_files_says_what_to_do(read_only_cache, keras_home):
    broken = read_only_cache / "train-images-idx3-ubyte.gz"
    broken.write_bytes(b"")
    message = assert_refused("fashion_mnist", snapshot(keras_home), keras_home, "cannot be written",
                             "Read-only file system", f"{broken} is empty", "KERAS_HOME")
    assert "dataset-fashion-mnist" in message
    with pytest.warns(data.StandInWarning, match="cannot be copied into"):
        assert load("fashion_mnist", "smoke", allow_standin=True).is_standin


# --- whatever the network does: every download ends within its documented limit ---------------

FIRST_BYTE_S, WINDOW_S, DEADLINE_S = 0.1, 0.1, 0.4  # the real 8 s / 20 s / 10 min would slow the suite
SLACK_S = 2.0  # a busy shared machine: thread start-up, TLS, Python itself


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A throw-away self-signed certificate for the HTTPS stand-in server (openssl's command line)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate for the HTTPS stand-in")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
                    "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True, timeout=30)
    return folder / "cert.pem", folder / "key.pem"


class FaultServer:
    """A server on 127.0.0.1 that misbehaves in one way, each connection in its own thread.

    ``mode``: ``"silent"`` accepts and never sends; ``"slow_answer"`` sends its reply's
    first line one byte per 50 ms; ``"trickle"`` sends headers (a 10 MB file), then one
    byte per 50 ms; ``"steady"`` 1 kB per 10 ms (fast enough, never done in time);
    ``"stall"`` headers and 1,000 bytes, then nothing. With ``certificate`` it speaks
    HTTPS. It stops by itself after 20 s, or at :meth:`stop`.
    """

    HEADER = b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\nContent-Type: application/octet-stream\r\n\r\n"

    def __init__(self, mode, certificate=None):
        import ssl
        import threading

        self.mode, self.stopped = mode, threading.Event()
        self.tls = None
        if certificate is not None:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*certificate)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.end = time.monotonic() + 20
        threading.Thread(target=self._serve, daemon=True).start()

    def stop(self):
        self.stopped.set()
        self.listener.close()

    def _serve(self):
        import threading

        while not self.stopped.is_set() and time.monotonic() < self.end:
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection):
        try:
            if self.mode == "silent":
                self.stopped.wait(max(0.0, self.end - time.monotonic()))
                return
            connection.settimeout(5)
            if self.tls is not None:
                connection = self.tls.wrap_socket(connection, server_side=True)
            connection.recv(65536)  # the request
            if self.mode == "slow_answer":
                self._drip(connection, self.HEADER, 1, 0.05)
            elif self.mode == "stall":
                connection.sendall(self.HEADER + b"x" * 1000)
                self.stopped.wait(max(0.0, self.end - time.monotonic()))
            else:
                connection.sendall(self.HEADER)
                self._drip(connection, bytes(10_000_000), *((1, 0.05) if self.mode == "trickle" else (1000, 0.01)))
        except OSError:  # the client gave up on us, which is the point
            pass
        finally:
            connection.close()

    def _drip(self, connection, content, size, pause):
        for start in range(0, len(content), size):
            if self.stopped.is_set() or time.monotonic() > self.end:
                return
            connection.sendall(content[start:start + size])
            time.sleep(pause)


@pytest.fixture
def network(monkeypatch, certificate, keras_home):
    """``network(mode)``: from then on every host name resolves as ``mode`` says.

    ``"refused"``: to a closed port; ``"no_name"``: the name does not exist; ``"name_hang"``:
    the lookup never returns (socket timeouts do not bound it); any other mode: a local
    :class:`FaultServer` (HTTPS for port 443, as the real origins use). Short limits apply.
    """
    import ssl
    import threading

    from helpers import network as helpers_network
    from helpers import transfer

    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", FIRST_BYTE_S)
    monkeypatch.setattr(data, "DOWNLOAD_DEADLINE_S", DEADLINE_S)
    monkeypatch.setattr(transfer, "IMAGENET_DEADLINE_S", DEADLINE_S)
    monkeypatch.setattr(helpers_network, "RATE_WINDOW_S", WINDOW_S)
    monkeypatch.setattr(ssl, "_create_default_https_context", ssl._create_unverified_context)
    servers, released, real = [], threading.Event(), socket.getaddrinfo

    def use(mode):
        if mode == "refused":
            address = closed_port_url().split(":")[-1].strip("/")
        elif mode not in ("no_name", "name_hang"):
            plain, secure = FaultServer(mode), FaultServer(mode, certificate)
            servers.extend([plain, secure])

        def resolve(host, port, *args, **kwargs):
            if host in ("127.0.0.1", "localhost"):
                return real(host, port, *args, **kwargs)
            if mode == "no_name":
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (stand-in resolver)")
            if mode == "name_hang":
                released.wait(15)  # a resolver that never answers, until the test ends
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution (stand-in)")
            target = int(address) if mode == "refused" else (secure if port in (443, "443", "https")
                                                              else plain).port
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", target))]
        monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield use
    released.set()
    for server in servers:
        server.stop()


NETWORK_MODES = ["refused", "no_name", "name_hang", "silent", "slow_answer", "trickle", "stall"]


def _imagenet_base_or():
    """imagenet_base_or as notebook 09 calls it, MobileNetV2 standing in by its download alone:
    the same get_file call, without building 150 layers first (1-2 s a call)."""
    from keras.src.applications import mobilenet_v2

    def weights_only(**kwargs):
        name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
        keras_file_utils.get_file(name, mobilenet_v2.BASE_WEIGHT_PATH + name, cache_subdir="models")
        raise AssertionError("the stand-in network handed out weights")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keras.applications, "MobileNetV2", weights_only)
        _imagenet_base_or_as_notebook_09_calls_it()


def _imagenet_base_or_as_notebook_09_calls_it():
    from helpers import transfer

    fallback = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Flatten()], name="offline")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras: 32×32 is not one of MobileNetV2's weight sizes
        base, description = transfer.imagenet_base_or(fallback, enabled=True, input_shape=(32, 32, 1),
                                                      image_size=32, timeout_s=FIRST_BYTE_S)
    assert base is fallback and description.startswith("the offline base")


def _refused(call):
    with pytest.raises(helpers.DatasetUnavailableError, match="allow_standin=True"):
        call()


NETWORK_HELPERS = {
    "load_dataset mnist": lambda: _refused(lambda: load("mnist")),
    "load_dataset fashion_mnist": lambda: _refused(lambda: load("fashion_mnist")),
    "load_dataset cifar10": lambda: _refused(lambda: load("cifar10")),
    "load_or_train": lambda: _refused(lambda: helpers.load_or_train(
        helpers.recipes.LENET5, helpers.Profile("quick", "set by the test", False, Path("/nonexistent")))),
    "imagenet_base_or": _imagenet_base_or,
}


@pytest.mark.parametrize("mode", NETWORK_MODES)
@pytest.mark.parametrize("helper", list(NETWORK_HELPERS))
def test_every_network_helper_ends_within_its_limit_whatever_the_network_does(network, helper, mode,
                                                                               monkeypatch):
    """The property: refused, unknown, hanging, silent, slow or trickling – each call ends in its
    documented way (an error naming what to do, or the announced fallback) within its limit."""
    import keras.src.utils.file_utils as file_utils

    network(mode)
    downloads = []  # (start, end) of each download Keras starts, without building a model around it
    real_get_file = file_utils.get_file

    def timed_get_file(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real_get_file(*args, **kwargs)
        finally:
            downloads.append(time.perf_counter() - start)
    monkeypatch.setattr(file_utils, "get_file", timed_get_file)
    start = time.perf_counter()
    NETWORK_HELPERS[helper]()
    elapsed = time.perf_counter() - start
    limit = DEADLINE_S + SLACK_S
    if helper == "imagenet_base_or":
        assert downloads and max(downloads) < limit, f"{downloads} s for the weights"
    else:
        assert elapsed < limit, f"took {elapsed:.1f} s"


def test_the_network_helpers_listed_are_all_there_are():
    """A module that starts downloads must have its public calls in NETWORK_HELPERS above."""
    import ast

    def dotted(node):
        return dotted(node.value) + "." + node.attr if isinstance(node, ast.Attribute) else \
            getattr(node, "id", "")

    downloading = set()
    for path in Path(helpers.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            name = dotted(node) if isinstance(node, ast.Attribute) else ""
            called = dotted(node.func).rsplit(".", 1)[-1] if isinstance(node, ast.Call) else ""
            if name in ("keras.datasets", "keras.applications") or called in (
                    "urlopen", "urlretrieve", "get_file", "download_limits"):
                downloading.add(path.stem)
    assert downloading == {"data", "transfer", "network"}  # load_dataset (and load_or_train), imagenet_base_or


def test_a_hanging_name_lookup_ends_within_the_first_byte_limit(network):
    network("name_hang")
    start = time.perf_counter()
    assert_refused("mnist", {}, data.keras_cache_dir(), "no answer within 0.1 s",
                   "storage.googleapis.com", "name lookup", seconds=FIRST_BYTE_S + SLACK_S)
    assert time.perf_counter() - start >= FIRST_BYTE_S * 0.9  # it did wait for the resolver, that long


@pytest.mark.parametrize("mode, fragments", [
    ("trickle", ["slower than 20 kB/s over 0.1 s", "bytes in"]),
    ("steady", ["did not finish within 0.4 s", "of 10,000,000 bytes arrived"]),
    ("stall", ["no byte for 0.1 s after 1,000 of 10,000,000 bytes"]),
])
def test_a_slow_download_stops_saying_how_far_it_got_and_how_to_fetch_it(network, keras_home, monkeypatch,
                                                                          mode, fragments):
    network("refused")  # the short limits; the download goes to this server, by address
    server = FaultServer(mode)
    try:
        point_downloads_at(monkeypatch, keras_mnist, f"http://127.0.0.1:{server.port}/")
        message = assert_refused("mnist", {}, keras_home, *fragments, seconds=DEADLINE_S + SLACK_S)
    finally:
        server.stop()
    assert f"download http://127.0.0.1:{server.port}/data by hand" in message
    assert f"save it as {keras_home / 'mnist.npz'}" in message
    assert not (keras_home / "mnist.npz").exists()  # the partial file is not left to look cached


def test_a_trickling_imagenet_download_falls_back_with_where_to_get_it(network, monkeypatch, capsys):
    from keras.src.applications import mobilenet_v2

    network("refused")
    server = FaultServer("trickle")
    try:
        monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", f"http://127.0.0.1:{server.port}/")
        _imagenet_base_or_as_notebook_09_calls_it()  # the real MobileNetV2, built around the download
    finally:
        server.stop()
    out = capsys.readouterr().out
    assert "slower than 20 kB/s" in out and f"download http://127.0.0.1:{server.port}/" in out
    assert "Continuing with the offline base" in out


def test_the_documented_limits():
    from helpers import network as helpers_network
    from helpers import transfer

    assert 0 < data.DOWNLOAD_TIMEOUT_S < 10 and 0 < transfer.IMAGENET_TIMEOUT_S < 10  # first byte: 10 s
    assert data.DOWNLOAD_DEADLINE_S == 600 and transfer.IMAGENET_DEADLINE_S == 120
    assert helpers_network.MIN_RATE == 20_000 and helpers_network.RATE_WINDOW_S == 20
    with helpers_network.download_limits(first_byte_s=1, deadline_s=2) as limits:
        assert socket.getdefaulttimeout() == 1 and limits.deadline_s == 2
