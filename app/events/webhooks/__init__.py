"""Webhooks (API.md "Webhooks"): subscriptions, the delivery log, signed delivery and the workers that do it."""
