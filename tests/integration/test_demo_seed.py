"""``waitroom demo``'s seed: a queue per shop queue id, its sample event, and a pre-checkout form
offering the event's ticket types (so the shop can pre-select what the fan chose while waiting)."""

from __future__ import annotations

import orjson
from redis.asyncio import Redis

from sale_backend.demo_event import demo_event_id, demo_profile_form
from sale_backend.domain.records import stored_event
from sale_backend.storage.store import SaleStore
from waitroom.demo import seed_demo
from waitroom.fan.content import content_key
from waitroom.settings import Settings
from waitroom.storage.keys import QueueKeys


def test_the_profile_form_offers_the_unseated_ticket_types_up_to_the_order_limit() -> None:
    form = demo_profile_form("demo")
    assert form["tiers"] == [
        {"id": "standard", "label": "Standing"},
        {"id": "child", "label": "Child (under 12)"},
        {"id": "group4", "label": "Group of 4"},
        {"id": "bundle", "label": "Ticket + tour shirt"},
    ]  # VIP seats are chosen on the seat map, not pre-selected
    assert form["max_quantity"] == 6
    assert demo_event_id("demo") == "demo-concert"


async def test_seed_links_queue_and_event_and_keeps_an_organizers_form(
    settings: Settings, redis: Redis, unique_id: str
) -> None:
    await seed_demo(settings, queue_id=unique_id)
    config = await redis.hgetall(QueueKeys(unique_id).config)
    assert config[b"event_id"] == demo_event_id(unique_id).encode()
    assert config[b"redirect_url"] == b"/shop/"
    event = await stored_event(SaleStore(redis), demo_event_id(unique_id))
    assert event.queue_id == unique_id
    stored = await redis.get(content_key(unique_id, "profile_form"))
    assert stored is not None and orjson.loads(stored) == demo_profile_form(unique_id)

    own_form = {"tiers": [{"id": "standard", "label": "Standing only"}], "max_quantity": 2}
    await redis.set(content_key(unique_id, "profile_form"), orjson.dumps(own_form))
    await seed_demo(settings, queue_id=unique_id)  # a restart of the demo
    stored = await redis.get(content_key(unique_id, "profile_form"))
    assert stored is not None and orjson.loads(stored) == own_form
