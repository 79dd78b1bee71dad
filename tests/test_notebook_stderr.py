"""The stderr check that the root conftest.py applies to every nbval cell."""

import importlib.util
import re
from pathlib import Path

spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).resolve().parent.parent / "conftest.py")
root_conftest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(root_conftest)
unexpected_stderr = root_conftest.unexpected_stderr

STANDIN = ("/tmp/ipykernel_77/3094.py:5: StandInWarning: *** STAND-IN DATA *** cifar10 is not cached; "
           "no download tried.\n*** generated shapes and textures\n"
           "  data = helpers.load_dataset(\"cifar10\", profile)\n")
KERAS = ("/venv/keras/src/models/functional.py:259: UserWarning: The structure of `inputs` doesn't match\n"
         "  warnings.warn(msg)\n")


def test_an_announced_stand_in_is_allowed_with_its_source_line():
    assert unexpected_stderr(STANDIN) == []
    assert unexpected_stderr("\n" + STANDIN + "\n") == []


def test_anything_else_is_reported_line_by_line():
    assert unexpected_stderr(KERAS) == KERAS.splitlines()
    assert unexpected_stderr(STANDIN + KERAS) == KERAS.splitlines()  # the excuse ends with its record
    assert unexpected_stderr(KERAS + STANDIN) == KERAS.splitlines()
    assert unexpected_stderr("E0000 cuInit failed\n") == ["E0000 cuInit failed"]


def test_the_allowlist_is_short_and_every_entry_is_explained():
    source = (Path(__file__).resolve().parent.parent / "conftest.py").read_text()
    block = source[source.index("STDERR_ALLOWED = ("):source.index("\n)\n", source.index("STDERR_ALLOWED"))]
    patterns = re.findall(r"^\s*re\.compile\(", block, re.M)
    assert 1 <= len(patterns) <= 5 and block.count("#") >= len(patterns)
