"""Linking a user to an officer (field `officer_id`): one officer, at most one user; the second link is a 409
naming `officer_id` on create and on PATCH alike, and the stored link of the first user is kept."""

from __future__ import annotations

import httpx

from tests import factories
from tests.auth.helpers import USERS_URL, assert_problem, new_user_body
from tests.conftest import OWN_REGION, Actor


async def test_officer_linked_twice_409_on_create_and_patch(client: httpx.AsyncClient, admin: Actor) -> None:
    officer = await factories.officer(client, admin.headers)
    first = await client.post(
        USERS_URL, json=new_user_body(region_code=OWN_REGION, officer_id=officer["id"]), headers=admin.headers
    )
    assert first.status_code == 201, first.text

    second = await client.post(
        USERS_URL, json=new_user_body(region_code=OWN_REGION, officer_id=officer["id"]), headers=admin.headers
    )
    assert_problem(second, 409, "officer_id")

    other = await client.post(USERS_URL, json=new_user_body(region_code=OWN_REGION), headers=admin.headers)
    assert other.status_code == 201, other.text
    patched = await client.patch(
        f"{USERS_URL}/{other.json()['id']}", json={"officer_id": officer["id"]}, headers=admin.headers
    )
    assert_problem(patched, 409, "officer_id")

    again = await client.patch(
        f"{USERS_URL}/{first.json()['id']}", json={"officer_id": officer["id"]}, headers=admin.headers
    )
    assert again.status_code == 200, again.text  # linking the same user again is no conflict
    assert (await client.get(f"{USERS_URL}/{other.json()['id']}", headers=admin.headers)).json()["officer_id"] is None
