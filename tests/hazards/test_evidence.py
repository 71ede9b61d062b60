"""Evidence files: type by content, stored once by SHA-256, size limit, download, listing, roles, regions."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from app.core.clock import frozen_clock
from app.core.config import Settings
from app.db.session import Database
from app.main import create_app
from tests.conftest import OWN_REGION, Actor, ActorFactory
from tests.hazards.helpers import assert_problem, hazard_url, new_hazard, new_inspection


def _unique(n: int = 48) -> bytes:
    """Bytes no other test uploads, so files on disk can be counted per test in the shared DATA_DIR."""
    return (uuid.uuid4().bytes * (n // 16 + 1))[:n]


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + _unique() + b"\xff\xd9"


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _unique()


def webp() -> bytes:
    return b"RIFF" + (40).to_bytes(4, "little") + b"WEBPVP8 " + _unique()


def pdf() -> bytes:
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n" + _unique() + b"\n%%EOF\n"


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    hazard_id: str,
    content: bytes,
    filename: str = "photo.png",
    declared: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(
        hazard_url(hazard_id, "/evidence"), headers=headers, files={"file": (filename, content, declared)}
    )


def stored_copies(settings: Settings, sha256: str) -> list[Path]:
    return [p for p in (settings.DATA_DIR / "evidence").rglob(sha256) if p.is_file()]


def temp_leftovers(settings: Settings) -> list[Path]:
    tmp = settings.DATA_DIR / "evidence" / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


@pytest.mark.parametrize(
    ("make", "filename", "content_type"),
    [
        (jpeg, "现场照片.jpg", "image/jpeg"),
        (png, "整改后 (1).png", "image/png"),
        (webp, "photo.webp", "image/webp"),
        (pdf, "整改通知书.pdf", "application/pdf"),
        (png, "named-wrong.pdf", "image/png"),  # the name and declared type do not matter, the bytes do
    ],
)
async def test_upload_and_download(
    client: httpx.AsyncClient, admin: Actor, settings: Settings, make: Any, filename: str, content_type: str
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    content: bytes = make()
    r = await upload(client, admin.headers, hazard_id, content, filename, declared="text/plain")
    assert r.status_code == 201, r.text
    item = r.json()
    sha = hashlib.sha256(content).hexdigest()
    assert {k: item[k] for k in ("hazard_id", "filename", "content_type", "size", "sha256", "uploaded_by")} == {
        "hazard_id": hazard_id,
        "filename": filename,
        "content_type": content_type,
        "size": len(content),
        "sha256": sha,
        "uploaded_by": admin.username,
    }
    assert r.headers["location"] == f"/api/v1/hazards/{hazard_id}/evidence/{item['id']}"
    [path] = stored_copies(settings, sha)
    assert path.read_bytes() == content

    dl = await client.get(r.headers["location"], headers=admin.headers)
    assert dl.status_code == 200
    assert dl.content == content
    assert dl.headers["content-type"].split(";")[0] == content_type
    disposition = dl.headers["content-disposition"]
    assert filename in disposition or f"filename*=utf-8''{quote(filename)}" in disposition, disposition
    assert dl.headers["x-content-type-options"] == "nosniff"


async def test_same_bytes_are_stored_once(client: httpx.AsyncClient, admin: Actor, settings: Settings) -> None:
    inspection = await new_inspection(client, admin.headers)
    first, second = (h["id"] for h in inspection["hazards"])
    content = png()
    sha = hashlib.sha256(content).hexdigest()
    r1 = await upload(client, admin.headers, first, content, "a.png")
    assert r1.status_code == 201, r1.text
    r2 = await upload(client, admin.headers, first, content, "again-under-another-name.png")
    assert r2.status_code == 200, r2.text
    assert r2.json() == r1.json()  # the existing record, original name kept
    assert r2.headers["location"] == r1.headers["location"]
    assert len(stored_copies(settings, sha)) == 1
    r3 = await upload(client, admin.headers, second, content, "b.png")
    assert r3.status_code == 201, r3.text
    assert r3.json()["id"] != r1.json()["id"]
    assert (r3.json()["sha256"], r3.json()["hazard_id"], r3.json()["filename"]) == (sha, second, "b.png")
    assert len(stored_copies(settings, sha)) == 1
    assert temp_leftovers(settings) == []
    for hazard_id, name in ((first, "a.png"), (second, "b.png")):
        listing = (await client.get(hazard_url(hazard_id, "/evidence"), headers=admin.headers)).json()
        assert [i["filename"] for i in listing["items"]] == [name]


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"just some notes\n", "notes.txt"),
        (b"plain text pretending to be a photo", "photo.jpg"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64, "setup.exe"),
        (b"", "empty.png"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32, "sound.webp"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image.svg"),
    ],
)
async def test_unsupported_content_is_415(
    client: httpx.AsyncClient, admin: Actor, settings: Settings, content: bytes, filename: str
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    r = await upload(client, admin.headers, hazard_id, content, filename, declared="image/png")
    assert_problem(r, 415)
    listing = (await client.get(hazard_url(hazard_id, "/evidence"), headers=admin.headers)).json()
    assert listing["items"] == []
    assert stored_copies(settings, hashlib.sha256(content).hexdigest()) == []
    assert temp_leftovers(settings) == []


@pytest.fixture
async def small_client(settings: Settings, clean_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The same database and DATA_DIR, behind an app that takes evidence of at most 1000 bytes."""
    small = create_app(settings.model_copy(update={"EVIDENCE_MAX_BYTES": 1000}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://test") as c:
            yield c
    finally:
        await small.state.db.dispose()


async def test_file_over_the_limit_is_413(
    client: httpx.AsyncClient, small_client: httpx.AsyncClient, admin: Actor, settings: Settings
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    big = b"%PDF-1.4\n" + _unique(1001 - 9)
    assert len(big) == 1001
    body = assert_problem(await upload(small_client, admin.headers, hazard_id, big, "big.pdf"), 413)
    assert "1000" in body["detail"]
    assert stored_copies(settings, hashlib.sha256(big).hexdigest()) == []
    assert temp_leftovers(settings) == []
    fits = big[:1000]
    r = await upload(small_client, admin.headers, hazard_id, fits, "fits.pdf")
    assert r.status_code == 201, r.text
    listing = (await client.get(hazard_url(hazard_id, "/evidence"), headers=admin.headers)).json()
    assert [i["filename"] for i in listing["items"]] == ["fits.pdf"]
    # the default limit (10 MiB) takes the bigger file
    assert (await upload(client, admin.headers, hazard_id, big, "big.pdf")).status_code == 201


async def test_listed_oldest_first(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    # uploaded in the order x, y, z but dated so that the oldest is y, then z, then x
    dated = [
        ("x.png", datetime(2023, 5, 9, tzinfo=UTC)),
        ("y.png", datetime(2023, 5, 5, tzinfo=UTC)),
        ("z.png", datetime(2023, 5, 7, tzinfo=UTC)),
    ]
    for name, at in dated:
        with frozen_clock(at):
            r = await upload(client, admin.headers, hazard_id, png(), name)
        assert r.status_code == 201, r.text
        assert r.json()["created_at"].startswith(at.date().isoformat())
    listing = await client.get(hazard_url(hazard_id, "/evidence"), headers=admin.headers)
    assert listing.status_code == 200
    assert [i["filename"] for i in listing.json()["items"]] == ["y.png", "z.png", "x.png"]
    assert listing.json()["next_cursor"] is None
    walked: list[str] = []
    params: dict[str, str] = {"limit": "1"}
    while True:
        page = (await client.get(hazard_url(hazard_id, "/evidence"), params=params, headers=admin.headers)).json()
        walked += [i["filename"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert walked == ["y.png", "z.png", "x.png"]


async def test_viewer_lists_and_downloads_but_cannot_upload(
    client: httpx.AsyncClient, admin: Actor, make_actor: ActorFactory
) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    content = jpeg()
    item = (await upload(client, admin.headers, hazard_id, content, "现场.jpg")).json()
    viewer = await make_actor("viewer", OWN_REGION)
    assert_problem(await upload(client, viewer.headers, hazard_id, png(), "v.png"), 403)
    listing = await client.get(hazard_url(hazard_id, "/evidence"), headers=viewer.headers)
    assert [i["id"] for i in listing.json()["items"]] == [item["id"]]
    dl = await client.get(hazard_url(hazard_id, f"/evidence/{item['id']}"), headers=viewer.headers)
    assert dl.status_code == 200 and dl.content == content
    for role in ("inspector", "supervisor"):
        actor = await make_actor(role, OWN_REGION)
        r = await upload(client, actor.headers, hazard_id, png(), f"{role}.png")
        assert r.status_code == 201, r.text
        assert r.json()["uploaded_by"] == actor.username


async def test_evidence_of_another_hazard_or_unknown_is_404(client: httpx.AsyncClient, admin: Actor) -> None:
    inspection = await new_inspection(client, admin.headers)
    first, second = (h["id"] for h in inspection["hazards"])
    item = (await upload(client, admin.headers, first, png())).json()
    assert_problem(await client.get(hazard_url(second, f"/evidence/{item['id']}"), headers=admin.headers), 404)
    assert_problem(await client.get(hazard_url(first, f"/evidence/{uuid.uuid4()}"), headers=admin.headers), 404)
    missing = str(uuid.uuid4())
    assert_problem(await upload(client, admin.headers, missing, png()), 404)
    assert_problem(await client.get(hazard_url(missing, "/evidence"), headers=admin.headers), 404)


async def test_missing_file_field_is_422(client: httpx.AsyncClient, admin: Actor) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    r = await client.post(
        hazard_url(hazard_id, "/evidence"), headers=admin.headers, files={"photo": ("a.png", png(), "image/png")}
    )
    assert_problem(r, 422, ["body", "file"])
    r = await client.post(hazard_url(hazard_id, "/evidence"), headers=admin.headers, data={"file": "not a file"})
    assert_problem(r, 422)
    assert (await client.get(hazard_url(hazard_id, "/evidence"), headers=admin.headers)).json()["items"] == []


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\张三\\照片.png", "照片.png"),
        ("照片/", "evidence"),  # nothing left of the name
    ],
)
async def test_file_name_is_cleaned(client: httpx.AsyncClient, admin: Actor, sent: str, kept: str) -> None:
    hazard_id = await new_hazard(client, admin.headers)
    r = await upload(client, admin.headers, hazard_id, png(), sent)
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == kept
