"""The field app (执法终端) at /field/: an offline-first PWA that records inspections into an on-device outbox
and sends them through the API's replay rule (see router.py and static/)."""
