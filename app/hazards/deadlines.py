"""Default deadlines (限期整改): the `due_on` a hazard gets when it is created without one.

Rules:
- A hazard created without `due_on` gets `found_on` + `DUE_WORKING_DAYS_GENERAL` or `DUE_WORKING_DAYS_MAJOR`
  working days (app.core.calendar: the N-th working day strictly after `found_on`) by its severity, when that
  setting is set; unset (the default), `due_on` stays null.
- A `due_on` sent by the client is kept as it is.
- Replay compares the request as sent (the create fingerprint is taken from the request, not from the
  filled-in date), so a retry of the same request is a replay even after the setting changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.core import calendar
from app.core.config import Settings
from app.hazards.models import Severity


@dataclass(frozen=True, slots=True)
class DefaultDeadlines:
    """Working days from `found_on` to the default `due_on`, by severity (None: no default)."""

    general: int | None = None
    major: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DefaultDeadlines:
        return cls(general=settings.DUE_WORKING_DAYS_GENERAL, major=settings.DUE_WORKING_DAYS_MAJOR)

    def due_on(self, found_on: date, severity: Severity, sent: date | None) -> date | None:
        """The hazard's `due_on`: the one sent, else the default for its severity, else none."""
        if sent is not None:
            return sent
        days = self.major if severity == Severity.major else self.general
        return None if days is None else calendar.add_working_days(found_on, days)


NO_DEFAULTS = DefaultDeadlines()
