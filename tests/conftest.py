"""Fixtures shared by the unit tests."""

import pytest

import helpers


@pytest.fixture
def make_profile(tmp_path):
    """Build a Profile explicitly, as a notebook's resolve cell would, with artifacts in tmp_path."""
    def make(name: str = "smoke", allow_standin: bool | None = None) -> helpers.Profile:
        standin = name == "smoke" if allow_standin is None else allow_standin
        return helpers.Profile(name, "set by the test", standin, tmp_path / "artifacts")
    return make


@pytest.fixture
def smoke(make_profile):
    return make_profile("smoke")
