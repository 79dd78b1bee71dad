"""Fixtures shared by the unit tests."""

import pytest

# helpers (and so TensorFlow, 6-10 s) is imported inside the fixtures, not here (tested): pytest loads this
# file in pytest-xdist's controller too, which runs no test, and every worker would wait for it.


@pytest.fixture
def make_profile(tmp_path):
    """Build a Profile explicitly, as a notebook's resolve cell would, with artifacts in tmp_path."""
    import helpers

    def make(name: str = "smoke", allow_standin: bool | None = None) -> helpers.Profile:
        standin = name == "smoke" if allow_standin is None else allow_standin
        return helpers.Profile(name, "set by the test", standin, tmp_path / "artifacts")
    return make


@pytest.fixture
def smoke(make_profile):
    return make_profile("smoke")
