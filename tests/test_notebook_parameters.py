"""The parameters cell decides what a notebook does, and notebook 06 evaluates what 05 saved.

The first cells of notebooks 01, 05 and 06 run with ``CNN_PROFILE`` unset, so the only thing
that can choose the profile is what the parameters cell says (as a teacher's edit or a
papermill override would). They run one after another in one fresh kernel, its namespace
emptied (``%reset -f``) before each notebook as if it had a kernel of its own: every kernel
start pays TensorFlow's import again (about 6 s).
"""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import helpers
from helpers import recipes
from helpers.runtime import gpu_available

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def with_parameters(path: Path, **values) -> nbformat.NotebookNode:
    """The notebook with NAME = value assignments rewritten in its parameters cell."""
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    for name, value in values.items():
        cell.source, count = re.subn(rf"^{name} = .*$", f"{name} = {value!r}", cell.source, flags=re.M)
        assert count == 1, f"{path.name} has no parameter {name}"
    return notebook


def first_cells(notebook: nbformat.NotebookNode, through: str, then: str | None = None) -> list:
    """The notebook's cells up to the first code cell containing ``through``, and ``then`` after it."""
    last = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and through in c.source)
    return notebook.cells[:last + 1] + ([nbformat.v4.new_code_cell(then)] if then else [])


# Empties the namespace and prints what is left that a notebook could use (IPython's own names aside).
RESET = """%reset -f
print("names kept from before:", sorted(name for name in globals() if not name.startswith("_")
                                        and name not in ("In", "Out", "get_ipython", "exit", "quit", "open")))"""


def execute_in_one_kernel(parts: dict[str, list]) -> dict[str, str]:
    """Run each part's cells in turn in one fresh kernel, the namespace emptied before each part, in the
    notebooks' folder; return each part's text output."""
    cells, spans = [], {}
    for name, part in parts.items():
        reset = [nbformat.v4.new_code_cell(RESET)] if cells else []
        spans[name] = (len(cells), len(cells) + len(reset) + len(part))
        cells += reset + part
    notebook = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(notebook, timeout=600, kernel_name="python3", shutdown_kernel="immediate",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return {name: "\n".join(output.get("text", "") for cell in notebook.cells[start:stop]
                            if cell.cell_type == "code" for output in cell.outputs)
            for name, (start, stop) in spans.items()}


def save_untrained_hand_offs() -> None:
    """What 05 saves at its end (on Fashion-MNIST), and what 04 saves: untrained models spare these
    tests the training (the nbval run trains and saves them for real)."""
    smoke = helpers.resolve_profile("smoke")
    fashion = helpers.load_dataset("fashion_mnist", smoke, validation_size=0.1)
    record = helpers.TrainingRecord(iterations=[1], train_loss=[2.3], train_accuracy=[0.1], batch_size=100)
    helpers.save_trained(recipes.LENET5, smoke, fashion, helpers.models.lenet5(), record)
    cifar = helpers.load_dataset("cifar10", smoke, train_size=100, test_size=20, validation_size=0.2)
    untrained = recipes.BATCHNORM_CNN.build(recipes.BATCHNORM_CNN.budget(smoke))
    helpers.save_trained(recipes.BATCHNORM_CNN, smoke, cifar, untrained, {"loss": [2.3], "val_loss": [2.3]})


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Each notebook's text output, and the artifacts folder its kernel used."""
    artifacts = tmp_path_factory.mktemp("artifacts")
    with pytest.MonkeyPatch.context() as environment:  # the kernel inherits this process's environment
        environment.delenv("CNN_PROFILE", raising=False)
        environment.delenv("CNN_ALLOW_STANDIN", raising=False)
        environment.setenv("CNN_ARTIFACTS_DIR", str(artifacts))
        save_untrained_hand_offs()
        texts = execute_in_one_kernel({
            "01": first_cells(nbformat.read(NOTEBOOKS / "01_convolution_and_pooling.ipynb", as_version=4),
                              "resolve_profile(PROFILE)", "print('resolved:', profile.name, PHOTO_DOWNSCALE)"),
            # 05 with PROFILE = "smoke" and DATASET = "fashion_mnist" written in its parameters cell
            "05": first_cells(with_parameters(NOTEBOOKS / "05_lenet5_mnist_train_on_batch.ipynb",
                                              PROFILE="smoke", DATASET="fashion_mnist"),
                              "helpers.load_dataset(DATASET", "print(data.summary())"),
            # 06 up to loading and evaluating what was saved; its plots are nbval's
            "06": first_cells(with_parameters(NOTEBOOKS / "06_evaluation_plots.ipynb", PROFILE="smoke"),
                              "def make_case("),
        })
    return texts, artifacts


def test_profile_none_without_the_variable_runs_quick_on_a_cpu_and_says_why(outputs):
    if gpu_available():
        pytest.skip("this machine has a GPU: PROFILE = None would mean full")
    text = outputs[0]["01"]
    assert "profile quick (PROFILE = None and TensorFlow sees no GPU)" in text
    assert "resolved: quick 4" in text  # and the quick photo size follows (smoke: 8, full: 2)


def test_smoke_in_the_parameters_cell_runs_smoke(outputs):
    text = outputs[0]["05"]
    assert "profile smoke (PROFILE = 'smoke' in the parameters cell)" in text
    assert re.search(r"x_train\s+\(900, 28, 28\)", text) and re.search(r"x_val\s+\(100, 28, 28\)", text)
    assert re.search(r"x_test\s+\(300, 28, 28\)", text)  # the smoke sizes of the registry


def test_notebook_06_evaluates_what_05_saved_under_the_dataset_05_ran_with(outputs):
    """A LeNet-5 saved under the dataset 05 ran with (Fashion-MNIST here) is what 06 evaluates.
    (nbval runs 05 and 06 whole, in order, under $CNN_PROFILE=smoke; this checks the hand-off
    without training.)"""
    texts, artifacts = outputs
    assert (artifacts / "smoke" / "lenet5_fashion_mnist" / "model.keras").exists()
    assert "lenet5_fashion_mnist: loaded the model notebook 05 saved" in texts["06"]
    assert re.search(r"LeNet-5 on Fashion-MNIST +[\d.]+ of +100 +[\d.]+ of +300", texts["06"])  # validation, test


def test_each_notebook_starts_from_an_empty_namespace(outputs):
    """The shared kernel hides nothing: what 01 defined is gone when 05 starts, and 05's when 06 does."""
    texts = outputs[0]
    assert "names kept from before: []" in texts["05"] and "names kept from before: []" in texts["06"]
