"""Re-use the reports' crafted data set to see region names where regions are shown."""

from tests.reports.conftest import crafted

__all__ = ["crafted"]
