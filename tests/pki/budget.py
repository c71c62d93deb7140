"""Example budgets for hypothesis tests: a test's own bound under `make test` (the "ci"
profile of tests/conftest.py), the profile's many more under IKESIM_FUZZ=long."""

from __future__ import annotations

from hypothesis import settings

_CI_MAX = 200  # the "ci" profile's max_examples


def budget(ci: int) -> int:
    """`ci` examples in CI; the loaded profile's count when it is a long run."""
    loaded = settings.default.max_examples
    return loaded if loaded > _CI_MAX else min(ci, loaded)
