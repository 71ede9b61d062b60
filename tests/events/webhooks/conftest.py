"""Webhook test fixtures: the app's settings admitting the loopback receiver, and a worker driven by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.db.session import Database
from app.events.webhooks.worker import DeliveryWorker
from tests.events.webhooks.receiver import receiver  # noqa: F401 — the fixture

WorkerFactory = Callable[..., DeliveryWorker]


@pytest.fixture
def allow_loopback(app: FastAPI, settings: Settings) -> Iterator[Settings]:
    """The app admits 127.0.0.1 (WEBHOOK_ALLOWED_HOSTS) for this test."""
    changed = settings.model_copy(update={"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"})
    app.state.settings = changed
    yield changed
    app.state.settings = settings


@pytest.fixture
def make_worker(clean_db: Database, allow_loopback: Settings) -> WorkerFactory:
    """A delivery worker on the test database; keyword arguments override its settings."""

    def factory(**overrides: Any) -> DeliveryWorker:
        values: dict[str, Any] = {"WEBHOOK_RETRY_SCHEDULE": "0,0", "WEBHOOK_TIMEOUT_SECONDS": 2, **overrides}
        return DeliveryWorker(clean_db, allow_loopback.model_copy(update=values))

    return factory


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
        yield client
