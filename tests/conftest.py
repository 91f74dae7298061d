"""Shared fixtures: the reference folder skips, or fails under SPECPKG_REQUIRE_REFERENCE=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specpkg.paths import reference_dir


@pytest.fixture(scope="session")
def reference() -> Path:
    """The shared reference folder; skip with a reason when absent (fail in CI)."""
    path = reference_dir()
    if not path.is_dir():
        reason = f"shared reference data absent at {path}"
        if os.environ.get("SPECPKG_REQUIRE_REFERENCE") == "1":
            pytest.fail(reason + " and SPECPKG_REQUIRE_REFERENCE=1", pytrace=False)
        pytest.skip(reason)
    return path


from hypothesis import HealthCheck, settings  # noqa: E402

# No per-example deadline: the machine is shared and timings are not tests.
settings.register_profile(
    "default", deadline=None,
    # too_slow: a shared machine; differing_executors: mutmut runs a class's test twice
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)
settings.load_profile("default")
