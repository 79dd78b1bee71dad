"""Make sure a Colab runtime has the versions the notebooks need; print what was done.

    python cnn-notebooks/tools/colab_requirements.py      # run by each notebook's setup cell in Colab

Reads ``requirements.txt`` (the one dependency list) next to this folder and
checks every package the notebooks import at run time against what is
installed. Missing or too old: installed with pip in one call. Already
satisfied: left alone, so a second run (or a runtime that already has them)
does nothing and needs no network. Colab's own builds of TensorFlow, NumPy and
ipywidgets are kept even when older than the tested versions (replacing them
takes minutes, needs a runtime restart, and Colab's widget front end is built
for its own ipywidgets); a note says so, and whether CI tests that very version
(``tests/stacks/colab.txt``, Colab's stack as last read). Tools for developing
the series (pytest and its plugins, nbval, ruff, selenium, JupyterLab) are
never installed on a learner's runtime, nor are the pins on TensorFlow's own
dependencies (Colab's TensorFlow keeps what it was built with). Uses only the
standard library and ``packaging`` (present wherever pip is), and imports none
of the packages it checks, so it can upgrade them before a notebook imports them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
COLAB_STACK = Path(__file__).resolve().parent.parent / "tests" / "stacks" / "colab.txt"
# Tools for developing the series, not for running a notebook (Colab is the front end). A test
# (tests/test_colab_setup.py) checks that everything else in requirements.txt is imported by a
# notebook or by helpers, so a new tool that is not listed here fails it.
DEVELOPMENT_ONLY = {"jupyterlab", "nbval", "pytest", "pytest-xdist", "ruff", "selenium"}
# Pins on what TensorFlow brings, for the environments requirements.txt installs (a slow release
# held back): Colab's TensorFlow keeps the versions it was built with, so they are not applied there.
TENSORFLOW_DEPENDENCY_PINS = {"ml-dtypes"}
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
        if canonicalize_name(requirement.name) not in DEVELOPMENT_ONLY | TENSORFLOW_DEPENDENCY_PINS:
            found.append(requirement)
    return found


def colab_stack(path: Path = COLAB_STACK) -> dict[str, str]:
    """The versions pinned in ``path`` (Colab's own stack, which CI tests), by lower-case name."""
    if not path.exists():
        return {}
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def plan(requirements: list[Requirement], stack: dict[str, str] | None = None
         ) -> tuple[list[str], list[str], list[str]]:
    """Split ``requirements`` into (to install, kept older Colab builds, already satisfied), as text.

    ``stack``: the versions CI tests as Colab's own (default: :func:`colab_stack`); a kept
    build says whether it is one of them.
    """
    stack = colab_stack() if stack is None else stack
    install, kept, satisfied = [], [], []
    for requirement in requirements:
        version = installed_version(requirement.name)
        if version is not None and requirement.specifier.contains(version, prereleases=True):
            satisfied.append(f"{requirement.name} {version}")
        elif version is not None and requirement.name.lower() in COLAB_KEEPS:
            tested = ("CI tests this version too, as Colab's" if stack.get(requirement.name.lower()) == version
                      else f"CI tests Colab's {stack[requirement.name.lower()]}" if requirement.name.lower() in stack
                      else "not a version CI tests")
            kept.append(f"{requirement.name} {version} (tested with {requirement.specifier}; {tested})")
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
