"""The field app's browser tests use the console's Chromium fixture (one launch per test)."""

from tests.web.console.test_console_browser import browser

__all__ = ["browser"]
