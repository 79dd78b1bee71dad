import os
import random
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers import runtime


@pytest.fixture
def no_profile_variables(monkeypatch):
    for name in ("CNN_PROFILE", "CNN_ALLOW_STANDIN", "CNN_ARTIFACTS_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_a_name_in_the_parameters_cell_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("CNN_PROFILE", "quick")
    profile = helpers.resolve_profile("smoke")
    assert profile.name == "smoke" and "PROFILE = 'smoke'" in profile.reason
    assert profile.allow_standin  # smoke may use stand-ins


@pytest.mark.parametrize("value, expected", [("quick", "quick"), (" SMOKE ", "smoke"), ("full", "full")])
def test_none_reads_the_environment_variable(monkeypatch, value, expected):
    monkeypatch.setenv("CNN_PROFILE", value)
    profile = helpers.resolve_profile(None)
    assert profile.name == expected and profile.reason == f"$CNN_PROFILE={value.strip()}"


@pytest.mark.parametrize("gpu, expected", [(False, "quick"), (True, "full")])
def test_none_without_the_variable_follows_the_hardware(monkeypatch, no_profile_variables, gpu, expected):
    monkeypatch.setattr(runtime, "gpu_available", lambda: gpu)
    profile = helpers.resolve_profile(None)
    assert profile.name == expected
    assert profile.reason == f"PROFILE = None and TensorFlow sees {'a' if gpu else 'no'} GPU"
    assert not profile.allow_standin


def test_none_on_this_cpu_machine_is_quick(no_profile_variables):
    if runtime.gpu_available():
        pytest.skip("this machine has a GPU")
    assert helpers.resolve_profile().name == "quick"


@pytest.mark.parametrize("requested, error, message", [
    ("fast", ValueError, "PROFILE must be one of 'full', 'quick', 'smoke'; got str 'fast'"),
    (3, TypeError, "PROFILE must be a string, got int 3"),
    ("", ValueError, "PROFILE must not be empty"),
])
def test_unknown_profiles_are_refused_by_name(requested, error, message):
    with pytest.raises(error, match=message):
        helpers.resolve_profile(requested)


def test_a_bad_environment_variable_is_named(monkeypatch):
    monkeypatch.setenv("CNN_PROFILE", "fast")
    expected = r"\$CNN_PROFILE='fast' is not a known profile; expected one of full, quick, smoke"
    with pytest.raises(ValueError, match=expected):
        helpers.resolve_profile(None)


def test_standin_opt_in_and_artifacts_folder_are_resolved_once(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_ALLOW_STANDIN", "1")
    monkeypatch.setenv("CNN_ARTIFACTS_DIR", str(tmp_path))
    profile = helpers.resolve_profile("full")
    assert profile.allow_standin and profile.artifacts_dir == tmp_path / "full"
    assert not helpers.resolve_profile("full", allow_standin=False).allow_standin
    monkeypatch.setenv("CNN_ALLOW_STANDIN", "0")
    assert not helpers.resolve_profile("smoke").allow_standin  # an explicit "no" wins over smoke
    with pytest.raises(TypeError, match="allow_standin must be True or False"):
        helpers.resolve_profile("full", allow_standin="yes")


def test_a_profile_is_immutable_and_picks_its_value(make_profile):
    quick = make_profile("quick")
    assert quick.pick(full=12, quick=3, smoke=1) == 3
    assert make_profile("full").pick(full=12, quick=3, smoke=1) == 12
    with pytest.raises(AttributeError):
        quick.name = "full"
    assert helpers.resolve_profile(quick) is quick
    with pytest.raises(ValueError, match="Profile.name must be one of"):
        helpers.Profile("huge")


def test_helpers_read_no_profile_variable(monkeypatch, tmp_path):
    """The variable is read at the edge only: an explicit profile decides, whatever it says."""
    monkeypatch.setenv("CNN_PROFILE", "full")
    profile = helpers.Profile("smoke", "test", True, tmp_path)
    assert helpers.artifacts_dir(profile) == tmp_path / "smoke" and (tmp_path / "smoke").is_dir()
    for module in Path(helpers.__file__).parent.glob("*.py"):
        if module.name == "runtime.py":
            continue
        for line in module.read_text().splitlines():
            assert "CNN_PROFILE" not in line, f"{module.name}: {line}"
            # Only Keras's home and the static-widget switch are read elsewhere.
            if "environ[" in line or "environ.get" in line:
                assert "KERAS_HOME" in line or "STATIC_VARIABLE" in line, f"{module.name}: {line}"


def _draws():
    return random.random(), np.random.rand(), float(tf.random.uniform(()))


def test_setup_seeds_python_numpy_and_tensorflow(capsys, make_profile):
    quick = make_profile("quick")
    report = helpers.setup(7, quick)
    first = _draws()
    helpers.setup(7, quick)
    assert _draws() == first
    helpers.setup(8, quick)
    assert _draws() != first
    line = capsys.readouterr().out.splitlines()[0]
    assert f"TensorFlow {tf.__version__}" in line and "profile quick (set by the test)" in line
    assert "seed 7" in line
    assert report["seed"] == 7 and report["profile"] == "quick"
    assert report["device"].startswith(("CPU", "GPU"))


@pytest.mark.parametrize("seed, error, message", [
    (-1, ValueError, "seed must be at least 0"),
    (1.5, TypeError, "seed must be an integer"),
    ("1", TypeError, "seed must be an integer"),
    (True, TypeError, "seed must be an integer"),
])
def test_setup_rejects_a_bad_seed(seed, error, message, smoke):
    with pytest.raises(error, match=message):
        helpers.setup(seed, smoke)


def test_setup_refuses_a_string_for_deterministic(smoke):
    with pytest.raises(TypeError, match="deterministic must be True or False, got str 'no'"):
        helpers.setup(0, smoke, deterministic="no")


def test_setup_needs_a_profile_object():
    with pytest.raises(TypeError, match="profile must be a helpers.Profile"):
        helpers.setup(0, "smoke")


def test_test_environment_is_shared_and_keeps_what_is_set(monkeypatch, tmp_path):
    for name in ("CNN_PROFILE", "KERAS_HOME", "CNN_ARTIFACTS_DIR", "CNN_STATIC_WIDGETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    values = runtime.use_test_environment(tmp_path)
    assert values["CNN_PROFILE"] == "smoke" and values["KERAS_HOME"] == str(tmp_path / ".cache" / "keras")
    assert Path(values["KERAS_HOME"]).is_dir() and "MPLBACKEND" not in os.environ
    monkeypatch.setenv("CNN_PROFILE", "quick")
    assert runtime.use_test_environment(tmp_path)["CNN_PROFILE"] == "quick"  # a developer's choice stays
    assert runtime.use_test_environment(tmp_path, "full")["CNN_PROFILE"] == "full"  # a tool's choice wins


def test_conftest_knows_every_variable_the_test_environment_sets():
    """The root conftest skips importing helpers when these are all set (a pytest run started by a
    test run); a variable added to use_test_environment but not there would go unset in that run."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).parent.parent / "conftest.py")
    root_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root_conftest)
    assert set(root_conftest.TEST_ENVIRONMENT) == set(runtime.use_test_environment(Path(__file__).parent.parent))


def test_tensorflow_retracing_warning_is_dropped_and_other_warnings_are_kept(caplog):
    """Calling predict on many different models (as the notebooks do) must not print TF's retracing warning."""
    import logging

    import keras
    import numpy as np

    helpers.runtime.ignore_tensorflow_retracing_warning()
    helpers.runtime.ignore_tensorflow_retracing_warning()  # idempotent: one filter
    logger = logging.getLogger("tensorflow")
    assert sum(isinstance(f, helpers.runtime._DropRetracingWarning) for f in logger.filters) == 1
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for _ in range(8):  # eight models, eight traces of the same Python step function
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
            model.predict(np.zeros((4, 3), "float32"), verbose=0)
        logger.warning("another warning")
    messages = [record.getMessage() for record in caplog.records]
    assert "another warning" in messages and not any("retracing" in m for m in messages)


def test_the_tests_use_this_checkout_and_the_test_runs_keras_home():
    """Nothing imports helpers (and Keras) before conftest.py: the helpers tested are this checkout's,
    not an editable install's, and Keras uses the test run's home, never the developer's ~/.keras."""
    import os
    from pathlib import Path

    from keras.src.backend.config import keras_home

    assert Path(helpers.__file__).resolve().parent.parent == Path(__file__).resolve().parent.parent
    assert keras_home() == os.environ["KERAS_HOME"]
    assert helpers.keras_cache_dir() == Path(os.environ["KERAS_HOME"]) / "datasets"
