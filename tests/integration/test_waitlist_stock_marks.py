"""The waiting list after sell-out holds a ticket bought through an offer until a stock report
counted the sale (real Redis, real Lua). The site says where the sale stands in its versioned
reports (``stock`` of the session end): a report read before the sale but received after the
end must not count as the one after it, or the queue reopens for everyone with a ticket that
is gone. Without that mark, the first report received after the end counts it."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from waitroom.admission import AdmissionStore
from waitroom.connector.stock_mark import StockMark
from waitroom.queue.pass_records import SiteSessions
from waitroom.queue.stock import QueueStock
from waitroom.queue.stock_reports import parse_stock_report
from waitroom.queue.waitlist import WaitingList
from waitroom.settings import Settings
from waitroom.storage.keys import QueueKeys

EVENT_ID = "final-night"


@dataclass
class SoldOutQueue:
    """A queue sold out by stock with one fan on its waiting list."""

    queue_id: str
    stock: QueueStock
    waitlist: WaitingList
    sessions: SiteSessions
    admission: AdmissionStore
    pass_id: str

    async def report(self, remaining: int, version: int | None) -> str:
        body: dict[str, int] = {"remaining": remaining, "capacity": 2}
        if version is not None:
            body["version"] = version
        outcome = await self.stock.report(self.queue_id, parse_stock_report(EVENT_ID, body))
        return outcome.queue_state

    async def state(self) -> str:
        return (await self.admission.snapshot(self.queue_id)).config.state.value

    async def entry_status(self) -> str:
        entries = await self.waitlist.figures(self.queue_id)
        return next(status for status, count in entries.items() if count)


async def sold_out_queue(redis: Redis, settings: Settings, versioned: bool) -> SoldOutQueue:
    admission = AdmissionStore(redis, default_burst=10)
    scripts = admission.scripts
    queue_id = "wm" + secrets.token_hex(5)
    await admission.configure(queue_id, {"rate_per_minute": 0})
    queue = SoldOutQueue(
        queue_id,
        QueueStock(scripts),
        WaitingList(redis, scripts, offer_seconds=600),
        SiteSessions(scripts, settings),
        admission,
        "offer" + secrets.token_hex(8),
    )
    joined = await admission.join(queue_id, "visitor-1")
    assert await queue.report(0, 100 if versioned else None) == "sold_out"
    await queue.waitlist.join(
        queue_id, "visitor-1", joined.position, queue.pass_id, "fan@example.org", "en"
    )
    # a refund brings one ticket back: it goes to the list, the queue stays sold out
    assert await queue.report(1, 200 if versioned else None) == "sold_out"
    settled = await queue.waitlist.settle(queue_id)
    assert (settled.offered, settled.outstanding, settled.reopened) == (1, 1, False)
    assert await queue.entry_status() == "offered"
    return queue


async def test_a_report_read_before_the_sale_does_not_count_it(
    redis: Redis, settings: Settings
) -> None:
    queue = await sold_out_queue(redis, settings, versioned=True)
    # the fan buys the ticket; the site ends the session with the sale's place in its reports
    await queue.sessions.end(
        queue.queue_id, queue.pass_id, "purchase_completed", time.time(), StockMark(EVENT_ID, 300)
    )
    record = await redis.hgetall(QueueKeys(queue.queue_id).pass_record(queue.pass_id))
    assert (record[b"stock_event"], record[b"stock_version"]) == (EVENT_ID.encode(), b"300")
    # a report read before the sale (version 250) arrives after the end: the ticket is
    # still the offer's, the queue does not reopen
    assert await queue.report(1, 250) == "sold_out"
    settled = await queue.waitlist.settle(queue.queue_id)
    assert (settled.outstanding, settled.reopened) == (1, False)
    assert await queue.state() == "sold_out"
    assert await queue.entry_status() == "offered"
    # the report read after the sale counts it: the offer is used, nothing is left
    assert await queue.report(0, 350) == "sold_out"
    settled = await queue.waitlist.settle(queue.queue_id)
    assert (settled.outstanding, settled.reopened) == (0, False)
    assert await queue.state() == "sold_out"
    assert await queue.entry_status() == "used"


async def test_a_later_report_with_a_ticket_left_reopens_the_queue(
    redis: Redis, settings: Settings
) -> None:
    queue = await sold_out_queue(redis, settings, versioned=True)
    await queue.sessions.end(
        queue.queue_id, queue.pass_id, "purchase_completed", time.time(), StockMark(EVENT_ID, 300)
    )
    # another refund after the sale: the list is done, so everyone gets the queue back
    assert await queue.report(1, 400) == "sold_out"
    settled = await queue.waitlist.settle(queue.queue_id)
    assert (settled.outstanding, settled.reopened) == (0, True)
    assert await queue.state() == "open"
    assert await queue.entry_status() == "used"


async def test_without_a_mark_the_first_report_after_the_end_counts_the_sale(
    redis: Redis, settings: Settings
) -> None:
    for versioned in (False, True):  # a site without versions, and one that sends no mark
        queue = await sold_out_queue(redis, settings, versioned=versioned)
        await queue.sessions.end(queue.queue_id, queue.pass_id, "purchase_completed", time.time())
        settled = await queue.waitlist.settle(queue.queue_id)
        assert settled.outstanding == 1  # no report since the end yet
        await asyncio.sleep(0.01)  # the waiting room orders them by its clock, in ms
        assert await queue.report(0, 500 if versioned else None) == "sold_out"
        settled = await queue.waitlist.settle(queue.queue_id)
        assert (settled.outstanding, settled.reopened) == (0, False)
        assert await queue.entry_status() == "used"


async def test_a_mark_on_an_event_without_versions_falls_back_to_the_time_of_receipt(
    redis: Redis, settings: Settings
) -> None:
    queue = await sold_out_queue(redis, settings, versioned=False)
    await queue.sessions.end(
        queue.queue_id, queue.pass_id, "purchase_completed", time.time(), StockMark(EVENT_ID, 300)
    )
    settled = await queue.waitlist.settle(queue.queue_id)
    assert settled.outstanding == 1  # no report since the end yet
    await asyncio.sleep(0.01)
    assert await queue.report(0, None) == "sold_out"
    settled = await queue.waitlist.settle(queue.queue_id)
    assert (settled.outstanding, settled.reopened) == (0, False)
    assert await queue.entry_status() == "used"
