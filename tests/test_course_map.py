"""Nothing is used before it is taught: the concept map of tests/course_map.py, on the notebooks
and on deliberately broken copies of them (so the check is shown to fail when it should)."""

import copy
import re
from pathlib import Path

import pytest
from course_map import CONCEPTS, OUTSIDE_PREREQUISITES, check_course, declared, introduced_by, load_notebooks

ROOT = Path(__file__).resolve().parent.parent
COURSE = load_notebooks()


def source(cell) -> str:
    return "".join(cell["source"])


def notebook(course, number: str) -> dict:
    return next(nb for name, nb in course if name.startswith(number))


def test_every_notebook_introduces_a_concept_before_using_it():
    assert check_course(COURSE) == []


def test_every_concept_is_introduced_by_exactly_one_notebook():
    taught = introduced_by(COURSE)
    assert sorted(set(CONCEPTS) - set(taught)) == [], "concepts no notebook introduces"
    introductions = [concept for _, nb in COURSE for concept in declared(nb)[0]]
    assert len(introductions) == len(set(introductions))


def test_a_need_that_no_earlier_notebook_introduces_is_reported():
    broken = copy.deepcopy(COURSE)
    eight = notebook(broken, "08")
    eight["metadata"]["course"]["introduces"].remove("functional API")
    for cell in eight["cells"]:
        if "functional API" in cell["metadata"].get("introduces", []):
            cell["metadata"]["introduces"].remove("functional API")
    problems = check_course(broken)
    assert any(p.startswith("09_") and "needs 'functional API', which no earlier notebook introduces" in p
               for p in problems), problems
    assert any(p.startswith("08_") and "uses 'functional API' (introduced nowhere earlier)" in p for p in problems)


def test_code_that_uses_a_concept_before_its_introducing_cell_is_reported():
    broken = copy.deepcopy(COURSE)
    three = notebook(broken, "03")
    first_code = next(i for i, cell in enumerate(three["cells"]) if cell["cell_type"] == "code")
    early = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": ["model.fit(images, labels)  # before section 7 teaches fit\n"]}
    three["cells"].insert(first_code + 1, early)
    problems = check_course(broken)
    assert [p for p in problems if "'compile and fit' before cell" in p] == [
        f"03_training_a_cnn_cifar10.ipynb: cell {first_code + 1} uses 'compile and fit' before cell "
        f"{next(i for i, c in enumerate(three['cells']) if 'compile and fit' in c['metadata'].get('introduces', []))}"
        " introduces it"]


def test_a_use_the_notebook_does_not_declare_is_reported():
    broken = copy.deepcopy(COURSE)
    notebook(broken, "02")["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                             "source": ["keras.layers.Dropout(0.5)\n"]})
    problems = check_course(broken)
    assert any(p.startswith("02_") and "uses 'dropout' (introduced nowhere earlier) without listing it" in p
               for p in problems), problems


def test_a_comment_that_mentions_a_concept_is_not_a_use():
    commented = copy.deepcopy(COURSE)
    notebook(commented, "02")["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [],
                                               "execution_count": None,
                                               "source": ["x = 1  # notebook 03 will call model.fit(x)\n"]})
    assert check_course(commented) == check_course(COURSE)


def test_unknown_concepts_and_lists_that_disagree_with_their_cells_are_reported():
    broken = copy.deepcopy(COURSE)
    one = notebook(broken, "01")
    one["metadata"]["course"]["needs"].append("quantum convolution")
    one["metadata"]["course"]["introduces"].reverse()
    problems = check_course(broken)
    assert any("'quantum convolution' is not a concept" in p for p in problems)
    assert any(p.startswith("01_") and "same concepts, same order" in p for p in problems)


def prerequisites(nb) -> str:
    title = source(nb["cells"][0])
    found = re.search(r"\*\*Prerequisites\*\*(.*?)(?:\n\n|\*\*Time\*\*)", title, re.S)
    assert found, "the title cell has a **Prerequisites** paragraph"
    return found.group(1)


@pytest.mark.parametrize("name", [name for name, _ in COURSE], ids=lambda name: name[:2])
def test_prerequisites_name_the_notebook_that_teaches_each_need(name):
    taught = introduced_by(COURSE)
    nb = dict(COURSE)[name]
    needed_from = {taught[concept][:2] for concept in declared(nb)[1]
                   if concept not in OUTSIDE_PREREQUISITES and concept in taught}
    text = prerequisites(nb)
    missing = sorted(number for number in needed_from if not re.search(rf"\b{number}\b", text))
    assert not missing, f"{name}: Prerequisites do not name notebook(s) {missing}"


def test_the_readme_table_lists_what_each_notebook_introduces():
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        found = re.match(r"\|\s*(\d\d)\s*\|", line)
        if found:
            rows[found.group(1)] = line
    for name, nb in COURSE:
        assert name[:2] in rows, f"README has no table row for notebook {name[:2]}"
        missing = [concept for concept in declared(nb)[0] if concept not in rows[name[:2]]]
        assert not missing, f"README row {name[:2]} does not list {missing}"
