"""The waiting room's mail worker: one background task per process (started by the app's
lifespan when SMTP is configured), never in a request's path.

Each round, for every queue: queue the your-turn e-mails of fans whose place was reached
(:mod:`waitroom.queue.your_turn`), settle the waiting list (offers returned tickets, moves a
lapsed offer to the next fan, reopens the queue when the list is done:
:mod:`waitroom.queue.waitlist`), then send the queue's due e-mails
(:mod:`service_kit.mail_outbox`). Every step is one Lua script or a lease, so any number of
processes run it side by side and each e-mail goes out once.
"""

from __future__ import annotations

import contextlib
import logging
from email.message import EmailMessage
from typing import Any

from service_kit.mail import MailSender
from service_kit.mail_outbox import MailOutbox
from service_kit.periodic import PeriodicWork
from waitroom.errors import QueueNotFound, QueueUnavailable
from waitroom.fan.mail_messages import compose_fan_mail
from waitroom.organizer import audit
from waitroom.organizer.stock_actions import STOCK_ACTOR
from waitroom.queue.your_turn import queue_outbox
from waitroom.web.runtime import Runtime

LOGGER = logging.getLogger("waitroom.mail")


class MailWorker:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.outbox = MailOutbox(runtime.redis)
        self.sender = MailSender(runtime.settings.mail)

    async def run_round(self) -> int:
        """One round over every queue; returns the number of e-mails the server accepted."""
        sent = 0
        for queue_id in await self.runtime.store.queue_ids():
            with contextlib.suppress(QueueNotFound, QueueUnavailable):
                sent += await self.queue_round(queue_id)
        return sent

    async def queue_round(self, queue_id: str) -> int:
        runtime = self.runtime
        # the view advances the serving pointer (cached like the fans' polls): fans who closed
        # the page are called back even when nobody else is polling
        snapshot = (await runtime.views.get(queue_id)).snapshot
        await runtime.your_turn.queue_due(queue_id)
        for position in await runtime.your_turn.waiting_positions(queue_id, snapshot.serving):
            runtime.protection.heartbeats.seen(queue_id, position)  # the e-mail calls them back
        settled = await runtime.waitlist.settle(queue_id)
        if settled.reopened:
            runtime.views.invalidate(queue_id)
            await audit.record(
                runtime.redis, queue_id, STOCK_ACTOR, "reopen", {"after": "waiting_list_done"}
            )
        if settled.offered or settled.lapsed:
            LOGGER.info(
                "queue %s waiting list: %d offered, %d lapsed, %d open",
                queue_id, settled.offered, settled.lapsed, settled.outstanding,
            )
        keys = queue_outbox(queue_id)
        if not await self.outbox.pending(keys):
            return 0
        name = snapshot.config.name or queue_id

        async def compose(payload: dict[str, Any]) -> EmailMessage | None:
            return compose_fan_mail(
                payload, runtime.settings, runtime.fan.catalogs, runtime.codec, name, snapshot.epoch
            )

        return await self.outbox.deliver(keys, compose, self.sender.send)


def start_mail_work(runtime: Runtime) -> PeriodicWork:
    """The process's mail worker, running until its ``stop()``."""
    worker = MailWorker(runtime)
    return PeriodicWork(worker.run_round, runtime.settings.mail_poll_seconds, LOGGER, "mail")
