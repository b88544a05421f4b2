"""Locust surge suite: fans who queue for tickets, and an organizer acting during the run.

Run through ``python -m loadtests.surge`` (which starts the system and checks invariants), or
directly: ``locust -f loadtests/locustfile.py --host http://127.0.0.1:8000`` with the
``WAITROOM_LOADTEST_*`` variables of :mod:`loadtests.run_settings`.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from typing import Any

import gevent
from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust.env import Environment

from loadtests.events import EventLog
from loadtests.remote_shop_steps import RETRY_STATUSES, retry_after_seconds
from loadtests.request_log import RequestLog
from loadtests.run_settings import RunSettings
from loadtests.shop_protocol import problem_type
from loadtests.shop_steps import shop_steps

FINAL_STATES = {"sold_out", "closed"}
IDLE_SECONDS = 3600.0
ENTRY_ATTEMPTS = 6
"""A fan whose queue page or join failed (no answer, 5xx, 429) reloads after Retry-After."""
RETRY = object()


@events.init.add_listener  # type: ignore[untyped-decorator]
def record_requests(environment: Environment, **_: Any) -> None:
    """Log every request when the runner asks for it (``WAITROOM_LOADTEST_REQUESTS``)."""
    path = RunSettings.from_environ().requests_path
    if path:
        log = RequestLog(path)
        environment.events.request.add_listener(log.on_request)  # type: ignore[no-untyped-call]
        environment.events.quitting.add_listener(log.close)  # type: ignore[no-untyped-call]


def checked(response: Any, expected: tuple[int, ...]) -> dict[str, Any] | None:
    """Mark unexpected answers as failures (5xx say "server error"); JSON body when OK."""
    if response.status_code in expected:
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            response.failure(f"not JSON (HTTP {response.status_code})")
            return None
        response.success()
        return body
    kind = "server error" if response.status_code >= 500 else "unexpected answer"
    response.failure(f"{kind}: HTTP {response.status_code} {problem_type(response)}".rstrip())
    return None


def _later(response: Any) -> object:
    """RETRY after sleeping the answer's Retry-After when trying again makes sense, else None."""
    if (response.status_code or 0) not in RETRY_STATUSES:
        return None
    gevent.sleep(retry_after_seconds(response))
    return RETRY


class FanUser(FastHttpUser):
    """One fan: queue page, join, poll at the server's interval, admission, then the shop."""

    wait_time = constant(0)
    weight = 100

    def on_start(self) -> None:
        self.surge = RunSettings.from_environ()
        self.log = EventLog(self.surge.events_path)
        self.shop = shop_steps(self.surge.shop)
        self.finished = False
        self.api_client = random.random() < self.surge.api_client_share

    @task
    def journey(self) -> None:
        if self.finished:
            gevent.sleep(IDLE_SECONDS)  # this fan is done; it stays counted as an arrival
            return
        self.finished = True
        api = f"/api/v1/queues/{self.surge.queue_id}"
        joined = self._enter()
        if joined is None:
            return
        arrived = time.time()
        token = joined["token"]
        fan = uuid.uuid4().hex
        self.log.record(
            "joined",
            position=joined["position"],
            state=joined["state"],
            fan=fan,
            eta_range_seconds=joined.get("eta_range_seconds"),
        )
        answer = joined
        while answer["state"] != "admitted":
            if answer["state"] in FINAL_STATES:
                self.log.record("turned_away", state=answer["state"])
                return
            gevent.sleep(answer["poll_after_ms"] / 1000.0)
            headers = {"Authorization": f"Bearer {token}"}
            with self.client.get(
                f"{api}/status", name="status", headers=headers, catch_response=True
            ) as response:
                polled = checked(response, (200,))
            if polled is None:
                continue
            answer = polled
            token = answer.get("token", token)  # a place assigned at the pre-queue opening
            if answer["state"] == "waiting":
                # the range shown at this poll (loadtests/eta_accuracy.py)
                self.log.record("eta", fan=fan, eta_range_seconds=answer.get("eta_range_seconds"))
        self.log.record(
            "admitted", position=answer["position"], waited_seconds=time.time() - arrived, fan=fan
        )
        self.shop.after_admission(self.client, answer, self.log)

    def _enter(self) -> dict[str, Any] | None:
        """Queue page, then join; the join answer, or None when the fan went home."""
        for _ in range(ENTRY_ATTEMPTS):
            outcome = self._try_entering()
            if outcome is not RETRY:
                return outcome  # type: ignore[return-value]
        return None

    def _try_entering(self) -> object:
        queue_id = self.surge.queue_id
        if not self.api_client:  # a browser opens the queue page first (it joins and sets cookies)
            with self.client.get(
                f"/q/{queue_id}", name="queue page", catch_response=True
            ) as page:
                if page.status_code != 200:
                    page.failure(f"{'server error' if page.status_code >= 500 else 'page'}: "
                                 f"HTTP {page.status_code} {problem_type(page)}".rstrip())
                    return _later(page)
        with self.client.post(
            f"/api/v1/queues/{queue_id}/join", name="join", catch_response=True
        ) as response:
            if response.status_code == 409 and problem_type(response).endswith("not-joinable"):
                response.success()  # sold out or closed: the right answer, the fan goes home
                self.log.record("turned_away", state="not_joinable")
                return None
            joined = checked(response, (200, 201))
            if joined is None:
                return _later(response)
        return joined


class OrganizerUser(FastHttpUser):
    """Plays the shape's organizer actions (rate change, pause, resume) at their times."""

    fixed_count = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        self.surge = RunSettings.from_environ()
        self.log = EventLog(self.surge.events_path)
        self.started = time.monotonic()
        self.pending = list(self.surge.shape.actions)

    @task
    def act(self) -> None:
        if not self.pending:
            gevent.sleep(IDLE_SECONDS)
            return
        action = self.pending.pop(0)
        gevent.sleep(max(0.0, self.started + action.at_seconds - time.monotonic()))
        headers = {"Authorization": f"Bearer {self.surge.admin_token}"}
        with self.client.put(
            f"/api/v1/admin/queues/{self.surge.queue_id}",
            json=action.fields,
            headers=headers,
            name="organizer",
            catch_response=True,
        ) as response:
            body = checked(response, (200,))
        self.log.record("organizer", label=action.label, fields=action.fields, ok=body is not None)


class SurgeLoadShape(LoadTestShape):
    """Arrivals from the shape's stages; +1 user for the organizer."""

    def tick(self) -> tuple[int, float] | None:
        run = RunSettings.from_environ()
        if run.stop_path and os.path.exists(run.stop_path):
            return None
        target = run.shape.target_at(self.get_run_time())  # type: ignore[no-untyped-call]
        if target is None:
            return None
        fans, arrivals_per_second = target
        return fans + 1, arrivals_per_second
