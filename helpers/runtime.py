"""The run profile, seeding, the one-line environment report, and the test environment.

How much work a run does is one immutable :class:`Profile`, resolved once per
notebook by :func:`resolve_profile` right after the parameters cell and passed
to every helper that depends on it:

* ``full`` – whole datasets, the recipes' own training budgets (a GPU);
* ``quick`` – real data, subsets, a few minutes per notebook on a laptop CPU;
* ``smoke`` – small slices and announced offline stand-ins; seconds (tests).

The environment variables ``CNN_PROFILE``, ``CNN_ALLOW_STANDIN`` and
``CNN_ARTIFACTS_DIR`` are read in :func:`resolve_profile` and nowhere else.
"""

from __future__ import annotations

import os
import platform
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from . import checks

PROFILE_NAMES = ("full", "quick", "smoke")
PROFILE_VARIABLE = "CNN_PROFILE"
STANDIN_VARIABLE = "CNN_ALLOW_STANDIN"
ARTIFACTS_VARIABLE = "CNN_ARTIFACTS_DIR"
DEFAULT_ARTIFACTS_ROOT = Path.home() / ".cache" / "cnn-notebooks"

T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    """How much work a run does, and the choices that go with it.

    ``name``: ``"full"``, ``"quick"`` or ``"smoke"``. ``reason``: why it was
    chosen (printed by :func:`setup`). ``allow_standin``: whether a dataset that
    is not cached may be replaced by its announced offline stand-in (see
    :mod:`helpers.data`). ``artifacts_root``: where notebooks save models for
    later notebooks (one subfolder per profile, :attr:`artifacts_dir`).
    Dataset sizes per profile live in the dataset registry
    (:func:`helpers.data.dataset_info`), training budgets in the recipes
    (:mod:`helpers.recipes`) and in each notebook via :meth:`pick`.
    """

    name: str
    reason: str = "chosen in code"
    allow_standin: bool = False
    artifacts_root: Path = field(default=DEFAULT_ARTIFACTS_ROOT)

    def __post_init__(self) -> None:
        checks.one_of(self.name, "Profile.name", PROFILE_NAMES)
        checks.text(self.reason, "Profile.reason")
        checks.boolean(self.allow_standin, "Profile.allow_standin")
        if not isinstance(self.artifacts_root, Path):
            raise TypeError(f"Profile.artifacts_root must be a pathlib.Path, got "
                            f"{checks.describe(self.artifacts_root)}.")

    def pick(self, *, full: T, quick: T, smoke: T) -> T:
        """Return the value given for this profile: ``EPOCHS = profile.pick(full=12, quick=3, smoke=1)``."""
        return {"full": full, "quick": quick, "smoke": smoke}[self.name]

    @property
    def artifacts_dir(self) -> Path:
        """This profile's folder for saved models and histories (not created here)."""
        return self.artifacts_root / self.name

    def __str__(self) -> str:
        return f"profile {self.name} ({self.reason})"


def quiet_tensorflow_startup() -> None:
    """Import TensorFlow without its C++ start-up notices on stderr.

    On a machine without a GPU, TensorFlow prints a block of absl/oneDNN/CUDA
    notices (and a "failed call to cuInit" error) when it is imported and first
    looks for devices. ``TF_CPP_MIN_LOG_LEVEL`` silences only part of it, so the
    process's stderr is pointed at /dev/null for the import and the first
    device query, then restored; Python exceptions still surface as usual.
    Does nothing when TensorFlow is already imported.
    """
    import sys

    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
    finally:
        os.dup2(saved, 2)
        os.close(null)
        os.close(saved)


# Keras 3.15 (keras-team/keras#22777) warns that `shuffle=True` "will be ignored" whenever
# `fit` gets a tf.data.Dataset, even when the caller never passed it: True is fit's default.
# Our datasets shuffle themselves (helpers.image_batches), so the warning says nothing true.
KERAS_SHUFFLE_DEFAULT_WARNING = (r"`shuffle=True` was passed, but will be ignored since the data `x` "
                                 r"was provided as a tf\.data\.Dataset")


def ignore_keras_shuffle_default_warning() -> None:
    """Hide exactly the warning Keras gives for its own ``fit(shuffle=True)`` default on a dataset."""
    import warnings

    warnings.filterwarnings("ignore", message=KERAS_SHUFFLE_DEFAULT_WARNING, category=UserWarning)


# TensorFlow warns "N out of the last M calls to <function ...> triggered tf.function retracing"
# once a notebook has called predict/evaluate on five or so *different* models: it counts the
# traces of every model's compiled step together (they share one Python function). The series
# builds many small models on purpose, one trace each, so the warning describes nothing a
# learner can or should change.
RETRACING_WARNING = "triggered tf.function retracing"


class _DropRetracingWarning:
    """A logging filter that drops TensorFlow's retracing warning and nothing else."""

    def filter(self, record) -> bool:
        return RETRACING_WARNING not in record.getMessage()


def ignore_tensorflow_retracing_warning() -> None:
    """Hide TensorFlow's retracing warning (see :data:`RETRACING_WARNING`); idempotent."""
    import logging

    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _DropRetracingWarning) for f in logger.filters):
        logger.addFilter(_DropRetracingWarning())


def gpu_available() -> bool:
    """True when TensorFlow sees at least one GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def resolve_profile(requested: str | Profile | None = None,
                    allow_standin: bool | None = None) -> Profile:
    """Turn the parameters cell's ``PROFILE`` into a :class:`Profile`.

    ``requested``: a profile name, a :class:`Profile` (returned as is), or
    ``None``, which means ``$CNN_PROFILE`` when it is set (tests, CI), else
    ``full`` when TensorFlow sees a GPU and ``quick`` when it does not.
    ``allow_standin``: ``None`` means ``$CNN_ALLOW_STANDIN`` when set, else
    only under ``smoke``. ``$CNN_ARTIFACTS_DIR`` moves the artifacts folder.

    Raises:
        ValueError: an unknown profile name, in the argument or the variable.
        TypeError: ``requested`` or ``allow_standin`` of the wrong type.
    """
    if isinstance(requested, Profile):
        return requested
    if requested is not None:
        checks.text(requested, "PROFILE")
        name = checks.one_of(requested.strip().lower(), "PROFILE", PROFILE_NAMES)
        reason = f"PROFILE = {requested!r} in the parameters cell"
    elif os.environ.get(PROFILE_VARIABLE, "").strip():
        value = os.environ[PROFILE_VARIABLE]
        if value.strip().lower() not in PROFILE_NAMES:
            raise ValueError(f"${PROFILE_VARIABLE}={value!r} is not a known profile; expected one "
                             f"of {', '.join(PROFILE_NAMES)} (or unset it).")
        name, reason = value.strip().lower(), f"${PROFILE_VARIABLE}={value.strip()}"
    elif gpu_available():
        name, reason = "full", "PROFILE = None and TensorFlow sees a GPU"
    else:
        name, reason = "quick", "PROFILE = None and TensorFlow sees no GPU"

    if allow_standin is None:
        setting = os.environ.get(STANDIN_VARIABLE, "").strip().lower()
        allow_standin = setting in ("1", "true", "yes") if setting else name == "smoke"
    else:
        checks.boolean(allow_standin, "allow_standin")
    root = os.environ.get(ARTIFACTS_VARIABLE, "").strip()
    return Profile(name, reason, bool(allow_standin),
                   Path(root).expanduser() if root else DEFAULT_ARTIFACTS_ROOT)


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow; optionally make TensorFlow ops deterministic.

    Op determinism makes the same profile give the same numbers on the same
    machine; it can cost a little speed, which a teaching run can afford.
    """
    seed = checks.integer(seed, "seed", minimum=0, maximum=2**32 - 1)
    deterministic = checks.boolean(deterministic, "deterministic")
    import keras
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def environment_report(profile: Profile) -> dict[str, str | int]:
    """Return versions, device and profile (with the reason it was chosen) as a dict."""
    if not isinstance(profile, Profile):
        raise TypeError(f"profile must be a helpers.Profile (from helpers.resolve_profile), got "
                        f"{checks.describe(profile)}.")
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "device": f"GPU ({len(gpus)})" if gpus else f"CPU ({os.cpu_count()} cores)",
        "profile": profile.name,
        "profile_reason": profile.reason,
    }


def setup(seed: int, profile: Profile, deterministic: bool = True) -> dict[str, str | int]:
    """Seed everything and print a one-line environment report; return the report.

    The one seed call a notebook makes, right after it resolves its profile.
    Fails early with a clear message when Keras is older than 3.
    """
    import keras

    checks.integer(seed, "seed", minimum=0, maximum=2**32 - 1)
    checks.boolean(deterministic, "deterministic")
    if not isinstance(profile, Profile):
        raise TypeError(f"profile must be a helpers.Profile (from helpers.resolve_profile), got "
                        f"{checks.describe(profile)}.")
    if int(keras.__version__.split(".")[0]) < 3:
        raise RuntimeError(
            f"These notebooks need Keras 3; found Keras {keras.__version__}. "
            "Install the versions in requirements.txt."
        )
    seed_everything(seed, deterministic=deterministic)
    report = environment_report(profile)
    report["seed"] = int(seed)
    print(f"TensorFlow {report['tensorflow']} · Keras {report['keras']} · {report['device']} · "
          f"seed {seed} · {profile}")
    return report


def artifacts_dir(profile: Profile, create: bool = True) -> Path:
    """Return (and by default create) the folder where ``profile``'s notebooks save models."""
    if not isinstance(profile, Profile):
        raise TypeError(f"profile must be a helpers.Profile, got {checks.describe(profile)}.")
    folder = profile.artifacts_dir
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def use_test_environment(root: str | Path, profile: str = "smoke") -> dict[str, str]:
    """Set the environment that tests, the output-refresh tool and the benchmarks run under.

    Kernels started afterwards inherit it. Values already set win (``setdefault``),
    except ``CNN_PROFILE`` when ``profile`` is not ``"smoke"``. Sets: the profile;
    a Keras home inside ``root/.cache`` (so nothing depends on a developer's
    downloads); a fresh artifacts folder; static widgets (no front end draws
    them); and removes ``MPLBACKEND=Agg``, which would make inline figures
    vanish. TensorFlow's log level is left alone, so kernels start as a
    learner's do (see ``conftest.py``). Returns the variables it set.
    """
    checks.one_of(profile, "profile", PROFILE_NAMES)
    if not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a str or pathlib.Path, got {checks.describe(root)}.")
    root = Path(root)
    if profile == "smoke":
        os.environ.setdefault(PROFILE_VARIABLE, profile)
    else:
        os.environ[PROFILE_VARIABLE] = profile
    os.environ.setdefault("KERAS_HOME", str(root / ".cache" / "keras"))
    os.environ.setdefault(ARTIFACTS_VARIABLE, tempfile.mkdtemp(prefix="cnn-artifacts-"))
    os.environ.setdefault("CNN_STATIC_WIDGETS", "1")
    os.environ.pop("MPLBACKEND", None)
    Path(os.environ["KERAS_HOME"]).mkdir(parents=True, exist_ok=True)  # Keras needs it writable
    names = (PROFILE_VARIABLE, "KERAS_HOME", ARTIFACTS_VARIABLE, "CNN_STATIC_WIDGETS")
    return {name: os.environ[name] for name in names}
