"""Re-use the reports' crafted data set for the ledger."""

from tests.reports.conftest import crafted

__all__ = ["crafted"]
