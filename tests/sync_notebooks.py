"""Write the parts every notebook shares, from one place; idempotent.

    python tests/sync_notebooks.py            # rewrite notebooks/NN_*.ipynb in place
    python tests/sync_notebooks.py --check    # list notebooks out of sync; exit 1 if any

For every ``notebooks/NN_*.ipynb`` it rewrites only:

* the badge line in the first (title) cell: "Open in Colab" and "View source on
  GitHub" for this notebook, from the repository URL in ``pyproject.toml``
  (``[project.urls] Repository``; a fork changes that one line, then runs this);
* the setup cell (the first code cell, which starts ``# Setup``; inserted before the
  first code cell when missing), from ``SETUP_CELL`` below;
* the kernelspec, exactly as JupyterLab 4 writes it (so opening a notebook does
  not mark it modified), and no stored widget state (an output, like the others);
* solution cells (source starting ``# Solution N`` or ``# @title Solution N``):
  first line ``# @title Solution N`` and ``"cellView": "form"``, so Colab shows a
  "Solution N" form with the code hidden, plus ``"jupyter": {"source_hidden": true}``,
  which JupyterLab uses. Text after ``# Solution N –`` moves to the next line, so
  the form's title does not give the answer away.

Everything else in a notebook is left as it is. The hygiene test
(``tests/test_notebooks.py``) fails when a notebook is out of sync, e.g. after a
merge: run this script and commit the result.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BRANCH = "main"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
BADGE_MARK = "colab.research.google.com/assets/colab-badge.svg"
SOLUTION = re.compile(r"^# (?:@title )?Solution (\d+)\b[ \t]*(?:[–—:-][ \t]*)?(.*)$")

SETUP_CELL = '''\
# Setup: makes `helpers` importable, in JupyterLab (repository checked out) and in Colab,
# where it first fetches the repository and any package the notebooks need that is missing.
import runpy
import subprocess
import sys
from pathlib import Path

REPOSITORY = "{repository}"
if "google.colab" in sys.modules:
    if not Path("cnn-notebooks", "helpers").exists():
        subprocess.run(["git", "clone", "--quiet", "--depth=1", REPOSITORY, "cnn-notebooks"], check=True)
        print(f"Cloned {{REPOSITORY}} into {{Path.cwd() / 'cnn-notebooks'}}")
    runpy.run_path("cnn-notebooks/tools/colab_requirements.py", run_name="__main__")
for root in (Path.cwd().parent, Path.cwd() / "cnn-notebooks"):
    if (root / "helpers" / "__init__.py").exists() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
assert sys.version_info >= (3, 11), "these notebooks need Python 3.11 or newer (Keras 3.15 does)"

%matplotlib inline
import helpers'''


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The repository URL from ``[project.urls] Repository``: the one place it is written."""
    try:
        url = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["urls"]["Repository"]
    except (KeyError, TypeError, tomllib.TOMLDecodeError):
        url = None
    if not isinstance(url, str) or not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"[project.urls] Repository in {pyproject.name} must be "
                         f"https://github.com/OWNER/NAME (Colab opens notebooks from GitHub), got {url!r}.")
    return url


def badge_line(url: str, notebook: str) -> str:
    """The "Open in Colab" and "View source on GitHub" badges for ``notebook`` (a file name)."""
    path = f"blob/{BRANCH}/notebooks/{notebook}"
    colab = url.replace("https://github.com/", "https://colab.research.google.com/github/")
    return (f"[![Open In Colab](https://{BADGE_MARK})]({colab}/{path}) "
            f"[![View source on GitHub](https://img.shields.io/badge/view-source-blue?logo=github)]({url}/{path})")


def setup_source(url: str) -> str:
    """The setup cell's source for the repository at ``url``."""
    return SETUP_CELL.format(repository=url)


def split_lines(text: str) -> list[str]:
    """Text as nbformat stores it: a list of lines, each but the last ending with a newline."""
    return text.splitlines(keepends=True)


def sync(notebook: dict, name: str, url: str) -> dict:
    """Return ``notebook`` (a parsed .ipynb, changed in place) with the shared parts rewritten."""
    cells = notebook["cells"]
    title = "".join(cells[0]["source"]).split("\n")
    badges = [i for i, line in enumerate(title) if BADGE_MARK in line]
    if badges:
        title[badges[0]] = badge_line(url, name)
        title = [line for i, line in enumerate(title) if i not in badges[1:]]
    else:
        title[1:1] = ["", badge_line(url, name)]
    cells[0]["source"] = split_lines("\n".join(title))

    code = [cell for cell in cells if cell["cell_type"] == "code"]
    if not "".join(code[0]["source"]).startswith("# Setup"):  # a new notebook: add one before the rest
        code.insert(0, {"cell_type": "code", "execution_count": None, "id": uuid.uuid4().hex[:8],
                        "metadata": {}, "outputs": [], "source": []})
        cells.insert(cells.index(code[1]), code[0])
    code[0]["source"] = split_lines(setup_source(url))
    for cell in code:
        lines = "".join(cell["source"]).split("\n")
        match = SOLUTION.match(lines[0])
        if not match:
            continue
        number, rest = match.groups()
        lines[:1] = [f"# @title Solution {number}"] + ([f"# {rest}"] if rest.strip() else [])
        cell["source"] = split_lines("\n".join(lines))
        cell["metadata"]["cellView"] = "form"
        cell["metadata"].setdefault("jupyter", {})["source_hidden"] = True

    notebook["metadata"]["kernelspec"] = dict(KERNELSPEC)
    notebook["metadata"].pop("widgets", None)
    return notebook


def render(notebook: dict) -> str:
    """JSON as JupyterLab saves it (nbformat: sorted keys, indent 1, non-ASCII kept, final newline)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def synced_text(path: Path, url: str) -> str:
    """What the notebook at ``path`` should contain."""
    return render(sync(json.loads(path.read_text(encoding="utf-8")), path.name, url))


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of sync")
    args = parser.parse_args(argv)
    url = repository_url()
    stale = [path for path in notebooks() if path.read_text(encoding="utf-8") != synced_text(path, url)]
    for path in stale:
        if args.check:
            print(f"out of sync: {path.relative_to(ROOT)}")
        else:
            path.write_text(synced_text(path, url), encoding="utf-8")
            print(f"synced: {path.relative_to(ROOT)}")
    if not stale:
        print(f"all {len(notebooks())} notebooks in sync with {url}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
