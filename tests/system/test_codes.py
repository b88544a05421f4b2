"""Priority and invite codes over real HTTP: single-use under concurrency, multi-use counting,
revocation, the priority lane admitted before the general queue, and bypass."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.conftest import SECRET_KEYS
from tests.support.servers import ServerProcess
from waitroom.connector import PassCodec, visitor_hash


async def _request(method: str, url: str, **options: object) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.request(method, url, **options)  # type: ignore[arg-type]


def _create_queue(base: str, queue_id: str, headers: dict[str, str], **fields: object) -> None:
    body = {"rate_per_minute": 60, "redirect_url": "/shop/", **fields}
    response = httpx.put(f"{base}/api/v1/admin/queues/{queue_id}", json=body, headers=headers)
    assert response.status_code == 201


def _create_code(base: str, queue_id: str, headers: dict[str, str], **body: object) -> dict:  # type: ignore[type-arg]
    response = httpx.post(
        f"{base}/api/v1/admin/queues/{queue_id}/codes", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _joined_fan(base: str, queue_id: str) -> httpx.AsyncClient:
    fan = httpx.AsyncClient(base_url=base)
    assert (await fan.post(f"/api/v1/queues/{queue_id}/join")).status_code == 201
    return fan


async def test_single_use_code_succeeds_exactly_once_under_50_parallel_redemptions(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    _create_queue(base, unique_id, admin_headers)
    code = _create_code(base, unique_id, admin_headers, kind="priority", max_uses=1)
    fans = [await _joined_fan(base, unique_id) for _ in range(50)]
    try:
        responses = await asyncio.gather(
            *(
                fan.post(f"/api/v1/queues/{unique_id}/codes/redeem", json={"code": code["code"]})
                for fan in fans
            )
        )
    finally:
        await asyncio.gather(*(fan.aclose() for fan in fans))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * 49
    assert {r.json()["outcome"] for r in responses if r.status_code == 409} == {"exhausted"}
    listing = await _request(
        "GET", f"{base}/api/v1/admin/queues/{unique_id}/codes", headers=admin_headers
    )
    assert [(c["code_id"], c["uses"]) for c in listing.json()["codes"]] == [(code["code_id"], 1)]
    assert "code" not in listing.json()["codes"][0]  # the plain code is shown only once


async def test_multi_use_counting_and_revocation(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    _create_queue(base, unique_id, admin_headers)
    code = _create_code(
        base, unique_id, admin_headers, kind="priority", max_uses=3, code="FANCLUB-2026"
    )
    redeem = f"/api/v1/queues/{unique_id}/codes/redeem"
    fans = [await _joined_fan(base, unique_id) for _ in range(5)]
    try:
        first = await fans[0].post(redeem, json={"code": "FANCLUB-2026"})
        again = await fans[0].post(redeem, json={"code": "FANCLUB-2026"})  # same fan: no new use
        assert first.status_code == again.status_code == 200
        assert first.json()["priority_position"] == again.json()["priority_position"] == 1
        assert (await fans[1].post(redeem, json={"code": "FANCLUB-2026"})).status_code == 200
        revoke = await _request(
            "DELETE",
            f"{base}/api/v1/admin/queues/{unique_id}/codes/{code['code_id']}",
            headers=admin_headers,
        )
        assert revoke.status_code == 200 and revoke.json()["revoked"] is True
        revoked = await fans[2].post(redeem, json={"code": "FANCLUB-2026"})
        assert revoked.status_code == 409 and revoked.json()["outcome"] == "revoked"
        unknown = await fans[3].post(redeem, json={"code": "NOT-A-CODE"})
        assert unknown.status_code == 404
        async with httpx.AsyncClient(base_url=base) as stranger:
            no_token = await stranger.post(redeem, json={"code": "x" * 8})
        assert no_token.status_code == 401
    finally:
        await asyncio.gather(*(fan.aclose() for fan in fans))
    described = await _request(
        "GET", f"{base}/api/v1/admin/queues/{unique_id}/codes", headers=admin_headers
    )
    assert described.json()["codes"][0]["uses"] == 2
    audit = await _request(
        "GET", f"{base}/api/v1/admin/queues/{unique_id}/audit", headers=admin_headers
    )
    assert [entry["action"] for entry in audit.json()["entries"][:2]] == [
        "code_revoke",
        "code_create",
    ]


async def test_priority_lane_is_admitted_before_the_general_queue(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    _create_queue(base, unique_id, admin_headers, rate_per_minute=0)  # nobody admitted yet
    code = _create_code(base, unique_id, admin_headers, kind="priority", max_uses=0)
    general = [await _joined_fan(base, unique_id) for _ in range(20)]
    vip = await _joined_fan(base, unique_id)  # place 21 in the general queue
    try:
        redeemed = await vip.post(
            f"/api/v1/queues/{unique_id}/codes/redeem", json={"code": code["code"]}
        )
        assert redeemed.json() | {"poll_after_ms": 0} == {
            "lane": "priority",
            "state": "waiting",
            "priority_position": 1,
            "ahead": 0,
            "poll_after_ms": 0,
        }
        admin = f"{base}/api/v1/admin/queues/{unique_id}"
        changed = await _request("PUT", admin, json={"rate_per_minute": 120}, headers=admin_headers)
        assert changed.is_success
        deadline = time.monotonic() + 3
        lane = (await vip.get(f"/api/v1/queues/{unique_id}/lane")).json()
        while lane["state"] != "admitted" and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            lane = (await vip.get(f"/api/v1/queues/{unique_id}/lane")).json()
        assert lane["state"] == "admitted"
        claims = PassCodec(SECRET_KEYS, 900).verify(lane["pass"], unique_id)
        assert claims.visitor_hash == visitor_hash(SECRET_KEYS, vip.cookies["wr_vid"])
        live = (await _request("GET", f"{admin}/live", headers=admin_headers)).json()
        # the first admission went to the priority fan, not to general place 1
        assert live["priority_admitted_total"] == 1
        assert live["admitted_total"] <= 1
        first_general = (await general[0].get(f"/api/v1/queues/{unique_id}/status")).json()
        assert first_general["state"] in {"waiting", "admitted"}
    finally:
        await asyncio.gather(*(fan.aclose() for fan in [*general, vip]))


async def test_bypass_code_admits_at_once_and_the_code_form_works(
    waitroom_server: ServerProcess, unique_id: str, admin_headers: dict[str, str]
) -> None:
    base = waitroom_server.base_url
    _create_queue(base, unique_id, admin_headers, rate_per_minute=0)
    code = _create_code(base, unique_id, admin_headers, kind="bypass", max_uses=2)
    fan = await _joined_fan(base, unique_id)
    try:
        form = await fan.get(f"/q/{unique_id}/code")
        assert form.status_code == 200
        posted = await fan.post(f"/q/{unique_id}/code", data={"code": code["code"]})
        assert posted.status_code == 303 and posted.headers["location"] == f"/q/{unique_id}/lane"
        page = await fan.get(f"/q/{unique_id}/lane")
        assert page.status_code == 200 and 'data-state="admitted"' in page.text
        assert "waitroom_pass=" in page.headers["refresh"]  # on to the shop with the pass
        wrong = await fan.post(f"/q/{unique_id}/code", data={"code": "nope-nope"})
        assert wrong.status_code == 400 and "cannot be used" in wrong.text
    finally:
        await fan.aclose()
