"""Test configuration for every pytest run in this repository, applied before any
notebook kernel starts (it sits at the root so `pytest notebooks/...` gets it too).

Kernels inherit this process's environment, so everything is set here with
``setdefault`` (a developer can still run ``CNN_PROFILE=quick pytest``):

* the ``smoke`` profile – small slices, announced offline stand-ins;
* a Keras home inside the repository's ``.cache/`` (git-ignored), so tests never
  depend on what a developer has downloaded, and Debian's Fashion-MNIST can be
  copied there for the real-data test;
* a fresh artifacts folder per run, so notebooks pass the same whatever ran before;
* static widgets (nbval attaches no front end to draw them);
* no ``MPLBACKEND=Agg``, which would make inline figures vanish from the outputs.
"""

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    os.environ.setdefault("CNN_PROFILE", "smoke")
    os.environ.setdefault("KERAS_HOME", str(ROOT / ".cache" / "keras"))
    os.environ.setdefault("CNN_ARTIFACTS_DIR", tempfile.mkdtemp(prefix="cnn-artifacts-"))
    os.environ.setdefault("CNN_STATIC_WIDGETS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ chatter out of logs
    os.environ.pop("MPLBACKEND", None)
    Path(os.environ["KERAS_HOME"]).mkdir(parents=True, exist_ok=True)  # Keras needs it writable


def pytest_collectstart(collector):
    # TensorFlow writes to stderr at will; nbval's documented recipe skips comparing it.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
