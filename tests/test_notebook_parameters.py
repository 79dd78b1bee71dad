"""The parameters cell decides what a notebook does, and notebook 06 evaluates what 05 saved.

These run notebooks in fresh kernels with ``CNN_PROFILE`` unset, so the only thing
that can choose the profile is what the parameters cell says (as a teacher's edit or
a papermill override would).
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


def execute(notebook: nbformat.NotebookNode, cells: int | None = None) -> str:
    """Run the first ``cells`` cells (all by default) in the notebooks' folder; return their text output."""
    if cells is not None:
        notebook.cells = notebook.cells[:cells]
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return "\n".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                     for output in cell.outputs)


@pytest.fixture
def no_profile_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("CNN_PROFILE", raising=False)
    monkeypatch.delenv("CNN_ALLOW_STANDIN", raising=False)
    monkeypatch.setenv("CNN_ARTIFACTS_DIR", str(tmp_path))
    return tmp_path


def test_profile_none_without_the_variable_runs_quick_on_a_cpu_and_says_why(no_profile_variable):
    if gpu_available():
        pytest.skip("this machine has a GPU: PROFILE = None would mean full")
    notebook = nbformat.read(NOTEBOOKS / "01_convolution_and_pooling.ipynb", as_version=4)
    resolve = next(i for i, c in enumerate(notebook.cells) if "resolve_profile(PROFILE)" in c.source)
    notebook.cells.insert(resolve + 1, nbformat.v4.new_code_cell("print('resolved:', profile.name, PHOTO_DOWNSCALE)"))
    text = execute(notebook, cells=resolve + 2)
    assert "profile quick (PROFILE = None and TensorFlow sees no GPU)" in text
    assert "resolved: quick 4" in text  # and the quick photo size follows (smoke: 8, full: 2)


def test_smoke_in_the_cell_runs_smoke_and_notebook_06_evaluates_what_05_saved(no_profile_variable):
    """Notebook 05 with PROFILE = "smoke" and DATASET = "fashion_mnist" written in its parameters
    cell loads the smoke sizes; a LeNet-5 saved under that dataset is what notebook 06 then
    evaluates. (nbval runs 05 and 06 whole, in order, under $CNN_PROFILE=smoke; this test checks
    the parameters cell and the dataset hand-off without training.)"""
    notebook_05 = with_parameters(NOTEBOOKS / "05_lenet5_mnist_train_on_batch.ipynb",
                                  PROFILE="smoke", DATASET="fashion_mnist")
    loaded = next(i for i, c in enumerate(notebook_05.cells) if "helpers.load_dataset(DATASET" in c.source)
    notebook_05.cells.insert(loaded + 1, nbformat.v4.new_code_cell("print(data.summary())"))
    text_05 = execute(notebook_05, cells=loaded + 2)
    assert "profile smoke (PROFILE = 'smoke' in the parameters cell)" in text_05
    assert re.search(r"x_train\s+\(900, 28, 28\)", text_05) and re.search(r"x_val\s+\(100, 28, 28\)", text_05)
    assert re.search(r"x_test\s+\(300, 28, 28\)", text_05)  # the smoke sizes of the registry

    # What 05 saves at its end, and what 04 saves: untrained models spare this test the training
    # (the nbval run trains and saves them for real).
    smoke = helpers.resolve_profile("smoke")
    fashion = helpers.load_dataset("fashion_mnist", smoke, validation_size=0.1)
    record = helpers.TrainingRecord(iterations=[1], train_loss=[2.3], train_accuracy=[0.1], batch_size=100)
    helpers.save_trained(recipes.LENET5, smoke, fashion, helpers.models.lenet5(), record)
    cifar = helpers.load_dataset("cifar10", smoke, train_size=100, test_size=20, validation_size=0.2)
    untrained = recipes.BATCHNORM_CNN.build(recipes.BATCHNORM_CNN.budget(smoke))
    helpers.save_trained(recipes.BATCHNORM_CNN, smoke, cifar, untrained, {"loss": [2.3], "val_loss": [2.3]})
    assert (no_profile_variable / "smoke" / "lenet5_fashion_mnist" / "model.keras").exists()

    notebook_06 = with_parameters(NOTEBOOKS / "06_evaluation_plots.ipynb", PROFILE="smoke")
    cases = next(i for i, c in enumerate(notebook_06.cells) if c.source.startswith("def make_case("))
    text_06 = execute(notebook_06, cells=cases + 1)  # loading and evaluating; plots are nbval's
    assert "lenet5_fashion_mnist: loaded the model notebook 05 saved" in text_06
    assert re.search(r"LeNet-5 on Fashion-MNIST +[\d.]+ of +100 +[\d.]+ of +300", text_06)  # validation, test
