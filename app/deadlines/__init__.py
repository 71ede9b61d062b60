"""Deadlines that act (API.md "Deadlines, reminders and escalation"): reminders, overdue notices, the escalation
ladder, follow-ups (回头看) and certificate expiry notices, raised by one idempotent, set-wise tick."""
