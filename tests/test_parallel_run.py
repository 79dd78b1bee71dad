"""How pytest-xdist splits the run: whole notebooks, and notebooks that hand models on kept together."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def root_conftest():
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_of(path: Path) -> str:
    return "\n".join("".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]
                     if cell["cell_type"] == "code")


def test_a_notebook_is_one_unit_and_a_test_file_is_one_unit():
    run_unit = root_conftest().run_unit
    first = "notebooks/01_convolution_and_pooling.ipynb"
    assert run_unit(f"{first}::Cell 3") == first
    assert run_unit("notebooks/07_augmentation_and_regularisation.ipynb::Cell 0") == run_unit(
        "notebooks/07_augmentation_and_regularisation.ipynb::Cell 40")
    assert run_unit("tests/test_data.py::test_image_batches_refuse_float_images") == "tests/test_data.py"
    assert run_unit("tests/test_bad_input.py::test_bad_input[kwargs0-x]") == "tests/test_bad_input.py"


def test_every_notebook_that_saves_or_loads_a_hand_off_shares_one_unit():
    """A notebook that loads what another saved must run after it, in the same process."""
    run_unit = root_conftest().run_unit
    handing_on = [path for path in NOTEBOOKS
                  if any(call in code_of(path) for call in ("save_trained(", "load_or_train(", "load_artifact("))]
    assert len(handing_on) >= 2, "expected the notebooks that save models and the one that loads them"
    units = {run_unit(f"notebooks/{path.name}::Cell 0") for path in handing_on}
    assert units == {"notebooks 04-06"}, [path.name for path in handing_on]
    others = [path for path in NOTEBOOKS if path not in handing_on]
    assert all(run_unit(f"notebooks/{path.name}::Cell 0") == f"notebooks/{path.name}" for path in others)


def test_units_are_handed_out_chain_then_notebooks_then_slow_test_files_then_the_rest():
    conftest = root_conftest()
    ids = ["tests/test_ops.py::test_x", "tests/test_training.py::test_y", "notebooks/05_lenet5.ipynb::Cell 0",
           "tests/test_notebook_parameters.py::test_z", "notebooks/01_convolution.ipynb::Cell 2",
           "notebooks/04_batchnorm.ipynb::Cell 1"]
    ordered = sorted(ids, key=conftest.hand_out_order)
    assert ordered == ["notebooks/05_lenet5.ipynb::Cell 0", "notebooks/04_batchnorm.ipynb::Cell 1",
                       "notebooks/01_convolution.ipynb::Cell 2", "tests/test_notebook_parameters.py::test_z",
                       "tests/test_training.py::test_y", "tests/test_ops.py::test_x"]
    assert all((ROOT / path).exists() for path in conftest.SLOW_TEST_FILES)


def test_the_parallel_run_is_configured_with_this_scheduler():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"-n", "2", "--dist", "loadfile"' in pyproject
    assert "pytest-xdist" in (ROOT / "requirements.txt").read_text()


class FakeConfig:
    """Just what pytest-xdist's scheduler reads from a pytest config."""

    def __init__(self, dist: str):
        self.dist = dist
        self.option = type("Options", (), {"loadscopereorder": True})()

    def getoption(self, name):
        return {"dist": self.dist}[name]

    def getvalue(self, name):
        return {"tx": ["2*popen"]}[name]


def test_the_scheduler_hands_out_notebooks_04_to_06_as_one_unit_in_collection_order():
    conftest = root_conftest()
    assert conftest.pytest_xdist_make_scheduler(FakeConfig("load"), log=None) is None  # other modes: xdist's own
    config = FakeConfig("loadfile")
    scheduler = conftest.pytest_xdist_make_scheduler(config, log=None)
    assert scheduler._split_scope("notebooks/05_lenet5_mnist_train_on_batch.ipynb::Cell 2") == "notebooks 04-06"
    assert scheduler._split_scope("notebooks/06_evaluation_plots.ipynb::Cell 0") == "notebooks 04-06"
    assert scheduler._split_scope("notebooks/03_training_a_cnn_cifar10.ipynb::Cell 0") == (
        "notebooks/03_training_a_cnn_cifar10.ipynb")
    assert scheduler._split_scope("tests/test_data.py::test_x") == "tests/test_data.py"
    assert config.option.loadscopereorder is False  # the units go out in the workers' order, longest first


def module_level_imports(path: Path) -> set[str]:
    """The top-level packages a Python file imports outside any function."""
    import ast

    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_conftest_imports_tensorflow_when_pytest_loads_it():
    """pytest loads every conftest.py in the controller of an xdist run too, which runs no test: one that
    imported helpers (so TensorFlow and Keras) at module level held every worker back (about 9 s)."""
    conftests = [ROOT / "conftest.py", *sorted((ROOT / "tests").glob("**/conftest.py")),
                 *sorted((ROOT / "notebooks").glob("**/conftest.py"))]
    assert len(conftests) >= 2
    for path in conftests:
        heavy = module_level_imports(path) & {"helpers", "tensorflow", "keras"}
        assert not heavy, f"{path.relative_to(ROOT)} imports {sorted(heavy)} at module level"
