"""Re-use the reports' crafted data set for the console pages (隐患台账, the hazard detail)."""

from tests.reports.conftest import crafted

__all__ = ["crafted"]
