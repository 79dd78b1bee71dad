"""The setup cell's Colab branch, run here: a stand-in ``google.colab`` and a local clone URL."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sync_notebooks
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import colab_requirements  # noqa: E402

# Runs a cell the way a kernel does (IPython, so `%matplotlib inline` works), as if in Colab.
RUN_AS_COLAB = """
import sys, types
sys.modules["google.colab"] = types.ModuleType("google.colab")  # what Colab's kernel has loaded
from IPython.core.interactiveshell import InteractiveShell
class Kernel(InteractiveShell):
    def enable_gui(self, gui=None):  # `%matplotlib inline` needs no event loop
        pass
result = Kernel.instance().run_cell(open(sys.argv[1], encoding="utf-8").read())
result.raise_error()
import helpers
print("helpers from", helpers.__file__)
"""


def setup_cell(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


@pytest.fixture(scope="module")
def colab_run(tmp_path_factory):
    """Run notebook 01's setup cell in an empty folder, cloning this repository's committed HEAD."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of this repository to clone from")
    source = setup_cell(sync_notebooks.notebooks()[0])
    published = f'REPOSITORY = "{sync_notebooks.repository_url()}"'
    assert published in source
    source = source.replace(published, f'REPOSITORY = "{ROOT.as_uri()}"')  # file://, so --depth=1 applies
    folder = tmp_path_factory.mktemp("content")  # Colab's /content: empty, nothing importable
    cell = folder.parent / "setup_cell.py"
    cell.write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND", "VIRTUAL_ENV")}  # as on Colab
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN_AS_COLAB, str(cell)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    return done, time.perf_counter() - start, folder


def test_the_colab_branch_clones_checks_versions_and_imports_helpers(colab_run):
    done, seconds, folder = colab_run
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Cloned {ROOT.as_uri()} into {folder / 'cnn-notebooks'}"
    # Everything is installed here, so nothing is (and no network is needed). On the main stack
    # TensorFlow is already what requirements.txt asks for; on Colab's own stack (CI's second step,
    # tests/stacks/colab.txt) the setup cell keeps Colab's older build and says so. Keras is raised
    # on Colab, so it is satisfied on both.
    assert "Installed: nothing (all present)" in lines
    already = next(line for line in lines if line.startswith("Already there: "))
    kept = next((line for line in lines if line.startswith("Kept Colab's own: ")), "")
    assert "keras " in already and "keras " not in kept
    assert ("tensorflow " in already) != ("tensorflow " in kept), (already, kept)
    if "tensorflow " in kept:
        assert "tested with >=" in kept and "CI tests" in kept
    assert lines[-1] == f"helpers from {folder / 'cnn-notebooks' / 'helpers' / '__init__.py'}"
    assert done.stderr == ""  # importing helpers also kept TensorFlow's start-up notices off stderr
    assert seconds < 60, f"the setup cell took {seconds:.0f} s"


def test_requirements_are_checked_from_the_one_list():
    names = [r.name for r in colab_requirements.runtime_requirements()]
    assert "keras" in names and "tensorflow" in names
    assert not set(names) & colab_requirements.DEVELOPMENT_ONLY


def test_pins_on_tensorflows_dependencies_are_installed_here_and_left_to_colab():
    """requirements.txt holds back a slow ml_dtypes; Colab's TensorFlow keeps its own, so the setup cell
    never installs it. Each such pin must name something TensorFlow really depends on."""
    from importlib.metadata import requires

    from packaging.utils import canonicalize_name

    pinned = {canonicalize_name(Requirement(line.split("#", 1)[0]).name)
              for line in colab_requirements.REQUIREMENTS.read_text(encoding="utf-8").splitlines()
              if line.split("#", 1)[0].strip() and not line.startswith("-")}
    tensorflows = {canonicalize_name(Requirement(line).name) for line in requires("tensorflow")}
    assert colab_requirements.TENSORFLOW_DEPENDENCY_PINS <= pinned & tensorflows
    runtime = {canonicalize_name(r.name) for r in colab_requirements.runtime_requirements()}
    assert not runtime & colab_requirements.TENSORFLOW_DEPENDENCY_PINS


def imported_distributions() -> set[str]:
    """The distributions whose modules helpers/ and the notebooks' code cells import."""
    import ast
    from importlib.metadata import packages_distributions

    modules = set()
    sources = [path.read_text(encoding="utf-8") for path in (ROOT / "helpers").glob("*.py")]
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        sources += ["\n".join(line for line in "".join(cell["source"]).splitlines()
                              if not line.lstrip().startswith(("%", "!")))  # IPython magics
                    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]
                    if cell["cell_type"] == "code"]
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    owners = packages_distributions()
    return {owner.lower() for module in modules - set(sys.stdlib_module_names) - {"helpers"}
            for owner in owners.get(module, [module])}


def test_a_learners_runtime_gets_what_the_notebooks_import_and_no_tool():
    """Colab installs the runtime part of requirements.txt: each must be imported by a notebook or by
    helpers (a test or lint tool there, like pytest-xdist was, fails this), and everything imported
    must come from it, from what it depends on, or from the kernel itself (IPython)."""
    from importlib.metadata import requires

    runtime = {r.name.lower() for r in colab_requirements.runtime_requirements()}
    imported = imported_distributions()
    assert runtime <= imported, f"not imported by any notebook or helper, so not for learners: {runtime - imported}"
    brought = {Requirement(line).name.lower() for name in runtime for line in requires(name) or ()
               if "extra ==" not in line}
    assert imported - runtime - brought <= {"ipython"}, imported - runtime - brought


def test_only_missing_or_too_old_packages_are_installed(monkeypatch):
    from packaging.requirements import Requirement

    versions = {"keras": "3.10.0", "tqdm": "4.70.1", "numpy": "2.0.2", "tensorflow": "2.19.0"}
    monkeypatch.setattr(colab_requirements, "installed_version", versions.get)
    wanted = [Requirement(r) for r in ("keras>=3.15,<4", "tqdm>=4.70", "numpy>=2.4", "tensorflow>=2.21",
                                       "newthing>=1")]
    install, kept, satisfied = colab_requirements.plan(wanted, {"numpy": "2.0.2", "tensorflow": "2.20.0"})
    assert install == ["keras<4,>=3.15", "newthing>=1"]
    assert kept == ["numpy 2.0.2 (tested with >=2.4; CI tests this version too, as Colab's)",  # kept
                    "tensorflow 2.19.0 (tested with >=2.21; CI tests Colab's 2.20.0)"]
    assert satisfied == ["tqdm 4.70.1"]


def test_the_colab_stack_ci_tests_pins_every_runtime_package_and_a_python():
    stack = colab_requirements.colab_stack()
    runtime = {r.name.lower() for r in colab_requirements.runtime_requirements()}
    assert set(stack) == runtime, set(stack) ^ runtime
    text = colab_requirements.COLAB_STACK.read_text(encoding="utf-8")
    assert re.search(r"^# python: 3\.\d+$", text, re.M)  # .ci/run reads it
    assert re.search(r"^# Read on \d{4}-\d\d-\d\d from ", text, re.M)  # and when it was read
