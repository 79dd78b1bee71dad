"""Notebook hygiene, checked without a kernel (nbval executes them separately)."""

import json
import re
from pathlib import Path

import pytest
import sync_notebooks

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECK_TAG = "nbval-check-output"


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell):
    return "".join(cell["source"])


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_the_series_is_numbered_from_01_without_gaps():
    assert len(NOTEBOOKS) >= 5
    assert [int(p.name[:2]) for p in NOTEBOOKS] == list(range(1, len(NOTEBOOKS) + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
class TestNotebook:
    def test_is_in_sync_with_the_script(self, path):
        """Badges, setup cell, kernelspec and solution metadata are written by tests/sync_notebooks.py."""
        expected = sync_notebooks.synced_text(path, sync_notebooks.repository_url())
        assert path.read_text(encoding="utf-8") == expected, "run: python tests/sync_notebooks.py"

    def test_kernelspec_is_what_jupyterlab_writes(self, path):
        metadata = load(path)["metadata"]
        assert metadata["kernelspec"] == {"display_name": "Python 3 (ipykernel)", "language": "python",
                                          "name": "python3"}
        assert "widgets" not in metadata, "no stored widget state (an output)"

    def test_opens_with_title_and_a_colab_badge_for_itself(self, path):
        first = load(path)["cells"][0]
        assert first["cell_type"] == "markdown" and source(first).startswith("# ")
        repository = sync_notebooks.repository_url()  # pyproject.toml, [project.urls]
        colab = repository.replace("https://github.com/", "https://colab.research.google.com/github/")
        assert f"({colab}/blob/main/notebooks/{path.name})" in source(first)
        assert f"({repository}/blob/main/notebooks/{path.name})" in source(first)

    def test_setup_cell_clones_the_repository_named_in_pyproject(self, path):
        setup = source(code_cells(load(path))[0])
        assert f'REPOSITORY = "{sync_notebooks.repository_url()}"' in setup
        assert "tools/colab_requirements.py" in setup

    def test_setup_cell_comes_first_then_one_parameters_cell(self, path):
        cells = code_cells(load(path))
        assert "google.colab" in source(cells[0]) and "import helpers" in source(cells[0])
        tagged = [i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", [])]
        assert tagged == [1], "exactly one parameters cell, right after the setup cell"
        assert re.search(r"^PROFILE = None\b", source(cells[1]), re.M), "PROFILE = None by default"
        resolving = source(cells[2])
        assert "profile = helpers.resolve_profile(PROFILE)" in resolving, "resolved right after"
        assert "helpers.setup(SEED, profile)" in resolving
        later = "".join(source(c) for c in cells[3:])
        assert "resolve_profile" not in later and "CNN_PROFILE" not in later

    def test_outputs_only_on_cells_tagged_for_comparison(self, path):
        cells = code_cells(load(path))
        compared = [c for c in cells if CHECK_TAG in c["metadata"].get("tags", [])]
        assert compared, "at least one cell keeps its output for nbval to compare"
        for cell in cells:
            if cell in compared:
                assert cell["outputs"] and cell["execution_count"], source(cell)[:60]
            else:
                assert not cell["outputs"] and cell["execution_count"] is None, source(cell)[:60]

    def test_nothing_is_skipped_and_keras_is_quiet(self, path):
        text = path.read_text(encoding="utf-8")
        assert "NBVAL_SKIP" not in text and "nbval-skip" not in text
        assert not re.search(r"verbose\s*=\s*1\b", text), "use verbose=0 or 2 (stable output)"

    def test_sections_are_checked_and_exercises_have_solutions(self, path):
        nb = load(path)
        checks = [c for c in code_cells(nb) if source(c).startswith("# Check yourself")]
        assert len(checks) >= 3 and all("assert" in source(c) for c in checks)
        headings = [source(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
        assert any(h.startswith("## Summary") for h in headings)
        assert any(h.startswith("## Exercises") for h in headings)
        solutions = [c for c in code_cells(nb) if c["metadata"].get("jupyter", {}).get("source_hidden")]
        assert len(solutions) >= 3
        for number, cell in enumerate(solutions, start=1):
            # "# @title" and cellView "form" hide it in Colab; source_hidden hides it in JupyterLab.
            assert source(cell).startswith(f"# @title Solution {number}\n"), source(cell)[:40]
            assert cell["metadata"]["cellView"] == "form" and "assert" in source(cell)
        titled = [c for c in code_cells(nb) if source(c).startswith(("# Solution", "# @title"))]
        assert len(titled) == len(solutions), "every solution is hidden, and nothing else"

    def test_is_one_class_session(self, path):
        """TEACHING.md: at most 60 cells and 2,000 words of prose; the Time line is one short line."""
        nb = load(path)
        words = sum(len(source(c).split()) for c in nb["cells"] if c["cell_type"] == "markdown")
        assert len(nb["cells"]) <= 60 and words <= 2000, f"{len(nb['cells'])} cells, {words} words of prose"
        time_lines = [line for line in source(nb["cells"][0]).splitlines() if line.startswith("**Time**")]
        assert len(time_lines) == 1 and len(time_lines[0]) <= 110, time_lines
        assert re.fullmatch(r"\*\*Time\*\* about \d+ min in class · about [\d.]+ (?:s|min) to run on a laptop CPU "
                            r"\(`quick`\)", time_lines[0]), time_lines[0]
