"""One throw-away primary and replica for every scaling test of the run (starting them costs a minute)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.cluster import Cluster, primary_and_replica


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    with primary_and_replica() as found:
        yield found
