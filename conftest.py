"""Test configuration for every pytest run in this repository, applied before any
notebook kernel starts (it sits at the root so `pytest notebooks/...` gets it too).

Kernels inherit this process's environment; ``helpers.runtime.use_test_environment``
sets it (the same function the output-refresh tool and the benchmarks use): the
``smoke`` profile unless ``CNN_PROFILE`` is already set, a Keras home inside
``.cache/``, a fresh artifacts folder, static widgets, and no ``MPLBACKEND=Agg``.

A notebook cell that writes to stderr fails its nbval test item (learners see
stderr as a red block), unless every line is on ``STDERR_ALLOWED`` below. The
check reads the outputs nbval already collected: no notebook runs twice.
"""

import gc
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

# Importing helpers (in pytest_configure) sets TF_CPP_MIN_LOG_LEVEL in this process; remember
# whether it was ours, so kernels start as a learner's do and the setup cell has to quieten TensorFlow.
TF_LOG_LEVEL_WAS_SET = "TF_CPP_MIN_LOG_LEVEL" in os.environ
# Keras reads $KERAS_HOME once, when it is imported, and importing helpers imports it: set the
# test run's Keras home first (use_test_environment keeps it), so that no test reads or writes
# the developer's ~/.keras.
os.environ.setdefault("KERAS_HOME", str(ROOT / ".cache" / "keras"))

# What a notebook may write to stderr, one commented pattern each, removed from a cell's
# stderr before the check (re.M: ^ and $ are line boundaries).
STDERR_ALLOWED = (
    # The offline stand-in datasets announce themselves on purpose, as a StandInWarning under
    # `smoke` (which the tests run); real data never does. Its further lines start with "***";
    # Python's warning display adds the calling line, indented.
    re.compile(r"^.*STAND-IN DATA.*\n(?:\*\*\*.*\n|[ \t]+.*\n)*", re.M),
)


# What helpers.runtime.use_test_environment sets; all present means a pytest run started this one
# (tests/test_notebook_stderr.py runs nbval in a subprocess) and there is nothing to add.
TEST_ENVIRONMENT = ("CNN_PROFILE", "KERAS_HOME", "CNN_ARTIFACTS_DIR", "CNN_STATIC_WIDGETS")


def pytest_configure(config):
    if config.getoption("numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ:
        # pytest-xdist's controller runs no test: each worker sets the environment itself, so the
        # controller skips importing helpers (TensorFlow: 6 s before any worker starts).
        return
    if all(name in os.environ for name in TEST_ENVIRONMENT) and "MPLBACKEND" not in os.environ:
        Path(os.environ["KERAS_HOME"]).mkdir(parents=True, exist_ok=True)
        return  # use_test_environment would change nothing else; importing helpers costs 6 s
    from helpers.runtime import use_test_environment

    use_test_environment(ROOT)
    if not TF_LOG_LEVEL_WAS_SET:
        os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)


def pytest_unconfigure(config):
    if "tensorflow" in sys.modules:
        # Nothing is left to run: spare the process's exit its last full garbage collection, a walk
        # over every object TensorFlow and Keras made (1.2 s, and pytest-xdist waits for its workers).
        gc.freeze()


# Notebooks 04 and 05 save the models notebook 06 evaluates, so the three run in one process,
# in order, also when pytest-xdist spreads the run over processes (pyproject.toml: -n 2).
HAND_OFF_CHAIN = ("notebooks/04_", "notebooks/05_", "notebooks/06_")
CHAIN_UNIT = "notebooks 04-06"


def run_unit(nodeid: str) -> str:
    """What pytest-xdist hands to one worker as a whole: a file, or notebooks 04-06 together."""
    path = nodeid.split("::", 1)[0]
    return CHAIN_UNIT if path.startswith(HAND_OFF_CHAIN) else path


# The test files that start kernels or subprocesses, or train (10-30 s each under smoke): handed
# out right after the notebooks, so that the run ends on short files and neither worker waits
# long for the other. Measured with `pytest --durations=0`; an order, not a contract.
SLOW_TEST_FILES = ("tests/test_notebook_parameters.py", "tests/test_training.py",
                   "tests/test_notebook_stderr.py", "tests/test_models.py", "tests/test_colab_setup.py")


def hand_out_order(nodeid: str) -> tuple:
    """Sort key of a test in the order xdist hands out units: the chained notebooks, the other
    notebooks, the slow test files, then the rest (a stable sort keeps each unit's own order)."""
    unit = run_unit(nodeid)
    if unit == CHAIN_UNIT:
        return (0, 0)
    if unit.startswith("notebooks/"):
        return (1, 0)
    return (2, SLOW_TEST_FILES.index(unit)) if unit in SLOW_TEST_FILES else (3, 0)


def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput"):  # an xdist worker: the order the scheduler hands out units in
        items.sort(key=lambda item: hand_out_order(item.nodeid))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with notebooks 04-06 as one unit; every notebook keeps one kernel."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class HandOffScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return run_unit(nodeid)

    config.option.loadscopereorder = False  # keep the order above
    return HandOffScheduling(config, log)


def pytest_collectstart(collector):
    # Stored outputs never hold stderr, so nbval must not compare it; it is checked below.
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


def unexpected_stderr(text: str, allowed=STDERR_ALLOWED) -> list[str]:
    """The non-blank lines of ``text`` left once every ``allowed`` pattern is removed."""
    text = text if text.endswith("\n") else text + "\n"
    for pattern in allowed:
        text = pattern.sub("", text)
    return [line for line in text.splitlines() if line.strip()]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    outputs = getattr(item, "test_outputs", None) or ()  # filled by nbval's cell items
    text = "".join(o.get("text", "") for o in outputs
                   if o.get("output_type") == "stream" and o.get("name") == "stderr")
    lines = unexpected_stderr(text)
    if lines:
        item.raise_cell_error("The cell wrote to stderr, which a learner sees as a red block; fix "
                              "the cause or allowlist it in conftest.py with a reason:\n" + "\n".join(lines))
    return result
