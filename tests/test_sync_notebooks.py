"""tests/sync_notebooks.py rewrites the shared parts of a notebook, and nothing else, idempotently."""

import json

import pytest
import sync_notebooks

URL = "https://github.com/someone/fork"


def cell(kind, *lines, **metadata):
    extra = {"execution_count": None, "outputs": []} if kind == "code" else {}
    return {"cell_type": kind, "id": f"c{abs(hash(lines)) % 10**6}", "metadata": metadata,
            "source": list(lines), **extra}


def fresh_notebook():
    return {"cells": [cell("markdown", "# 07 · New\n", "\n", "Why."),
                      cell("code", "PROFILE = None", tags=["parameters"]),
                      cell("code", "# Solution 1 – the answer is 2\n", "assert 1 + 1 == 2"),
                      cell("markdown", "# Solution in prose stays as it is")],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "widgets": {"state": {}}},
            "nbformat": 4, "nbformat_minor": 5}


def test_a_new_notebook_gets_badges_a_setup_cell_and_hidden_solutions():
    synced = sync_notebooks.sync(fresh_notebook(), "07_new.ipynb", URL)
    title, setup, parameters, solution, prose = synced["cells"]
    assert "".join(title["source"]).split("\n")[:3] == [
        "# 07 · New", "", sync_notebooks.badge_line(URL, "07_new.ipynb")]
    assert "https://colab.research.google.com/github/someone/fork/blob/main/notebooks/07_new.ipynb" \
        in "".join(title["source"])
    assert "".join(setup["source"]) == sync_notebooks.setup_source(URL)
    assert f'REPOSITORY = "{URL}"' in "".join(setup["source"])
    assert parameters["source"] == ["PROFILE = None"]
    assert solution["source"] == ["# @title Solution 1\n", "# the answer is 2\n", "assert 1 + 1 == 2"]
    assert solution["metadata"] == {"cellView": "form", "jupyter": {"source_hidden": True}}
    assert prose["source"] == ["# Solution in prose stays as it is"]
    assert synced["metadata"] == {"kernelspec": sync_notebooks.KERNELSPEC}


def test_running_it_again_changes_nothing_and_a_new_url_replaces_the_old():
    once = sync_notebooks.render(sync_notebooks.sync(fresh_notebook(), "07_new.ipynb", URL))
    assert sync_notebooks.render(sync_notebooks.sync(json.loads(once), "07_new.ipynb", URL)) == once
    moved = sync_notebooks.render(sync_notebooks.sync(json.loads(once), "07_new.ipynb", URL + "2"))
    assert URL + "2/" in moved and URL + "/" not in moved and moved.count("# Setup") == 1


def test_the_url_must_be_a_github_repository(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project.urls]\nRepository = "https://gitlab.com/a/b"\n')
    with pytest.raises(ValueError, match="must be https://github.com/OWNER/NAME"):
        sync_notebooks.repository_url(pyproject)
    pyproject.write_text('[project.urls]\nRepository = "https://github.com/a/b"\n')
    assert sync_notebooks.repository_url(pyproject) == "https://github.com/a/b"
