"""Registers the ``bench`` marker (tests that run a benchmark script end to end: slower, and they
need tools outside the Python package, such as wrk)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bench: runs a benchmark script end to end (deselect with -m 'not bench')")
