"""Make sure a Colab runtime has the versions the notebooks need; print what was done.

    python cnn-notebooks/tools/colab_requirements.py      # run by each notebook's setup cell in Colab

Reads ``requirements.txt`` (the one dependency list) next to this folder and
checks every package the notebooks import at run time against what is
installed. Missing or too old: installed with pip in one call. Already
satisfied: left alone, so a second run (or a runtime that already has them)
does nothing and needs no network. Colab's own builds of TensorFlow, NumPy and
ipywidgets are kept even when older than the tested versions (replacing them
takes minutes, needs a runtime restart, and Colab's widget front end is built
for its own ipywidgets); a note says so. Uses only the standard library and
``packaging`` (present wherever pip is), and imports none of the packages it
checks, so it can upgrade them before a notebook imports them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
# Tools for developing the series, not for running a notebook (Colab is the front end).
DEVELOPMENT_ONLY = {"jupyterlab", "nbval", "pytest", "ruff", "selenium"}
# Colab's own builds: kept, with a note when older than the tested version.
COLAB_KEEPS = {"tensorflow", "numpy", "ipywidgets"}


def runtime_requirements(path: Path = REQUIREMENTS) -> list[Requirement]:
    """The requirements in ``path`` that running a notebook needs (no tools, no ``-e .``)."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.name.lower() not in DEVELOPMENT_ONLY:
            found.append(requirement)
    return found


def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def plan(requirements: list[Requirement]) -> tuple[list[str], list[str], list[str]]:
    """Split ``requirements`` into (to install, kept older Colab builds, already satisfied), as text."""
    install, kept, satisfied = [], [], []
    for requirement in requirements:
        version = installed_version(requirement.name)
        if version is not None and requirement.specifier.contains(version, prereleases=True):
            satisfied.append(f"{requirement.name} {version}")
        elif version is not None and requirement.name.lower() in COLAB_KEEPS:
            kept.append(f"{requirement.name} {version} (tested with {requirement.specifier})")
        else:
            install.append(str(requirement))
    return install, kept, satisfied


def main() -> None:
    """Install what is missing or too old, and print what was done.

    Raises ``RuntimeError`` with pip's last words when pip fails. Returns normally
    otherwise: the setup cell runs this in the notebook's own process.
    """
    install, kept, satisfied = plan(runtime_requirements())
    if install:
        print(f"Installing {', '.join(install)} ...", flush=True)
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-input", *install],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip could not install {', '.join(install)}:\n{done.stderr[-3000:]}")
        importlib.invalidate_caches()  # this process imports them next
    print("Installed: " + (", ".join(install) or "nothing (all present)"))
    print("Already there: " + ", ".join(satisfied))
    if kept:
        print("Kept Colab's own: " + ", ".join(kept))


if __name__ == "__main__":
    main()
