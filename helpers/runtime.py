"""Run profile, seeding, environment report and where artifacts go.

The profile is read from one environment variable, ``CNN_PROFILE``:

* ``full`` (default) – whole datasets, the recipes' own training budgets;
* ``quick`` – real data, subsets, a few minutes per notebook on a laptop CPU;
* ``smoke`` – small slices and offline stand-ins; seconds per notebook (tests).
"""

from __future__ import annotations

import os
import platform
import random
from pathlib import Path
from typing import TypeVar

import numpy as np

PROFILE_VARIABLE = "CNN_PROFILE"
PROFILES = ("full", "quick", "smoke")
DEFAULT_PROFILE = "full"
ARTIFACTS_VARIABLE = "CNN_ARTIFACTS_DIR"

T = TypeVar("T")


def active_profile() -> str:
    """Return the run profile named by ``$CNN_PROFILE`` (``"full"`` when unset).

    Raises:
        ValueError: the variable holds something other than a known profile.
    """
    value = os.environ.get(PROFILE_VARIABLE, "").strip().lower() or DEFAULT_PROFILE
    if value not in PROFILES:
        raise ValueError(
            f"{PROFILE_VARIABLE}={os.environ[PROFILE_VARIABLE]!r} is not a known profile; "
            f"expected one of {', '.join(PROFILES)}."
        )
    return value


def by_profile(*, full: T, quick: T, smoke: T, profile: str | None = None) -> T:
    """Return the value given for the active profile (or for ``profile``).

    Lets a parameters cell read ``EPOCHS = by_profile(full=12, quick=3, smoke=1)``.
    """
    chosen = active_profile() if profile is None else profile
    if chosen not in PROFILES:
        raise ValueError(f"profile={chosen!r} is not a known profile; expected one of {PROFILES}.")
    return {"full": full, "quick": quick, "smoke": smoke}[chosen]


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow; optionally make TensorFlow ops deterministic.

    Op determinism makes the same profile give the same numbers on the same
    machine; it can cost a little speed, which a teaching run can afford.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    import keras
    import tensorflow as tf

    random.seed(int(seed))
    np.random.seed(int(seed))
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def environment_report() -> dict[str, str | int]:
    """Return versions, device and profile as a dict (see :func:`setup`)."""
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "device": f"GPU ({len(gpus)})" if gpus else f"CPU ({os.cpu_count()} cores)",
        "profile": active_profile(),
    }


def setup(seed: int = 42, deterministic: bool = True) -> dict[str, str | int]:
    """Seed everything and print a one-line environment report; return the report.

    The one seed call a notebook makes. Fails early with a clear message when
    Keras is older than 3, which these notebooks are written for.
    """
    import keras

    if int(keras.__version__.split(".")[0]) < 3:
        raise RuntimeError(
            f"These notebooks need Keras 3; found Keras {keras.__version__}. "
            "Install the versions in requirements.txt."
        )
    seed_everything(seed, deterministic=deterministic)
    report = environment_report()
    report["seed"] = int(seed)
    print(
        f"TensorFlow {report['tensorflow']} · Keras {report['keras']} · "
        f"{report['device']} · profile {report['profile']} · seed {seed}"
    )
    return report


def artifacts_dir(create: bool = True) -> Path:
    """Return the folder where notebooks save models and histories for later notebooks.

    ``$CNN_ARTIFACTS_DIR`` when set, else ``~/.cache/cnn-notebooks``; always with
    one subfolder per profile so a smoke test never overwrites a full run.
    """
    base = os.environ.get(ARTIFACTS_VARIABLE) or Path.home() / ".cache" / "cnn-notebooks"
    folder = Path(base).expanduser() / active_profile()
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder
