"""Re-use the plans' crafted county."""

from tests.plans.conftest import county

__all__ = ["county"]
