"""app.db.versions: touches bump every level prefix once, at the transaction's own commit, never after a rollback."""

from __future__ import annotations

from sqlalchemy import select

from app.db.session import Database
from app.db.versions import DataVersion, anchor, prefixes, touch, version_of


def test_prefixes_and_anchor() -> None:
    assert prefixes("500240001") == ["", "50", "5002", "500240", "500240001"]
    assert prefixes("") == [""]
    assert [anchor(p) for p in ("", "5", "50", "500", "5002", "50024", "500240", "5002400")] == [
        "",
        "",
        "50",
        "50",
        "5002",
        "5002",
        "500240",
        "500240",
    ]


async def versions(db: Database) -> dict[str, int]:
    async with db.sessionmaker() as s:
        rows = (await s.execute(select(DataVersion.region_code, DataVersion.version))).all()
    out: dict[str, int] = {}
    for code, version in rows:
        out[code] = out.get(code, 0) + version
    return out


async def test_a_commit_bumps_each_prefix_once(clean_db: Database) -> None:
    async with clean_db.sessionmaker() as s:
        touch(s, "500240", "500240001", "500101")
        await s.commit()
        assert await version_of(s, "500240") == 1
    assert await versions(clean_db) == {"": 1, "50": 1, "5001": 1, "500101": 1, "5002": 1, "500240": 1, "500240001": 1}


async def test_a_rollback_forgets_and_a_savepoint_waits_for_the_commit(clean_db: Database) -> None:
    async with clean_db.sessionmaker() as s:
        await s.execute(select(DataVersion))  # the use case's transaction has begun
        touch(s, "500240")
        await s.rollback()
        await s.commit()
    assert await versions(clean_db) == {}
    async with clean_db.sessionmaker() as s:
        async with s.begin_nested():
            touch(s, "500240")
        assert await versions(clean_db) == {}  # the SAVEPOINT's release wrote nothing
        nested = await s.begin_nested()
        touch(s, "500101")
        await nested.rollback()  # a savepoint's rollback keeps what the transaction touched
        await s.commit()
    assert await versions(clean_db) == {"": 1, "50": 1, "5001": 1, "500101": 1, "5002": 1, "500240": 1}


async def test_a_commit_with_a_savepoint_open_still_bumps(clean_db: Database) -> None:
    async with clean_db.sessionmaker() as s:
        await s.begin_nested()
        touch(s, "500240")
        await s.commit()
    assert (await versions(clean_db))["500240"] == 1
