"""Test configuration for every pytest run in this repository, applied before any
notebook kernel starts (it sits at the root so `pytest notebooks/...` gets it too).

Kernels inherit this process's environment; ``helpers.runtime.use_test_environment``
sets it (the same function the output-refresh tool and the benchmarks use): the
``smoke`` profile unless ``CNN_PROFILE`` is already set, a Keras home inside
``.cache/``, a fresh artifacts folder, static widgets, and no ``MPLBACKEND=Agg``.
"""

from pathlib import Path

from helpers.runtime import use_test_environment

ROOT = Path(__file__).resolve().parent


def pytest_configure(config):
    use_test_environment(ROOT)


def pytest_collectstart(collector):
    # TensorFlow writes to stderr at will; nbval's documented recipe skips comparing it.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
