import random

import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers import runtime


def test_profile_defaults_to_full(monkeypatch):
    monkeypatch.delenv("CNN_PROFILE", raising=False)
    assert helpers.active_profile() == "full"


@pytest.mark.parametrize("value, expected", [("quick", "quick"), (" SMOKE ", "smoke"), ("", "full")])
def test_profile_is_read_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("CNN_PROFILE", value)
    assert helpers.active_profile() == expected


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("CNN_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"CNN_PROFILE='fast'.*full, quick, smoke"):
        helpers.active_profile()


def test_by_profile_picks_the_active_value(monkeypatch):
    monkeypatch.setenv("CNN_PROFILE", "quick")
    assert helpers.by_profile(full=12, quick=3, smoke=1) == 3
    assert helpers.by_profile(full=12, quick=3, smoke=1, profile="full") == 12
    with pytest.raises(ValueError, match="profile='huge'"):
        helpers.by_profile(full=1, quick=2, smoke=3, profile="huge")


def _draws():
    return random.random(), np.random.rand(), float(tf.random.uniform(()))


def test_setup_seeds_python_numpy_and_tensorflow(capsys):
    report = helpers.setup(seed=7)
    first = _draws()
    helpers.setup(seed=7)
    assert _draws() == first
    helpers.setup(seed=8)
    assert _draws() != first
    line = capsys.readouterr().out.splitlines()[0]
    assert f"TensorFlow {tf.__version__}" in line and "profile smoke" in line and "seed 7" in line
    assert report["seed"] == 7 and report["profile"] == "smoke"
    assert report["device"].startswith(("CPU", "GPU"))


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_setup_rejects_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        runtime.seed_everything(seed)


def test_artifacts_dir_is_per_profile(monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_ARTIFACTS_DIR", str(tmp_path))
    monkeypatch.setenv("CNN_PROFILE", "quick")
    folder = helpers.artifacts_dir()
    assert folder == tmp_path / "quick" and folder.is_dir()
