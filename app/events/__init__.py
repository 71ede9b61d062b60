"""Events (事件): the transactional outbox, the feed (`GET /events`) and, in `webhooks/`, signed push delivery."""
