"""Execute notebooks and store them the way the tests expect.

    python tests/refresh_notebook_outputs.py notebooks/02_cifar10_dataset.ipynb
    python tests/refresh_notebook_outputs.py --profile quick --time-only notebooks/*.ipynb
    python tests/refresh_notebook_outputs.py --time-only --set DATASET='"fashion_mnist"' notebooks/04_*.ipynb

Runs each notebook top to bottom in a fresh kernel with the test settings of
``conftest.py`` (``smoke`` unless ``--profile`` says otherwise). Then only
cells tagged ``nbval-check-output`` keep their outputs and execution counts
(stderr dropped: it is never compared); every other cell is stored empty. With
``--time-only`` nothing is written: it prints how long each notebook took, which
is how the README's time-per-profile column is measured. ``--set NAME=VALUE``
overrides a parameter, as papermill does: a cell with the assignment runs right
after the ``parameters`` cell (only with ``--time-only``: nothing is stored).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from helpers.runtime import use_test_environment

ROOT = Path(__file__).resolve().parent.parent
CHECK_TAG = "nbval-check-output"


def run(path: Path, timeout: int = 900, overrides: tuple[str, ...] = ()) -> tuple[nbformat.NotebookNode, float]:
    """Execute the notebook at ``path`` in its own folder; return it and the seconds taken.

    ``overrides``: ``NAME=VALUE`` assignments run right after the parameters cell.
    """
    notebook = nbformat.read(path, as_version=4)
    if overrides:
        position = next(i for i, c in enumerate(notebook.cells)
                        if "parameters" in c.metadata.get("tags", []))
        notebook.cells.insert(position + 1, nbformat.v4.new_code_cell("\n".join(overrides)))
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def keep_only_checked_outputs(notebook: nbformat.NotebookNode) -> int:
    """Empty every code cell not tagged for comparison; return how many kept outputs."""
    notebook.metadata.pop("widgets", None)  # widget state nbclient records (tqdm's bars): an output
    kept = 0
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if CHECK_TAG in cell.metadata.get("tags", []):
            cell.outputs = [o for o in cell.outputs
                            if not (o.output_type == "stream" and o.name == "stderr")]
            kept += 1
        else:
            cell.outputs, cell.execution_count = [], None
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--profile", default="smoke", choices=("full", "quick", "smoke"))
    parser.add_argument("--time-only", action="store_true", help="measure, do not write")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameter (with --time-only)")
    args = parser.parse_args(argv)
    if args.set and not args.time_only:
        parser.error("--set changes what runs, so it needs --time-only (nothing is stored)")

    os.environ["CNN_PROFILE"] = args.profile
    use_test_environment(ROOT, args.profile)

    for path in args.notebooks:
        notebook, seconds = run(path.resolve(), overrides=tuple(args.set))
        print(f"{path}: ran in {seconds:.1f} s under profile {args.profile}")
        if not args.time_only:
            kept = keep_only_checked_outputs(notebook)
            nbformat.write(notebook, path)
            print(f"  stored; {kept} tagged cell(s) keep their outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
