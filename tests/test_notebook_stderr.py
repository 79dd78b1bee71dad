"""The stderr check that the root conftest.py applies to every nbval cell."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
root_conftest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(root_conftest)
unexpected_stderr = root_conftest.unexpected_stderr

STANDIN = ("/tmp/ipykernel_77/3094.py:5: StandInWarning: *** STAND-IN DATA *** cifar10 is not cached; "
           "no download tried.\n*** generated shapes and textures\n"
           "  data = helpers.load_dataset(\"cifar10\", profile)\n")
KERAS = ("/venv/keras/src/models/functional.py:259: UserWarning: The structure of `inputs` doesn't match\n"
         "  warnings.warn(msg)\n")


def test_an_announced_stand_in_is_allowed_with_its_source_line():
    assert unexpected_stderr(STANDIN) == []
    assert unexpected_stderr("\n" + STANDIN + "\n") == []


def test_anything_else_is_reported_line_by_line():
    assert unexpected_stderr(KERAS) == KERAS.splitlines()
    assert unexpected_stderr(STANDIN + KERAS) == KERAS.splitlines()  # the excuse ends with its record
    assert unexpected_stderr(KERAS + STANDIN) == KERAS.splitlines()
    assert unexpected_stderr("E0000 cuInit failed\n") == ["E0000 cuInit failed"]


def test_the_allowlist_is_short_and_every_entry_is_explained():
    source = (Path(__file__).resolve().parent.parent / "conftest.py").read_text()
    block = source[source.index("STDERR_ALLOWED = ("):source.index("\n)\n", source.index("STDERR_ALLOWED"))]
    patterns = re.findall(r"^\s*re\.compile\(", block, re.M)
    assert 1 <= len(patterns) <= 5 and block.count("#") >= len(patterns)


def test_an_nbval_run_fails_the_cell_that_wrote_to_stderr_and_only_that_one(tmp_path):
    """End to end, with the root conftest as the only plugin: no second execution, one failed item."""
    notebook = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                 "display_name": "Python 3 (ipykernel)"}})
    notebook.cells = [nbformat.v4.new_code_cell("print('quiet')"),
                      nbformat.v4.new_code_cell("import warnings\n"
                                                "warnings.warn('*** STAND-IN DATA *** x\\n*** y')"),
                      nbformat.v4.new_code_cell("import sys\nsys.stderr.write('E0000 cuInit failed\\n')")]
    nbformat.write(notebook, tmp_path / "probe.ipynb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider",
                          "--nbval-lax", "--nbval-current-env", "-q", "probe.ipynb"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 2 passed" in run.stdout
    assert "probe.ipynb::Cell 2" in run.stdout and "E0000 cuInit failed" in run.stdout
