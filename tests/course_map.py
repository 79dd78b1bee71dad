"""The course's concept map: what each notebook introduces and needs, and a check of the order.

Every notebook's metadata says which concepts it teaches and which it relies on::

    "metadata": {"course": {"introduces": ["dropout", ...], "needs": ["compile and fit", ...]}}

and the markdown cell where a concept is taught carries it too (cell metadata
``"introduces": ["dropout"]``), so the check knows *where* in the notebook it is
introduced. :data:`CONCEPTS` names every concept and, where a concept shows in
code, a pattern that finds its use. :func:`check_course` then reports:

* a concept that is not in :data:`CONCEPTS` (a typo, or a new concept to add here);
* a need that no earlier notebook introduces (outside prerequisites aside);
* code that uses a concept before the cell that introduces it, in the notebook
  that introduces it;
* code that uses a concept the notebook neither introduces nor lists as a need;
* a concept introduced twice, or a notebook's list that differs from its cells'.

``tests/test_course_map.py`` runs it on the notebooks and on deliberately broken copies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# What a learner brings from outside the series (README: "You need Python and NumPy").
OUTSIDE_PREREQUISITES = ("Python", "NumPy arrays", "derivative of a function")

# Every concept of the course, in teaching order, with the pattern that finds it in code (None:
# a concept taught in prose and figures, whose order is checked through the notebooks' lists).
CONCEPTS: dict[str, str | None] = {
    # 01 convolution and pooling
    "convolution (cross-correlation)": None,
    "padding and stride": None,
    "output-size formula": None,
    "Keras layer, weights and bias": r"\blayers\.[A-Z]\w*\(",
    "Conv2D": r"\bConv2D\(",
    "Sequential model": r"\bSequential\(",
    "ReLU": r"relu|ReLU",
    "feature map": None,
    "channels and 1×1 convolution": None,
    "max and average pooling": r"MaxPooling2D|AveragePooling2D|\bpool2d\(",
    "Dense layer": r"\bDense\(",
    "weight sharing": None,
    "receptive field": None,
    "GradientTape": r"GradientTape",
    # 02 the CIFAR-10 dataset
    "training and test split": None,
    "class balance": None,
    "per-channel statistics": None,
    "uint8 images scaled to float32": None,
    "sparse and one-hot labels": r"to_categorical",
    # 03 training a CNN
    "logits and softmax": r"softmax",
    "cross-entropy loss": r"[Cc]rossentropy",
    "gradient of the loss": None,
    "gradient descent step": r"optimizers\.SGD|\"sgd\"",
    "learning rate": r"learning_rate",
    "momentum and Adam": r"\bAdam\b|\"adam\"",
    "iterations, batches and epochs": None,
    "compile and fit": r"\.compile\(|\.fit\(",
    "validation split": r"validation_size=|validation_data=",
    "evaluate and predict": r"\.evaluate\(|\.predict\(",
    "tf.data input pipeline": r"image_batches\(|tf\.data\.",
    "dropout": r"\bDropout\(",
    "learning curves and over-fitting": r"plot_learning_curves\(",
    "trainable weights": r"\.trainable_weights",
    # 04 the BatchNorm CNN
    "BatchNormalization": r"BatchNormalization",
    "non-trainable weights": r"non_trainable_weights",
    "ablation": None,
    "paired comparison (McNemar)": None,
    "test set used once": None,
    "saving and loading a model": r"save_trained\(|load_or_train\(|load_artifact\(|\.save\(|load_model\(",
    # 05 LeNet-5 with train_on_batch
    "LeNet-5": None,
    "train_on_batch loop": r"train_on_batch",
    "running-mean metrics": r"reset_metrics",
    "progress bar": r"tqdm",
    "learning-rate schedule": r"CosineDecay|LearningRateSchedule|schedule=",
    # 06 evaluation plots
    "confusion matrix": r"confusion_matrix",
    "precision, recall and F1": r"classification_table\(|precision_recall",
    "calibration": r"plot_confidence\(",
    "filters and feature maps": r"plot_filters\(|plot_feature_maps\(",
    "Grad-CAM": r"grad_cam\b",
    # 07 augmentation and regularisation
    "data augmentation": r"Random(?:Flip|Translation|Rotation|Zoom|Contrast|Crop|Brightness)\(",
    "L2 regularisation": r"regularizers\.",
    "callbacks and early stopping": r"callbacks|EarlyStopping",
    # 08 modern building blocks
    "functional API": r"\bkeras\.Model\(",
    "global average pooling": r"GlobalAveragePooling2D",
    "residual block": r"layers\.[Aa]dd\(",
    "depthwise-separable convolution": r"SeparableConv2D|DepthwiseConv2D",
    "effective receptive field": None,
    # 09 transfer learning and fine-tuning
    "transfer learning": None,
    "freezing and fine-tuning": r"\.trainable\s*=",
    "a custom Layer": r"class \w+\((?:keras\.)?(?:layers\.)?Layer\)",
    "hyperparameter sweep": None,
    "ImageNet-pretrained base": r"keras\.applications|imagenet_base_or\(",
}

COMMENT = re.compile(r"(^|\s)#.*$", re.M)


def load_notebooks(folder: Path = NOTEBOOKS) -> list[tuple[str, dict]]:
    """``(file name, parsed notebook)`` for every ``NN_*.ipynb`` in ``folder``, in order."""
    return [(path.name, json.loads(path.read_text(encoding="utf-8")))
            for path in sorted(folder.glob("[0-9][0-9]_*.ipynb"))]


def declared(notebook: dict) -> tuple[list[str], list[str]]:
    """The notebook's ``(introduces, needs)`` lists from its metadata."""
    course = notebook.get("metadata", {}).get("course", {})
    return list(course.get("introduces", [])), list(course.get("needs", []))


def code_without_comments(cell: dict) -> str:
    return COMMENT.sub(r"\1", "".join(cell.get("source", "")))


def first_use(notebook: dict, concept: str) -> int | None:
    """Index of the first code cell whose code (comments aside) uses ``concept``, if it shows in code."""
    pattern = CONCEPTS.get(concept)
    if pattern is None:
        return None
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code" and re.search(pattern, code_without_comments(cell)):
            return index
    return None


def introducing_cells(notebook: dict) -> dict[str, int]:
    """Concept → index of the markdown cell that introduces it (cell metadata ``introduces``)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(notebook["cells"]):
        for concept in cell.get("metadata", {}).get("introduces", []):
            found.setdefault(concept, index)
    return found


def check_course(notebooks: Iterable[tuple[str, dict]]) -> list[str]:
    """Every problem with the order of concepts in ``notebooks`` (``(name, notebook)``, in course order)."""
    problems: list[str] = []
    taught: dict[str, str] = {}  # concept -> the notebook that introduced it
    for name, notebook in notebooks:
        introduces, needs = declared(notebook)
        cells = introducing_cells(notebook)
        for concept in [*introduces, *needs, *cells]:
            if concept not in CONCEPTS and concept not in OUTSIDE_PREREQUISITES:
                problems.append(f"{name}: {concept!r} is not a concept of tests/course_map.py")
        if list(cells) != introduces:
            problems.append(f"{name}: metadata introduces {introduces}, but its cells introduce "
                            f"{list(cells)} (same concepts, same order)")
        for concept in needs:
            if concept not in taught and concept not in OUTSIDE_PREREQUISITES:
                problems.append(f"{name}: needs {concept!r}, which no earlier notebook introduces")
        for concept in introduces:
            if concept in taught:
                problems.append(f"{name}: introduces {concept!r} again (already in {taught[concept]})")
        for concept in CONCEPTS:
            use = first_use(notebook, concept)
            if use is None:
                continue
            if concept in cells:
                if use < cells[concept]:
                    problems.append(f"{name}: cell {use} uses {concept!r} before cell {cells[concept]} "
                                    "introduces it")
            elif concept not in needs:
                where = f"introduced in {taught[concept]}" if concept in taught else "introduced nowhere earlier"
                problems.append(f"{name}: cell {use} uses {concept!r} ({where}) without listing it as a need")
        for concept in introduces:
            taught.setdefault(concept, name)
    return problems


def introduced_by(notebooks: Iterable[tuple[str, dict]]) -> dict[str, str]:
    """Concept → the file name of the notebook that introduces it."""
    return {concept: name for name, notebook in notebooks for concept in declared(notebook)[0]}
