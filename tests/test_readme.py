"""The README is a front door: short, with the two commands CI runs and a row per notebook."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_the_readme_is_at_most_150_lines():
    assert len(README.splitlines()) <= 150


def test_the_readme_gives_the_commands_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -r requirements.txt" in README and "pip install --quiet -r requirements.txt" in ci
    assert "ruff check . && pytest && pytest -m browser" in README
    assert all(step in ci for step in ("ruff check .", "pytest\n", "pytest -m browser"))


def test_every_notebook_has_a_linked_row():
    for path in NOTEBOOKS:
        row = rf"^\| {path.name[:2]} \| \[[^]]+\]\(notebooks/{re.escape(path.name)}\)"
        assert re.search(row, README, re.M), path.name
